"""The ``loop:`` config section: its cross-key check and the slices the loop's rules read.

Pure Python (no torch), so the Snakefile and ``mdcv check-config`` use it.
"""

from __future__ import annotations

import copy

from mdcv.config.systems import learner_settings, md_systems, toy_settings, toy_systems
from mdcv.errors import ConfigError

#: ``loop`` keys every round's status job reads (the stopping rule and the read-outs).
STATUS_KEYS = ("rounds", "n_bootstrap")
#: ``loop`` keys that shape the bias of the next round.
BIAS_KEYS = ("fraction", "bins", "smooth_bins")


def systems(config: dict) -> list[str]:
    """The systems the loop runs on, in config order."""
    return list((config.get("loop") or {}).get("systems") or {})


def toys(config: dict) -> list[str]:
    """The toy systems among :func:`systems`."""
    return [s for s in systems(config) if s in toy_systems(config)]


def learner(config: dict, system: str) -> str:
    """The name of the learner the loop trains on ``system``."""
    return config["loop"]["systems"][system]["learner"]


def check(config: dict) -> None:
    """Raise :class:`ConfigError` unless every ``loop.systems`` entry names an enabled toy
    or MD system and a defined learner whose settings are valid on it."""
    enabled = toy_systems(config) + md_systems(config)
    for name in systems(config):
        if name not in enabled:
            raise ConfigError(f"loop.systems.{name}: not an enabled toy or md system "
                              f"({enabled}); enable it under toy.systems or md.systems, or "
                              "remove it from loop.systems")
        lrn = learner(config, name)
        if lrn not in (config.get("learners") or {}):
            raise ConfigError(f"loop.systems.{name}.learner: {lrn!r} is not defined under "
                              f"'learners:' ({list(config.get('learners') or {})}); define it "
                              "there or name one of those")
        settings = learner_settings(config, name, lrn)
        if settings["kind"] != "generator":
            raise ConfigError(f"loop.systems.{name}.learner: {lrn!r} is of kind "
                              f"{settings['kind']!r}; the loop reads λ from the eigenfunctions "
                              "of a generator learner (kind: generator)")


def pick(config: dict, keys) -> dict:
    """The ``loop`` keys ``keys`` (a rule's params)."""
    return {k: copy.deepcopy(config["loop"][k]) for k in keys}


def toy_round(config: dict, system: str) -> dict:
    """What a toy round's sampling reads: potential, β, box and ``loop.toy``."""
    full = toy_settings(config, system)
    out = {k: full[k] for k in ("name", "potential", "beta", "box")}
    out["sampling"] = copy.deepcopy(config["loop"]["toy"])
    return out
