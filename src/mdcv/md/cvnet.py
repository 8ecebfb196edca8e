"""A trained CV network on dihedral features as plain float64 arrays, for export.

:func:`from_model` folds everything the torch model does after the dihedrals into the
layers of a :class:`CVNetwork`: the sin/cos features' standardization into the first
layer; the output scale and shift, the deflation mix and the bounded (tanh) first
output into the terms. :func:`load_model` rebuilds the model of a model directory.
A :class:`CVNetwork` evaluates in numpy (dihedrals in radians), and
:mod:`mdcv.md.pullcv` writes it as a GROMACS pull coordinate.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mdcv.errors import ConfigError


@dataclass
class Term:
    """Σ_r coefs[r] · [tanh](output r): one network's part of a CV component.

    ``layers``: (weight (out, in), bias (out,)) in order, float64; the first acts on
    (sin θ_1, cos θ_1, …) with the model's standardization folded in; the last has one
    row per used output. ``bounded[r]``: output r passes through tanh.
    """

    layers: list[tuple[np.ndarray, np.ndarray]]
    coefs: list[float]
    bounded: list[bool]


@dataclass
class CVNetwork:
    """One CV component: shift + Σ terms, on dihedrals of 1-based atoms ``atoms`` (m, 4)."""

    names: list[str]
    atoms: np.ndarray
    terms: list[Term]
    shift: float
    activation: str = "tanh"

    def __call__(self, theta) -> np.ndarray:
        """The CV (n,) at dihedrals ``theta`` (n, m) in radians, in numpy (float64)."""
        theta = np.asarray(theta, dtype=np.float64)
        feats = np.stack([np.sin(theta), np.cos(theta)], axis=-1).reshape(len(theta), -1)
        total = np.full(len(theta), self.shift)
        for term in self.terms:
            h = feats
            for i, (w, b) in enumerate(term.layers):
                h = h @ w.T + b
                if i < len(term.layers) - 1:
                    h = np.tanh(h) if self.activation == "tanh" else h / (1 + np.exp(-h))
            for r, (coef, bounded) in enumerate(zip(term.coefs, term.bounded, strict=True)):
                total = total + coef * (np.tanh(h[:, r]) if bounded else h[:, r])
        return total


def _linears(net) -> tuple[list[tuple[np.ndarray, np.ndarray]], str]:
    from torch import nn

    layers, acts = [], set()
    for module in net:
        if isinstance(module, nn.Linear):
            layers.append((module.weight.detach().double().cpu().numpy(),
                           module.bias.detach().double().cpu().numpy()))
        elif isinstance(module, nn.Tanh | nn.SiLU):
            acts.add("tanh" if isinstance(module, nn.Tanh) else "silu")
        else:
            raise ConfigError(f"the exporter writes tanh and silu networks; this one has "
                              f"{type(module).__name__} (set activation: tanh)")
    if len(acts) > 1:
        raise ConfigError(f"one activation per network, found {sorted(acts)}")
    return layers, acts.pop() if acts else "tanh"


def from_model(model, component: int = 0) -> CVNetwork:
    """CV component ``component`` of a trained model on dihedral features.

    ``model``: an :class:`mdcv.learn.models.EigenfunctionModel` (f = mix · (scale·raw +
    shift)) or an :class:`mdcv.learn.models.AutoencoderModel` (its encoder) whose ``pre``
    is :class:`mdcv.md.dihedrals.DihedralFeatures` (``features: dihedrals``).
    """
    from mdcv.md.dihedrals import DihedralFeatures

    pre = getattr(model, "pre", None)
    if not isinstance(pre, DihedralFeatures):
        raise ConfigError("only a CV on dihedral features can become a pull coordinate: "
                          "train it with features: dihedrals")
    mean = model.standardize.mean.detach().double().cpu().numpy()
    scale = float(model.standardize.scale)

    def folded(net, rows, coefs, bounded) -> tuple[Term, str]:
        """The net's used output ``rows``; rows without tanh merge into one linear row."""
        layers, act = _linears(net)
        w, b = layers[0]
        layers[0] = (w / scale, b - w @ mean / scale)
        w, b = layers[-1]
        keep = [(w[r], b[r], c, t) for r, c, t in zip(rows, coefs, bounded, strict=True) if t]
        linear = [(r, c) for r, c, t in zip(rows, coefs, bounded, strict=True) if not t]
        if linear:
            keep.append((sum(c * w[r] for r, c in linear), sum(c * b[r] for r, c in linear),
                         1.0, False))
        layers[-1] = (np.stack([k[0] for k in keep]), np.array([k[1] for k in keep]))
        return Term(layers, [k[2] for k in keep], [k[3] for k in keep]), act

    names, atoms = list(pre.names), pre.solute_quads.cpu().numpy() + 1
    if hasattr(model, "encoder"):
        term, act = folded(model.encoder, [component], [1.0], [False])
        return CVNetwork(names, atoms, [term], 0.0, act)
    k = int(model.k)
    if not 0 <= component < k:
        raise ConfigError(f"component must lie in [0, {k}), got {component}")
    mix = model.mix.detach().double().cpu().numpy()[component]
    out_scale = model.out_scale.detach().double().cpu().numpy()
    out_shift = model.out_shift.detach().double().cpu().numpy()
    used = [int(i) for i in np.flatnonzero(np.abs(mix) > 1e-12 * np.abs(mix).max())]
    coefs = [mix[i] * out_scale[i] for i in used]
    bounded = [bool(model.bounded_first and i == 0) for i in used]
    if len(model.nets) == 1:  # shared: one network, its used outputs
        parts = [folded(model.nets[0], used, coefs, bounded)]
    else:  # separate: network i gives output i (its only row)
        parts = [folded(model.nets[i], [0], [c], [t])
                 for i, c, t in zip(used, coefs, bounded, strict=True)]
    acts = {act for _, act in parts}
    if len(acts) > 1:
        raise ConfigError(f"one activation for all networks, found {sorted(acts)}")
    return CVNetwork(names, atoms, [t for t, _ in parts], float(mix @ out_shift), acts.pop())


