"""Fixed bias V_bias(φ, ψ) = -c · min(F - min F, cap) applied in GROMACS as a CMAP correction.

The bias flattens the free energy F(φ, ψ) (kJ/mol) to (1 - c)·F. GROMACS evaluates a
CMAP term on a periodic N × N grid (φ major, ψ minor, both starting at -180°, spacing
360°/N) with bicubic interpolation; :func:`evaluate` does the same with a periodic
bicubic spline, so weights exp(β V_bias) can be computed from (φ, ψ) of saved frames.
Angles in radians, energies in kJ/mol.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
from scipy.interpolate import RectBivariateSpline, RegularGridInterpolator
from scipy.ndimage import gaussian_filter

from mdcv.errors import ConfigError, DataError

#: Bonded atom types of C(ACE), N, CA, C, N(NME) in the AMBER force fields.
CMAP_TYPES = ("C", "N", "CT", "C", "N")
_PAD = 4
_MOLECULE_END = (r"^(; Include Position restraint file|#ifdef POSRES|#include"
                 r"|\[ *moleculetype *\]|\[ *system *\])")


def grid_axis(n: int) -> np.ndarray:
    """The CMAP grid points in radians: -π + 2π·i/n, i = 0..n-1."""
    return -np.pi + 2 * np.pi * np.arange(n) / n


def periodic_interpolate(axis_phi, axis_psi, values, phi, psi) -> np.ndarray:
    """Linear interpolation of a periodic grid (regular axes in radians) at (φ, ψ)."""
    axes = []
    padded = np.asarray(values, dtype=float)
    for dim, axis in enumerate((np.asarray(axis_phi), np.asarray(axis_psi))):
        axes.append(np.concatenate([axis[-1:] - 2 * np.pi, axis, axis[:1] + 2 * np.pi]))
        padded = np.concatenate([np.take(padded, [-1], axis=dim), padded,
                                 np.take(padded, [0], axis=dim)], axis=dim)
    fn = RegularGridInterpolator(axes, padded)
    return fn(np.stack([wrap(phi), wrap(psi)], axis=-1))


def wrap(angle) -> np.ndarray:
    """Angles mapped into [-π, π)."""
    return (np.asarray(angle, dtype=float) + np.pi) % (2 * np.pi) - np.pi


def bias_grid(phi_axis, psi_axis, pmf, n: int, fraction: float, cap: float,
              smooth: float = 0.0) -> np.ndarray:
    """V_bias on the n × n CMAP grid (kJ/mol) from a PMF on a regular periodic grid.

    ``pmf`` has shape (len(phi_axis), len(psi_axis)); non-finite values count as ``cap``.
    ``smooth`` (radians) is the width of a periodic Gaussian filter applied to the capped
    PMF first, so that the noise of a short AWH run does not end up in the bias (the
    weights use the bias actually applied, so smoothing never biases the reweighting).
    """
    if not 0 <= fraction <= 1:
        raise ConfigError(f"md.bias.fraction must lie in [0, 1], got {fraction!r}")
    pmf = np.asarray(pmf, dtype=float)
    finite = np.isfinite(pmf)
    if not finite.any():
        raise DataError("the PMF holds no finite value")
    shifted = np.where(finite, pmf - pmf[finite].min(), cap)
    shifted = np.minimum(shifted, cap)
    if smooth > 0:
        spacing = (np.diff(phi_axis).mean(), np.diff(psi_axis).mean())
        shifted = gaussian_filter(shifted, sigma=[smooth / h for h in spacing], mode="wrap")
        shifted -= shifted.min()
    axis = grid_axis(n)
    pp, ss = np.meshgrid(axis, axis, indexing="ij")
    return -fraction * periodic_interpolate(phi_axis, psi_axis, shifted, pp, ss)


def evaluate(grid, phi, psi) -> np.ndarray:
    """V_bias (kJ/mol) at angles (radians) by periodic bicubic interpolation of ``grid``."""
    grid = np.asarray(grid, dtype=float)
    n = grid.shape[0]
    ext = -np.pi + 2 * np.pi * np.arange(-_PAD, n + _PAD) / n
    idx = np.arange(-_PAD, n + _PAD) % n
    spline = RectBivariateSpline(ext, ext, grid[np.ix_(idx, idx)], kx=3, ky=3, s=0)
    return spline(wrap(phi), wrap(psi), grid=False)


def cmap_section(grid, types=CMAP_TYPES) -> str:
    """The ``[ cmaptypes ]`` directive of a grid (kJ/mol), 10 values a line."""
    grid = np.asarray(grid, dtype=float)
    n = grid.shape[0]
    if grid.shape != (n, n):
        raise DataError(f"a CMAP grid must be square, got shape {grid.shape}")
    values = [f"{v:.6f}" for v in grid.ravel()]
    rows = [" ".join(values[i:i + 10]) for i in range(0, len(values), 10)]
    body = "\\\n".join(rows)
    head = f"[ cmaptypes ]\n; mdcv fixed bias on (phi, psi)\n{' '.join(types)} 1 {n} {n}"
    return f"{head}\\\n{body}\n\n"


def add_cmap(top_text: str, grid, atoms=(5, 7, 9, 15, 17), types=CMAP_TYPES) -> str:
    """Topology text with the bias grid as a CMAP on the 1-based backbone ``atoms``.

    The ``[ cmaptypes ]`` go right after the force-field include; the ``[ cmap ]``
    entry goes at the end of the first molecule type (the solute).
    """
    include = re.search(r'^#include "[^"]*forcefield\.itp"\s*$', top_text, flags=re.M)
    if include is None:
        raise DataError("topology has no '#include \"...forcefield.itp\"' line for the CMAP")
    first = re.search(r"^\[ *moleculetype *\]", top_text, flags=re.M)
    if first is None:
        raise DataError("topology has no [ moleculetype ]")
    end = re.search(_MOLECULE_END, top_text[first.end():], flags=re.M)
    stop = first.end() + (end.start() if end else len(top_text) - first.end())
    entry = "[ cmap ]\n; mdcv fixed bias on (phi, psi)\n" + " ".join(map(str, atoms)) + " 1\n\n"
    pos = include.end() + 1
    return (top_text[:pos] + "\n" + cmap_section(grid, types) + top_text[pos:stop] + entry
            + top_text[stop:])


def write_biased_topology(top_in, top_out, grid) -> Path:
    """Copy a topology with the CMAP bias added (see :func:`add_cmap`)."""
    top_out = Path(top_out)
    top_out.write_text(add_cmap(Path(top_in).read_text(), grid))
    return top_out
