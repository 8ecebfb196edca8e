"""A trained dihedral CV as a GROMACS pull coordinate: the .mdp pull (and AWH) block.

GROMACS 2022 has no neural-network CV, but a pull coordinate of geometry
``transformation`` takes a muparser expression of the lower-index pull coordinates.
A network on sin/cos of dihedrals (:mod:`mdcv.md.dihedrals`), taken from the model as
arrays (:mod:`mdcv.md.cvnet`), is written out as such an expression. Pull
coordinates, in order:

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
from mdcv.md.cvnet import CVNetwork, Term, from_model, load_model

__all__ = ["LAYOUTS", "MUPARSER_LIMIT", "CVNetwork", "PullCV", "awh_lines", "check_length",
           "expression", "from_model", "load_model", "pull_block", "read_xvg"]

#: muparser (GROMACS 2022) rejects expressions of this many characters or more.
MUPARSER_LIMIT = 20_000
LAYOUTS = ("auto", "inline", "scratch")
_DIGITS = 9  # significant digits of every written number


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
    #: the constant-force coordinate of a fixed bias along the CV (:mod:`mdcv.md.cvbias`)
    bias_coord: int | None = None

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
    ``error_init`` (kJ/mol), ``force_constant`` (kJ/mol/CV²), ``diffusion`` (CV²/ps)
    (each one value, or one per component), ``start``/``end`` (one per component, CV
    units). Or ``umbrella``: ``k``
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
    per_dim = {}  # force_constant, diffusion: one for all dimensions or one per dimension
    for key in ("force_constant", "diffusion"):
        value = awh[key]
        per_dim[key] = list(value) if isinstance(value, Sequence) else [value] * len(coords)
        if len(per_dim[key]) != len(coords):
            raise ConfigError(f"AWH {key}: one value or one per CV component ({len(coords)}), "
                              f"got {value}")
    for d, c in enumerate(coords, start=1):
        if not start[d - 1] < end[d - 1]:
            raise ConfigError(f"AWH dimension {d}: start {start[d - 1]} must be below end "
                              f"{end[d - 1]} (CV units)")
        lines += [f"awh1-dim{d}-coord-provider = pull", f"awh1-dim{d}-coord-index = {c}",
                  f"awh1-dim{d}-start = {_num(start[d - 1])}",
                  f"awh1-dim{d}-end = {_num(end[d - 1])}",
                  f"awh1-dim{d}-force-constant = {per_dim['force_constant'][d - 1]}",
                  f"awh1-dim{d}-diffusion = {per_dim['diffusion'][d - 1]}"]
    return lines


def read_xvg(path) -> np.ndarray:
    """The numbers of an .xvg file (pullx.xvg: time in ps, then one column per
    coordinate: dihedrals in degrees, transformation coordinates in CV units)."""
    rows = [line.split() for line in Path(path).read_text().splitlines()
            if line.strip() and line[0] not in "#@"]
    return np.array(rows, dtype=np.float64)