def load_model(model_dir):
    """The trained model of a model directory (its model.pt), for :func:`from_model`.

    Only models of learners with ``features: dihedrals`` (kinds generator, autoencoder,
    regularized_autoencoder; not a cross-fitted average).
    """
    from mdcv.learn.modeldir import ModelDir
    from mdcv.learn.models import AutoencoderModel, EigenfunctionModel
    from mdcv.md.dihedrals import DihedralFeatures, resolve

    md = ModelDir(model_dir)
    saved = md.load_state()
    settings, state = saved["hyperparameters"]["settings"], saved["state_dict"]
    if settings.get("features") != "dihedrals" or "pre.quads" not in state:
        raise ConfigError(f"{md.model}: learner {settings.get('name')!r} was not trained on "
                          "dihedrals; only such a CV can become a pull coordinate (set "
                          "features: dihedrals)")
    names, _ = resolve(settings.get("dihedrals"))
    pre = DihedralFeatures(state["pre.quads"], saved["hyperparameters"]["dim"] // 3, names,
                           state["pre.solute_quads"])
    if saved["class"] == "EigenfunctionModel":
        model = EigenfunctionModel(pre.out_dim, int(settings["k"]), settings["layers"],
                                   settings["activation"], settings["architecture"],
                                   settings["bounded_first"], pre=pre)
    elif saved["class"] == "AutoencoderModel":
        model = AutoencoderModel(pre.out_dim, int(settings["k"]), settings["encoder_layers"],
                                 settings["decoder_layers"], settings["activation"], pre=pre)
    else:
        raise ConfigError(f"{md.model}: a {saved['class']} cannot be exported; export one "
                          "network (a cross-fitting member's folds/<j>/ directory)")
    model.load_state_dict(state)
    return model.double().eval()
