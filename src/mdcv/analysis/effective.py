"""Effective dynamics along a learned 1D CV: the quantitative score of a CV.

For a CV ξ: R^d → R the effective dynamics (Legoll & Lelièvre 2010; seed eq. (2)) has
drift b̃(z) = E_μ[Lξ | ξ = z] and diffusion ã(z) = E_μ[Σ_a D_a (∂_a ξ)² | ξ = z]
(D_a = 1/β for the toy systems). Its generator is self-adjoint in L²(μ̃), μ̃ the law of
ξ under μ, with Dirichlet form Ẽ(g) = E_μ[ã(ξ) g'(ξ)²] = E_μ[Σ_a D_a |∂_a (g∘ξ)|²].
So its eigenvalues are the Rayleigh–Ritz values of the full generator on the space
{g∘ξ}, which :func:`mdcv.learn.spectral.effective_1d` solves by Galerkin on hat functions
of ξ with nodes at sample quantiles (weighted samples; b̃ is never formed: the weak
form only needs ã). Zhang, Hartmann & Schütte (2016) (seed (3)):

    λ_i ≤ λ̃_i ≤ λ_i + E(φ_i - φ̃_i∘ξ),

with equality for ξ = φ_i (or any monotone function of it). With sampled expectations
the bound holds up to the estimator's scatter, reported here by a bootstrap.
Eigenvalues are in the inverse time unit of the diffusion given (toy: the potential's).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from mdcv.learn.spectral import effective_1d

N_BOOTSTRAP = 10


@dataclass
class EffectiveSpectrum:
    """λ̃_1, λ̃_2, … of the effective dynamics along one CV, with bootstrap stds."""

    eigenvalues: np.ndarray
    std: np.ndarray
    n_cells: int
    lo: np.ndarray | None = None
    hi: np.ndarray | None = None


def cv_values_and_gradients(model, x: np.ndarray, index: int = 0, chunk: int = 100_000
                            ) -> tuple[np.ndarray, np.ndarray]:
    """Values (n,) and gradients (n, d) of output ``index`` of a CV model at x (n, d).

    ``model`` is any module or TorchScript function (n, d) → (n, k); float64 numpy out.
    """
    values, grads = [], []
    for start in range(0, len(x), chunk):
        xb = torch.as_tensor(np.asarray(x[start:start + chunk]), dtype=torch.float32)
        xb.requires_grad_(True)
        with torch.enable_grad():
            z = model(xb)[:, index]
            (g,) = torch.autograd.grad(z.sum(), xb)
        values.append(z.detach().double().numpy())
        grads.append(g.double().numpy())
    return np.concatenate(values), np.concatenate(grads)


def effective_spectrum(z: np.ndarray, grad_z: np.ndarray, w: np.ndarray, diffusion,
                       n_cells: int = 200, n_eigen: int = 2, n_boot: int = N_BOOTSTRAP,
                       seed: int = 0, blocks: np.ndarray | None = None,
                       level: float = 0.95) -> EffectiveSpectrum:
    """λ̃_1..λ̃_{n_eigen} along the CV z (n,) with gradients (n, d), weights w (n,).

    ``diffusion`` (d,) or scalar: D_a of the Dirichlet form. Uncertainty from ``n_boot``
    resamples: of contiguous ``blocks`` (n,) ids (:func:`mdcv.stats.block_ids`: stds and
    percentile ``lo``, ``hi`` at ``level``), or without blocks of single samples (stds
    only). The hat nodes are sample quantiles of z with at least 300 samples per cell
    (:func:`mdcv.learn.spectral.quantile_nodes`).
    """
    z = np.asarray(z, dtype=np.float64)
    gz = np.asarray(grad_z, dtype=np.float64)
    d = np.broadcast_to(np.asarray(diffusion, dtype=np.float64), (gz.shape[1],))
    w = np.asarray(w, dtype=np.float64)
    vals = effective_1d(z, gz, w, d, n_cells)[0][:n_eigen]
    rng = np.random.default_rng(seed)
    if blocks is not None:
        from mdcv.stats import block_bootstrap

        res = block_bootstrap(lambda s: effective_1d(z[s], gz[s], w[s], d, n_cells)[0][:n_eigen],
                              blocks, n_boot, level, rng)
        return EffectiveSpectrum(eigenvalues=vals, std=np.asarray(res["std"]), n_cells=n_cells,
                                 lo=np.asarray(res["lo"]), hi=np.asarray(res["hi"]))
    boot = []
    for _ in range(n_boot):
        s = rng.integers(0, len(z), len(z))
        boot.append(effective_1d(z[s], gz[s], w[s], d, n_cells)[0][:n_eigen])
    std = np.std(boot, 0) if boot else np.full(len(vals), np.nan)
    return EffectiveSpectrum(eigenvalues=vals, std=std, n_cells=n_cells)


def best_cv_output(model, x: np.ndarray, w: np.ndarray, diffusion, n_cells: int = 200
                   ) -> tuple[int, np.ndarray, np.ndarray]:
    """The output of ``model`` whose effective λ̃_1 is smallest: (index, z, grad_z).

    Each output's λ̃_1 bounds λ_1 from above, so the smallest is the best CV the model
    offers (for eigenfunction learners: the learned φ_1, whatever its output slot).
    """
    with torch.no_grad():
        k = model(torch.as_tensor(np.asarray(x[:2]), dtype=torch.float32)).shape[1]
    best = None
    for i in range(k):
        z, g = cv_values_and_gradients(model, x, i)
        lam = effective_spectrum(z, g, w, diffusion, n_cells, n_eigen=1, n_boot=0).eigenvalues[0]
        if best is None or lam < best[0]:
            best = (lam, i, z, g)
    return best[1], best[2], best[3]


QUALITY_COLUMNS = ["system", "learner", "kind", "cv_output", "lambda_tilde_1", "std",
                   "lambda_1", "rel_gap", "bound_holds", "learned_lambda_1",
                   "learned_lambda_1_rel_error", "learned_lambda_2",
                   "learned_lambda_2_rel_error", "unit"]


def quality_rows(system: str, learners: list[str], kinds: list[str], model_dirs: list,
                 x: np.ndarray, w: np.ndarray, diffusion, reference: np.ndarray,
                 n_cells: int = 200, unit: str = "1/time") -> pd.DataFrame:
    """Rows of results/tables/toy_cv_quality.csv for one system.

    Per learner: λ̃_1 of the effective dynamics along its CV (the best output, see
    :func:`best_cv_output`) on the samples ``x`` with weights ``w``, its bootstrap std,
    the reference λ_1 (``reference`` holds λ_0 = 0, λ_1, …), the relative gap
    λ̃_1/λ_1 - 1, ``bound_holds`` (λ_1 ≤ λ̃_1 + 2·std), and for eigenfunction learners
    their own eigenvalue estimates (eigenvalues.csv) with relative errors.
    """
    rows = []
    lam1 = float(reference[1])
    for name, kind, model_dir in zip(learners, kinds, model_dirs, strict=True):
        model_dir = Path(model_dir)
        model = torch.jit.load(str(model_dir / "model.ts"))
        idx, z, g = best_cv_output(model, x, w, diffusion, n_cells)
        eff = effective_spectrum(z, g, w, diffusion, n_cells, n_eigen=1)
        lt, sd = float(eff.eigenvalues[0]), float(eff.std[0])
        row = {"system": system, "learner": name, "kind": kind, "cv_output": idx + 1,
               "lambda_tilde_1": lt, "std": sd, "lambda_1": lam1, "rel_gap": lt / lam1 - 1.0,
               "bound_holds": bool(lam1 <= lt + 2.0 * sd), "unit": unit}
        eig = pd.read_csv(model_dir / "eigenvalues.csv")
        for i in (1, 2):
            hit = eig[eig["index"] == i]
            if not hit.empty and len(reference) > i:
                val = float(hit["eigenvalue"].iloc[0])
                row[f"learned_lambda_{i}"] = val
                row[f"learned_lambda_{i}_rel_error"] = val / float(reference[i]) - 1.0
        rows.append(row)
    return pd.DataFrame(rows, columns=QUALITY_COLUMNS)


def functions_on_data(model_dir: str | Path, x: np.ndarray, w: np.ndarray) -> dict:
    """``sorted_cv`` and ``eigenfunctions`` of a trained model evaluated on other data.

    For learners trained on another dataset than the one scored (the transfer learner
    trains on trajectories): outputs of model.ts at x (n, d), reordered by cv.npz's
    ``order`` and combined with its ``ritz_vectors`` after weighted centring.
    """
    cv = np.load(Path(model_dir) / "cv.npz")
    model = torch.jit.load(str(Path(model_dir) / "model.ts"))
    with torch.no_grad():
        f = model(torch.as_tensor(np.asarray(x), dtype=torch.float32)).double().numpy()
    k = f.shape[1]
    order = cv["order"] if "order" in cv.files else np.arange(k)
    vecs = cv["ritz_vectors"] if "ritz_vectors" in cv.files else np.eye(k)
    w = np.asarray(w, dtype=np.float64)
    centred = f - (w[:, None] * f).sum(0) / w.sum()
    return {"sorted_cv": f[:, order], "eigenfunctions": centred @ vecs}
