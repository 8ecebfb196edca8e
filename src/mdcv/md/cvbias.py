"""A fixed bias along an exported CV ξ: the PMF F(ξ) from AWH, V_b(ξ) in GROMACS and numpy.

The bias flattens the free energy along the CV, as the study's CMAP bias does on
(φ, ψ) (:mod:`mdcv.md.bias`): V_b(ξ) = -c·min(F(ξ) - min F, cap), smoothed. GROMACS
applies it as one more ``transformation`` pull coordinate of type ``constant-force``
with k = 1 (energy k·y: the coordinate's value y is the bias in kJ/mol), whose
expression reads the CV coordinate; GROMACS passes its force to the dihedrals by the
chain rule. The expression is a polynomial in a clamped, smoothed variable::

    t = clamp(2(ξ - lo)/(hi - lo) - 1, -1, 1),   s = (3t - t³)/2,   V_b = Σ_k p_k s^k

so V_b is constant beyond [lo, hi] (the AWH range) and its derivative goes to zero at
both ends (ds/dt = 0 at t = ±1). The coefficients come from a least-squares Chebyshev
fit in s, converted to powers and written with every digit (``repr``), so
:meth:`FixedBias.__call__` evaluates exactly the written numbers. The clamp is
written with |y| = (y²)^0.5. Units: kJ/mol, CV units; kT converts.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.polynomial import chebyshev
from scipy.ndimage import gaussian_filter1d

from mdcv.errors import ConfigError, DataError
from mdcv.md.pullcv import PullCV, check_length

#: Settings of the fixed CV bias: ``fraction`` c and ``cap`` (kJ/mol) as md.bias;
#: ``smooth``: Gaussian filter width as a fraction of the AWH range (0: none);
#: ``degree`` of the polynomial; ``fit_tolerance``: allowed max |fit - target| (kJ/mol);
#: ``tolerance``: allowed max |V_b(numpy) - GROMACS's bias energy| on frames (kJ/mol).
DEFAULTS = {"fraction": 0.7, "cap": 40.0, "smooth": 0.03, "degree": 20,
            "fit_tolerance": 1.0, "tolerance": 0.5}


@dataclass
class CvPmf:
    """F (kJ/mol, min 0) on the AWH grid ``xi`` (n,) along a CV (CV units)."""

    xi: np.ndarray
    f: np.ndarray

    def in_kT(self, kT: float) -> np.ndarray:
        """F in units of k_B T (``kT`` in kJ/mol)."""
        return self.f / kT

    def save(self, path) -> None:
        np.savez(path, xi=self.xi, f=self.f)

    @classmethod
    def load(cls, path) -> CvPmf:
        with np.load(path, allow_pickle=False) as data:
            return cls(data["xi"], data["f"])


def read_awh_pmf(path, start: float | None = None, end: float | None = None) -> CvPmf:
    """The 1D PMF in a ``gmx awh`` output file (columns ξ in CV units, F kJ/mol).

    ``gmx awh`` prints ξ with 4 decimals; the grid is rebuilt as the regular grid from
    ``start`` to ``end`` (the AWH range; default: the first and last printed points),
    after checking the printed column against it to that precision.
    """
    data = np.loadtxt(path, comments=("#", "@"), ndmin=2)
    if data.shape[0] < 2 or data.shape[1] < 2:
        raise DataError(f"{path}: expected columns CV, PMF on at least 2 points; got shape "
                        f"{data.shape}")
    xi, f = data[:, 0], data[:, 1]
    if np.any(np.diff(xi) <= 0):
        raise DataError(f"{path}: the CV column is not increasing: not a 1D AWH PMF (a 2D "
                        "bias writes one row per grid point of both dimensions)")
    grid = np.linspace(xi[0] if start is None else start, xi[-1] if end is None else end,
                       len(xi))
    off = np.abs(xi - grid).max()
    if off > 1e-4 + 1e-6 * np.abs(grid).max():
        raise DataError(f"{path}: the CV column is {off:.3g} off the regular grid from "
                        f"{grid[0]} to {grid[-1]} (CV units): not the AWH grid of this range")
    xi = grid
    if not np.isfinite(f).any():
        raise DataError(f"{path}: the PMF holds no finite value")
    return CvPmf(xi, f - np.nanmin(f))


def awh_pmf(edr, tpr, xvg, logfile, start: float | None = None,
            end: float | None = None) -> CvPmf:
    """The last PMF along the CV of an AWH run (``gmx awh`` on its .edr and .tpr);
    ``start``, ``end``: the AWH range (see :func:`read_awh_pmf`)."""
    from mdcv.md import gromacs

    return read_awh_pmf(gromacs.awh_pmf(edr, tpr, xvg, logfile), start, end)


def _clamped(xi, lo: float, hi: float) -> np.ndarray:
    t = (np.asarray(xi, dtype=np.float64) - (lo + hi) / 2) * (2 / (hi - lo))
    return np.clip(t, -1.0, 1.0)


def _smoothstep(t):
    return (3 * t - t**3) / 2


@dataclass(frozen=True)
class FixedBias:
    """V_b(ξ) = Σ_k coefs[k]·s^k (kJ/mol), s = smoothstep(clamp(ξ)), flat outside [lo, hi].

    ``fit_error``: max |V_b - target| on the PMF grid (kJ/mol), the target being
    -c·min(F - min F, cap) after smoothing.
    """

    lo: float
    hi: float
    coefs: tuple[float, ...]
    fit_error: float

    def __post_init__(self):
        if not self.lo < self.hi:
            raise ConfigError(f"the bias range needs lo < hi, got [{self.lo}, {self.hi}]")

    @property
    def _center_scale(self) -> tuple[float, float]:
        return (self.lo + self.hi) / 2, 2 / (self.hi - self.lo)

    def __call__(self, xi) -> np.ndarray:
        """V_b (kJ/mol) at CV values ``xi``, as GROMACS evaluates the expression."""
        center, scale = self._center_scale
        t = (np.asarray(xi, dtype=np.float64) - center) * scale
        s = _smoothstep((np.abs(t + 1) - np.abs(t - 1)) / 2)
        value = np.full_like(s, self.coefs[-1])
        for c in self.coefs[-2::-1]:
            value = c + s * value
        return value

    def derivative(self, xi) -> np.ndarray:
        """dV_b/dξ (kJ/mol per CV unit); zero outside [lo, hi]."""
        t = _clamped(xi, self.lo, self.hi)
        s = _smoothstep(t)
        powers = np.arange(1, len(self.coefs))
        dv_ds = np.polynomial.polynomial.polyval(s, powers * np.asarray(self.coefs[1:]))
        return dv_ds * 1.5 * (1 - t**2) * self._center_scale[1]

    def expression(self, cv_coord: int) -> str:
        """The muparser expression of V_b along pull coordinate ``cv_coord``.

        Its variable ``x<cv_coord>`` is first overwritten with s (muparser assigns into
        GROMACS's copy of the values, read before the assignment), then the polynomial
        is written in Horner form.
        """
        center, scale = self._center_scale
        x = f"x{int(cv_coord)}"
        t = f"({x}{-center:+})*{scale!r}"  # the sign folded: never "--"
        clamp = f"((({t}+1)^2)^0.5-(({t}-1)^2)^0.5)/2"
        horner = repr(self.coefs[-1])
        for c in self.coefs[-2::-1]:
            horner = f"{c!r}+{x}*({horner})"
        text = f"{x}={clamp},{x}=(3*{x}-{x}*{x}*{x})/2,{horner}"
        check_length(text, "the fixed bias expression")
        return text


def target(pmf: CvPmf, fraction: float, cap: float, smooth: float) -> np.ndarray:
    """-fraction·min(F - min F, cap) on the PMF grid (kJ/mol), Gaussian-smoothed with a
    width of ``smooth`` × the grid's range (non-finite F counts as ``cap``)."""
    if not 0 <= fraction <= 1:
        raise ConfigError(f"the bias fraction must lie in [0, 1], got {fraction!r}")
    if cap <= 0:
        raise ConfigError(f"the bias cap must be positive (kJ/mol), got {cap!r}")
    f = np.asarray(pmf.f, dtype=np.float64)
    finite = np.isfinite(f)
    if not finite.any():
        raise DataError("the PMF along the CV holds no finite value")
    capped = np.minimum(np.where(finite, f - f[finite].min(), cap), cap)
    if smooth > 0:
        spacing = (pmf.xi[-1] - pmf.xi[0]) / (len(pmf.xi) - 1)
        capped = gaussian_filter1d(capped, smooth * (pmf.xi[-1] - pmf.xi[0]) / spacing,
                                   mode="nearest")
        capped -= capped.min()
    return -fraction * capped


def fit(pmf: CvPmf, fraction: float = DEFAULTS["fraction"], cap: float = DEFAULTS["cap"],
        smooth: float = DEFAULTS["smooth"], degree: int = DEFAULTS["degree"],
        tolerance: float = DEFAULTS["fit_tolerance"]) -> FixedBias:
    """The fixed bias of ``pmf``: least squares on its grid; flat beyond the grid's ends.

    Raises :class:`ConfigError` when the fit misses the target by more than
    ``tolerance`` kJ/mol somewhere on the grid.
    """
    xi = np.asarray(pmf.xi, dtype=np.float64)
    if degree < 1 or degree >= len(xi):
        raise ConfigError(f"the bias polynomial degree must lie in [1, {len(xi) - 1}] (grid "
                          f"points - 1), got {degree}")
    goal = target(pmf, fraction, cap, smooth)
    s = _smoothstep(_clamped(xi, xi[0], xi[-1]))
    cheb, *_ = np.linalg.lstsq(chebyshev.chebvander(s, degree), goal, rcond=None)
    coefs = tuple(float(c) for c in chebyshev.cheb2poly(cheb))
    bias = FixedBias(float(xi[0]), float(xi[-1]), coefs, 0.0)
    error = float(np.abs(bias(xi) - goal).max())
    if error > tolerance:
        raise ConfigError(f"the fixed CV bias misses its target -c·min(F, cap) by up to "
                          f"{error:.3g} kJ/mol (> tolerance {tolerance}); raise the polynomial "
                          f"degree (now {degree}) or the smoothing (now {smooth} of the range)")
    return dataclasses.replace(bias, fit_error=error)


def with_bias(block: PullCV, bias: FixedBias, component: int = 0) -> PullCV:
    """``block`` with the fixed bias along CV component ``component`` as one more pull
    coordinate (constant-force, k = 1, after the CV coordinates); its number is
    ``bias_coord``. The bias energy appears in the .edr as ``COM Pull En.``."""
    if block.bias_coord is not None:
        raise ConfigError("this pull block already carries a fixed bias")
    if not 0 <= component < len(block.cv_coords):
        raise ConfigError(f"component must lie in [0, {len(block.cv_coords)}), got {component}")
    cv_coord, coord = block.cv_coords[component], block.cv_coords[-1] + 1
    lines = [f"; coordinate {coord}: fixed bias V_b (kJ/mol) along CV component {component}",
             f"pull-coord{coord}-type = constant-force", f"pull-coord{coord}-k = 1",
             f"pull-coord{coord}-geometry = transformation",
             f"pull-coord{coord}-expression = {bias.expression(cv_coord)}"]
    old = f"pull-ncoords = {block.cv_coords[-1]}\n"
    if old not in block.mdp:
        raise ConfigError(f"the pull block has no line {old.strip()!r}; build it with "
                          "mdcv.md.pullcv.pull_block")
    mdp = block.mdp.replace(old, f"pull-ncoords = {coord}\n") + "\n".join(lines) + "\n"
    return dataclasses.replace(block, mdp=mdp, bias_coord=coord)


def frame_angles(atoms, xyz) -> np.ndarray:
    """Dihedrals (n, m) in radians of frames ``xyz`` (n, atoms, 3) nm, for 1-based atom
    numbers ``atoms`` (m, 4) (a :class:`~mdcv.md.cvnet.CVNetwork`'s). The frames must
    hold whole molecules (:func:`mdcv.md.features.load_solute` makes them whole)."""
    p = np.asarray(xyz, dtype=np.float64)[:, np.asarray(atoms) - 1]  # (n, m, 4, 3)
    b1, b2, b3 = p[:, :, 1] - p[:, :, 0], p[:, :, 2] - p[:, :, 1], p[:, :, 3] - p[:, :, 2]
    n1, n2 = np.cross(b1, b2), np.cross(b2, b3)
    y = (np.cross(n1, n2) * b2).sum(-1) / np.linalg.norm(b2, axis=-1)
    return np.arctan2(y, (n1 * n2).sum(-1))


def weights(v_bias, kT: float) -> np.ndarray:
    """Reweighting weights w ∝ exp(V_b/kT), mean 1 (``v_bias`` kJ/mol, ``kT`` kJ/mol)."""
    from mdcv import data

    return data.log_weights_to_weights(np.asarray(v_bias, dtype=np.float64) / kT)


def gromacs_bias(edr, times) -> np.ndarray:
    """The pull energy ``COM Pull En.`` (kJ/mol) at frame ``times`` (ps) of a run whose
    only pull energy is the fixed bias (nstenergy must equal the frame interval)."""
    from mdcv.md.features import at_times, energy_terms

    terms = energy_terms(edr, ["COM Pull En."])
    return at_times(np.asarray(times), terms["Time"], terms["COM Pull En."], str(edr))


def check_bias(v_bias, v_gromacs, tolerance: float = DEFAULTS["tolerance"],
               source: str = "the run") -> float:
    """Max |V_b(numpy) - V_b(GROMACS)| over frames (kJ/mol); raise :class:`DataError`
    above ``tolerance``: the weights would not match the bias that was applied."""
    dev = np.abs(np.asarray(v_bias, dtype=np.float64) - np.asarray(v_gromacs, dtype=np.float64))
    if dev.size == 0:
        raise DataError(f"{source}: no frame to check the fixed CV bias on")
    if not np.all(np.isfinite(dev)) or dev.max() > tolerance:
        raise DataError(f"{source}: the bias GROMACS applied differs from V_b on the frames by up "
                        f"to {np.nanmax(dev):.3g} kJ/mol (> tolerance {tolerance}): the run's "
                        "pull block and the bias used for the weights are not the same "
                        "(rebuild the run's .mdp from this bias), or the frames are not whole "
                        "molecules (load them with mdcv.md.features.load_solute)")
    return float(dev.max())


def save_bias(bias: FixedBias, path) -> Path:
    """Write ``bias`` (.npz: lo, hi, coefs, fit_error)."""
    path = Path(path)
    np.savez(path, lo=bias.lo, hi=bias.hi, coefs=np.asarray(bias.coefs),
             fit_error=bias.fit_error)
    return path


def load_bias(path) -> FixedBias:
    """A bias written by :func:`save_bias`."""
    with np.load(path, allow_pickle=False) as d:
        return FixedBias(float(d["lo"]), float(d["hi"]), tuple(float(c) for c in d["coefs"]),
                         float(d["fit_error"]))
