"""A trained dihedral CV as a GROMACS pull coordinate: the .mdp pull (and AWH) block.

GROMACS 2022 has no neural-network CV, but a pull coordinate of geometry
``transformation`` takes a muparser expression of the lower-index pull coordinates.
A network on sin/cos of dihedrals (:mod:`mdcv.md.dihedrals`) is written out as such
an expression. Pull coordinates, in order:

1. one ``dihedral`` coordinate per input dihedral (umbrella, k = 0: no force of its
   own; inside the expression its value is in radians, pullx.xvg prints degrees);
2. scratch coordinates (``distance``, umbrella, k = 0) whose variables hold hidden
   activations: the CV's expression assigns them first (``x8=tanh(…),…``);
3. one ``transformation`` coordinate per exported CV component, biased by AWH (start,
   end in CV units, force constant kJ/mol/CV², diffusion CV²/ps), by an umbrella, or
   only recorded (k = 0). GROMACS applies the force on it to the dihedrals by the chain
   rule (a backward loop over the coordinates); the scratch variables are assigned
   before use, so no force reaches the scratch coordinates.

muparser rejects expressions of 20,000 characters or more (grompp aborts without a
useful message), so every expression is checked here. Inlining every layer grows with
the product of the widths; storing hidden layers in scratch coordinates with their sum.
GROMACS takes a finite difference w.r.t. every lower coordinate at every step, so a
transformation coordinate costs (lower coordinates + 1) evaluations: ``layout="auto"``
picks the layout with the smaller (lower + 1) × length. ``pull-nstfout`` is 0 unless
asked for: a restart with ``-cpi`` fails on pull force output unless ``-px``/``-pf``
name the files.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from mdcv.errors import ConfigError

#: muparser (GROMACS 2022) rejects expressions of this many characters or more.
MUPARSER_LIMIT = 20_000
LAYOUTS = ("auto", "inline", "scratch")
_DIGITS = 9  # significant digits of every written number


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


def _num(value: float) -> str:
    return np.format_float_positional(float(value), precision=_DIGITS, unique=False,
                                      fractional=False, trim="-")


def _affine(weights, inputs: Sequence[str], bias: float) -> str:
    """bias + Σ w·input, signs folded into the operators (no ``+-``)."""
    text = _num(bias) if bias != 0 else ""
    for w, name in zip(weights, inputs, strict=True):
        if w == 0:
            continue
        mag = _num(abs(w))
        text += ("-" if w < 0 else ("+" if text else "")) + f"{mag}*{name}"
    return text or "0"


def _act(text: str, activation: str) -> str:
    return f"tanh({text})" if activation == "tanh" else f"({text})/(1+exp(-({text})))"


def _term_expression(term: Term, n_dihedrals: int, activation: str, layout: str,
                     scratch: int) -> tuple[list[str], str, int]:
    """Assignments, the term's output text, and the next free scratch variable."""
    feats = [f"{f}(x{j + 1})" for j in range(n_dihedrals) for f in ("sin", "cos")]
    assigns, inputs = [], feats
    rows = len(term.coefs)
    for i, (w, b) in enumerate(term.layers[:-1]):
        values = [_act(_affine(w[r], inputs, b[r]), activation) for r in range(len(b))]
        used_once = i == len(term.layers) - 2 and rows == 1  # the last hidden layer, one row
        if layout == "scratch" and not used_once:
            names = [f"x{scratch + r}" for r in range(len(values))]
            assigns += [f"{n}={v}" for n, v in zip(names, values, strict=True)]
            scratch += len(values)
            inputs = names
        else:
            inputs = [f"({v})" if activation != "tanh" else v for v in values]
    w, b = term.layers[-1]
    outs = [_affine(w[r], inputs, b[r]) for r in range(rows)]
    outs = [f"tanh({o})" if t else f"({o})" for o, t in zip(outs, term.bounded, strict=True)]
    return assigns, _affine(term.coefs, outs, 0.0), scratch


def expression(cv: CVNetwork, layout: str, first_scratch: int) -> tuple[str, int]:
    """The muparser expression of ``cv`` and the number of scratch variables it assigns.

    Dihedral j is ``x<j>`` (1-based, radians); scratch variables start at
    ``x<first_scratch>``.
    """
    if layout not in ("inline", "scratch"):
        raise ConfigError(f"layout must be 'inline' or 'scratch', got {layout!r}")
    assigns, outs, nxt = [], [], first_scratch
    for term in cv.terms:
        more, out, nxt = _term_expression(term, len(cv.names), cv.activation, layout, nxt)
        assigns += more
        outs.append(out)
    final = "+".join(outs)
    if cv.shift:
        final += ("+" if cv.shift > 0 else "-") + _num(abs(cv.shift))
    return ",".join([*assigns, final]), nxt - first_scratch


