"""Exact reference spectrum of the overdamped Langevin generator of a 2D potential.

The generator L f = -∇V·∇f + β⁻¹ Δf is discretized on a regular grid of cell centres
with the square-root approximation (SqRA, Lie, Fackeldey & Weber 2013; Donati et al.
2018): the rate from cell i to a neighbouring cell j is

    Q_ij = D / h² · exp(-β (V_j - V_i) / 2),   D = β⁻¹ (friction 1),

with no flux through the box walls (reflecting boundaries). Q is reversible with
respect to π_i ∝ exp(-β V_i), so S = Π^{1/2} Q Π^{-1/2} is symmetric; its
off-diagonal entries are the constant D / h². The smallest eigenvalues of -S are the
λ_i of -L (in the potential's time unit) and φ_i = v_i / sqrt(π) are the
eigenfunctions, normalized to ⟨φ_i, φ_j⟩_μ = δ_ij. The scheme is second-order
accurate in h; :func:`grid_convergence` measures the error by refinement.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from scipy.interpolate import RectBivariateSpline

from mdcv.toy.potentials import Potential, evaluate


@dataclass(frozen=True)
class Spectrum:
    """Eigenpairs of -L on a grid.

    ``eigenvalues`` (m,) ascending, λ_0 ≈ 0 first; ``eigenfunctions`` (m, nx, ny),
    μ-orthonormal, φ_0 ≡ 1, each sign fixed so that its μ-mean over {x > median x}
    is positive; ``density`` (nx, ny) is μ per cell (sums to 1).
    """

    x: np.ndarray
    y: np.ndarray
    potential: np.ndarray
    density: np.ndarray
    eigenvalues: np.ndarray
    eigenfunctions: np.ndarray
    beta: float

    def save(self, path) -> None:
        np.savez(path, **{k: np.asarray(v) for k, v in self.__dict__.items()})

    @classmethod
    def load(cls, path) -> Spectrum:
        with np.load(path) as f:
            return cls(**{k: f[k] for k in f.files if k in cls.__dataclass_fields__})

    def interpolator(self, index: int) -> RectBivariateSpline:
        """Cubic spline of eigenfunction ``index`` (values and derivatives)."""
        return RectBivariateSpline(self.x, self.y, self.eigenfunctions[index], kx=3, ky=3)

    def eigenfunction_at(self, index: int, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Values (n,) and gradients (n, 2) of φ_index at ``points`` (n, 2), by spline."""
        spline = self.interpolator(index)
        px, py = points[:, 0], points[:, 1]
        values = spline.ev(px, py)
        grads = np.stack([spline.ev(px, py, dx=1), spline.ev(px, py, dy=1)], axis=1)
        return values, grads


def cell_centres(box, n: tuple[int, int]) -> tuple[np.ndarray, np.ndarray, float, float]:
    (x0, x1), (y0, y1) = box
    hx, hy = (x1 - x0) / n[0], (y1 - y0) / n[1]
    return x0 + hx * (np.arange(n[0]) + 0.5), y0 + hy * (np.arange(n[1]) + 0.5), hx, hy


def generator_matrix(v: np.ndarray, beta: float, hx: float, hy: float,
                     symmetric: bool = True) -> sp.csr_matrix:
    """SqRA generator (N×N, N = nx·ny) for cell energies ``v`` (nx, ny).

    ``symmetric=True`` gives S = Π^{1/2} Q Π^{-1/2} (constant off-diagonals D/h²);
    ``symmetric=False`` the rate matrix Q itself (rows sum to 0).
    """
    nx, ny = v.shape
    index = np.arange(nx * ny).reshape(nx, ny)
    diffusion = 1.0 / beta
    rows, cols, vals = [], [], []
    diag = np.zeros(nx * ny)
    for axis, h in ((0, hx), (1, hy)):
        lo = [slice(None), slice(None)]
        hi = [slice(None), slice(None)]
        lo[axis], hi[axis] = slice(0, -1), slice(1, None)
        i, j = index[tuple(lo)].ravel(), index[tuple(hi)].ravel()
        dv = (v[tuple(hi)] - v[tuple(lo)]).ravel()
        scale = diffusion / h**2
        rate_ij = scale * np.exp(np.clip(-0.5 * beta * dv, -700, 700))
        rate_ji = scale * np.exp(np.clip(0.5 * beta * dv, -700, 700))
        np.add.at(diag, i, rate_ij)
        np.add.at(diag, j, rate_ji)
        rows += [i, j]
        cols += [j, i]
        if symmetric:
            vals += [np.full(i.size, scale)] * 2
        else:
            vals += [rate_ij, rate_ji]
    off = sp.coo_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                        shape=(nx * ny, nx * ny))
    return (off - sp.diags(diag)).tocsr()


