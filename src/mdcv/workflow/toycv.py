"""Config helpers of the CV-quality and autoencoder-figure rules (pure Python, no torch)."""

from __future__ import annotations

from mdcv.config import learner_settings, toy_learners

AUTOENCODER_KINDS = ("autoencoder", "regularized_autoencoder")


def learner_kinds(config: dict, toy: str) -> list[str]:
    """The ``kind`` of each learner trained on toy system ``toy``, in config order."""
    return [learner_settings(config, toy, name)["kind"] for name in toy_learners(config, toy)]


def autoencoder_learners(config: dict, toy: str) -> list[str]:
    """The toy learners of an autoencoder kind, in config order (the figure's panels)."""
    return [name for name, kind in zip(toy_learners(config, toy), learner_kinds(config, toy),
                                       strict=True) if kind in AUTOENCODER_KINDS]


def autoencoder_title(config: dict, toy: str, learner: str) -> str:
    """Panel title: the learner's name and, for the regularized kind, γ1 and γ2."""
    s = learner_settings(config, toy, learner)
    if s["kind"] == "autoencoder":
        return f"{learner}: reconstruction only"
    return f"{learner}: γ1 = {s['gamma1']:g}, γ2 = {s['gamma2']:g}"



def panel_learners(config: dict, toy: str, panel: str) -> list[str]:
    """The learners of an autoencoder figure: ``autoencoders`` (every autoencoder learner,
    the combined row) or ``autoencoder_<learner>`` (that one)."""
    if panel == "autoencoders":
        return autoencoder_learners(config, toy)
    return [panel.removeprefix("autoencoder_")]