def check_length(text: str, what: str = "the CV expression") -> None:
    """Raise if muparser (GROMACS 2022) would reject ``text`` for its length."""
    if len(text) >= MUPARSER_LIMIT:
        raise ConfigError(f"{what} has {len(text)} characters; GROMACS's muparser accepts "
                          f"fewer than {MUPARSER_LIMIT}: use fewer or narrower hidden layers "
                          "(the learner's layers) or fewer dihedrals")


@dataclass
class PullCV:
    """An exported CV: the .mdp block, its index groups and its coordinate numbers."""

    mdp: str
    groups: dict[str, list[int]]
    expressions: list[str]
    dihedral_coords: list[int]
    scratch_coords: list[int]
    cv_coords: list[int]
    layout: str
    names: list[str] = field(default_factory=list)

    def index_text(self) -> str:
        """The index groups (``[ name ]`` and 1-based atom numbers) to append to a .ndx."""
        return "".join(f"[ {name} ]\n{' '.join(map(str, atoms))}\n"
                       for name, atoms in self.groups.items())

    def write_index(self, base, out) -> Path:
        """Copy index file ``base`` to ``out`` with the CV's groups appended."""
        text = Path(base).read_text()
        out = Path(out)
        out.write_text(text + ("" if text.endswith("\n") else "\n") + self.index_text())
        return out


def _layout_for(cvs: Sequence[CVNetwork], layout: str, n_dihedrals: int):
    """Expressions and scratch count for a layout (``auto``: the cheapest that fits)."""
    if layout not in LAYOUTS:
        raise ConfigError(f"layout must be one of {list(LAYOUTS)}, got {layout!r}")
    candidates = []
    for name in ("inline", "scratch") if layout == "auto" else (layout,):
        built = [expression(cv, name, n_dihedrals + 1) for cv in cvs]
        n_scratch = max(s for _, s in built)
        texts = [t for t, _ in built]
        lower = n_dihedrals + n_scratch
        cost = sum((lower + j + 1) * len(t) for j, t in enumerate(texts))
        fits = all(len(t) < MUPARSER_LIMIT for t in texts)
        candidates.append((not fits, cost, name, texts, n_scratch))
    best = min(candidates, key=lambda c: (c[0], c[1]))
    for j, text in enumerate(best[3]):
        check_length(text, f"the expression of exported CV {j + 1} of {len(cvs)} ({best[2]} "
                     "layout)")
    return best[2], best[3], best[4]