def _repair_low_density(q: sp.csr_matrix, funcs: np.ndarray, vals: np.ndarray,
                        low: np.ndarray) -> np.ndarray:
    """Recompute φ on cells of negligible density from the eigen-equation itself.

    φ = v / sqrt(π) divides round-off by a tiny number where π is negligible, so there
    φ is obtained from (Q + λ) φ = 0 on those cells, with the well-resolved cells as
    boundary values (a diagonally dominant linear system).
    """
    if not low.any() or low.all():
        return funcs
    out = funcs.copy()
    q_ll = q[low][:, low]
    q_lh = q[low][:, ~low]
    for m, lam in enumerate(vals):
        rhs = -(q_lh @ funcs[~low, m])
        out[low, m] = spla.spsolve((q_ll + lam * sp.identity(q_ll.shape[0])).tocsc(), rhs)
    return out


def compute_spectrum(potential: Potential, beta: float, box, n: tuple[int, int],
                     n_eigen: int, min_log_density: float = -25.0) -> Spectrum:
    """The ``n_eigen`` + 1 smallest eigenpairs of -L (λ_0 = 0 included) on an n grid.

    On cells where log(π/π_max) < ``min_log_density`` the eigenfunctions are
    recomputed from the eigen-equation (see :func:`_repair_low_density`), so they stay
    smooth and bounded where samples of a biased run may still land.
    """
    x, y, hx, hy = cell_centres(box, n)
    gx, gy = np.meshgrid(x, y, indexing="ij")
    v = evaluate(potential, np.stack([gx.ravel(), gy.ravel()], axis=1)).reshape(n)
    s = generator_matrix(v, beta, hx, hy)
    m = n_eigen + 1
    # A fixed start vector: ARPACK's own is random, which changes the last digits per run.
    v0 = np.random.default_rng(0).standard_normal(s.shape[0])
    vals, vecs = spla.eigsh(-s, k=m, sigma=-1e-6 * (1.0 / (beta * min(hx, hy) ** 2)), which="LM",
                            v0=v0)
    order = np.argsort(vals)
    vals, vecs = vals[order], vecs[:, order]
    logpi = (-beta * (v - v.min())).ravel()
    pi = np.exp(logpi)
    pi /= pi.sum()
    funcs = vecs / np.sqrt(pi)[:, None]
    funcs = _repair_low_density(generator_matrix(v, beta, hx, hy, symmetric=False), funcs,
                                vals, logpi < min_log_density)
    # μ-normalize (Σ π φ² = 1) and fix signs.
    funcs /= np.sqrt((pi[:, None] * funcs**2).sum(axis=0))
    right = (gx.ravel() > np.median(x))[:, None]
    sign = np.sign((pi[:, None] * funcs * right).sum(axis=0))
    funcs *= np.where(sign == 0, 1.0, sign)
    vals[0] = 0.0 if abs(vals[0]) < 1e-8 * max(abs(vals[-1]), 1e-300) else vals[0]
    return Spectrum(x=x, y=y, potential=v, density=pi.reshape(n), eigenvalues=vals,
                    eigenfunctions=funcs.T.reshape(m, *n), beta=float(beta))


def grid_convergence(potential: Potential, beta: float, box, sizes: list[tuple[int, int]],
                     n_eigen: int) -> pd.DataFrame:
    """Eigenvalues on successively finer grids and their relative change to the finest.

    Returns one row per (grid, index ≥ 1) with columns ``nx, ny, index, eigenvalue,
    rel_change_to_finest``.
    """
    rows = []
    results = [compute_spectrum(potential, beta, box, tuple(s), n_eigen) for s in sizes]
    finest = results[-1].eigenvalues
    for size, res in zip(sizes, results, strict=True):
        for i in range(1, n_eigen + 1):
            rows.append({"nx": size[0], "ny": size[1], "index": i,
                         "eigenvalue": res.eigenvalues[i],
                         "rel_change_to_finest": abs(res.eigenvalues[i] / finest[i] - 1.0)})
    return pd.DataFrame(rows)