def pull_block(cvs: CVNetwork | Sequence[CVNetwork], nstxout: int, awh: Mapping | None = None,
               layout: str = "auto", umbrella: Mapping | None = None,
               nstfout: int = 0) -> PullCV:
    """The pull (and AWH) .mdp block of one or more CV components on the same dihedrals.

    ``nstxout``: steps between pullx.xvg rows. ``awh``: ``potential``, ``seed``,
    ``nstout`` (a multiple of nstenergy), ``nstsample``, ``nsamples_update``,
    ``error_init`` (kJ/mol), ``force_constant`` (kJ/mol/CV²), ``diffusion`` (CV²/ps),
    ``start``/``end`` (one per component, CV units). Or ``umbrella``: ``k``
    (kJ/mol/CV²) and ``init`` (one centre per component, CV units). Neither: the CVs
    are only recorded. ``nstfout`` > 0 writes pullf.xvg (forces: kJ/mol/rad on the
    dihedrals); mdrun then needs ``-px``/``-pf`` to restart from a checkpoint.
    """
    if awh and umbrella:
        raise ConfigError("a CV takes an AWH bias or an umbrella, not both")
    cvs = [cvs] if isinstance(cvs, CVNetwork) else list(cvs)
    atoms = cvs[0].atoms
    if any(not np.array_equal(cv.atoms, atoms) for cv in cvs):
        raise ConfigError("the exported CV components must share their dihedral list")
    m = len(atoms)
    chosen, texts, n_scratch = _layout_for(cvs, layout, m)
    unique = sorted({int(a) for a in atoms.ravel()})
    groups = {f"cv_a{a}": [a] for a in unique}
    group_no = {a: i + 1 for i, a in enumerate(unique)}
    dihedral = list(range(1, m + 1))
    scratch = list(range(m + 1, m + 1 + n_scratch))
    cv_coords = list(range(m + n_scratch + 1, m + n_scratch + 1 + len(cvs)))
    lines = ["; CV network as a transformation pull coordinate (mdcv.md.pullcv)",
             "pull = yes", f"pull-ngroups = {len(unique)}",
             f"pull-ncoords = {cv_coords[-1]}", f"pull-nstxout = {int(nstxout)}",
             f"pull-nstfout = {int(nstfout)}"]
    lines += [f"pull-group{group_no[a]}-name = cv_a{a}" for a in unique]
    for c, (quad, name) in enumerate(zip(atoms, cvs[0].names, strict=True), start=1):
        g = [group_no[int(a)] for a in quad]
        lines += [f"; coordinate {c}: dihedral {name} (radians in the expression)",
                  f"pull-coord{c}-type = umbrella", f"pull-coord{c}-geometry = dihedral",
                  f"pull-coord{c}-groups = {g[0]} {g[1]} {g[1]} {g[2]} {g[2]} {g[3]}",
                  f"pull-coord{c}-k = 0"]
    for c in scratch:
        lines += [f"pull-coord{c}-type = umbrella", f"pull-coord{c}-geometry = distance",
                  f"pull-coord{c}-groups = 1 2", f"pull-coord{c}-k = 0"]
    for j, (c, text) in enumerate(zip(cv_coords, texts, strict=True)):
        if awh:
            kind = ["external-potential", f"pull-coord{c}-potential-provider = awh"]
        elif umbrella:
            kind = ["umbrella", f"pull-coord{c}-k = {umbrella['k']}",
                    f"pull-coord{c}-init = {_num(list(umbrella['init'])[j])}"]
        else:
            kind = ["umbrella", f"pull-coord{c}-k = 0"]
        lines += [f"; coordinate {c}: CV component {j}", f"pull-coord{c}-type = {kind[0]}",
                  *kind[1:], f"pull-coord{c}-geometry = transformation",
                  f"pull-coord{c}-expression = {text}"]
    if awh:
        lines += awh_lines(awh, cv_coords)
    return PullCV("\n".join(lines) + "\n", groups, texts, dihedral, scratch, cv_coords, chosen,
                  list(cvs[0].names))


def awh_lines(awh: Mapping, coords: Sequence[int]) -> list[str]:
    """One AWH bias along the pull coordinates ``coords`` (see :func:`pull_block`)."""
    start, end = list(awh["start"]), list(awh["end"])
    if len(start) != len(coords) or len(end) != len(coords):
        raise ConfigError(f"AWH needs one start and one end per CV component ({len(coords)}), "
                          f"got start {start}, end {end}")
    lines = ["awh = yes", f"awh-potential = {awh['potential']}", f"awh-seed = {awh['seed']}",
             f"awh-nstout = {awh['nstout']}", f"awh-nstsample = {awh['nstsample']}",
             f"awh-nsamples-update = {awh['nsamples_update']}", "awh-nbias = 1",
             f"awh1-error-init = {awh['error_init']}", "awh1-growth = exp-linear",
             "awh1-equilibrate-histogram = no", "awh1-target = constant",
             f"awh1-ndim = {len(coords)}"]
    for d, c in enumerate(coords, start=1):
        if not start[d - 1] < end[d - 1]:
            raise ConfigError(f"AWH dimension {d}: start {start[d - 1]} must be below end "
                              f"{end[d - 1]} (CV units)")
        lines += [f"awh1-dim{d}-coord-provider = pull", f"awh1-dim{d}-coord-index = {c}",
                  f"awh1-dim{d}-start = {_num(start[d - 1])}",
                  f"awh1-dim{d}-end = {_num(end[d - 1])}",
                  f"awh1-dim{d}-force-constant = {awh['force_constant']}",
                  f"awh1-dim{d}-diffusion = {awh['diffusion']}"]
    return lines


def read_xvg(path) -> np.ndarray:
    """The numbers of an .xvg file (pullx.xvg: time in ps, then one column per
    coordinate: dihedrals in degrees, transformation coordinates in CV units)."""
    rows = [line.split() for line in Path(path).read_text().splitlines()
            if line.strip() and line[0] not in "#@"]
    return np.array(rows, dtype=np.float64)
