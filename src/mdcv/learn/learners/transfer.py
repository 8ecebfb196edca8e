"""Transfer-operator eigenfunctions from (reweighted) trajectories.

**Data**: ``x``, ``w``, ``t``, ``traj`` with equally spaced frames; lagged pairs
(x_t, x_{t+τ}) never cross trajectories (:mod:`mdcv.learn.pairs`, index arithmetic, memory
linear in the frames). A pair's weight is its start frame's ``w``.
**Loss**: :func:`mdcv.learn.losses.transfer_loss`, ½ Σ ω_i E_w|f_i(x_{t+τ}) - f_i(x_t)|² + α
Σ_{i≤j} (Cov_w(f_i, f_j) - δ_ij)² (``loss: study``), or each transition term divided by
τ·Var(f_i) (``loss: normalized``, the default: the scale of the generator loss).
**Read-outs**: transfer eigenvalues σ_i ≈ exp(-λ_i τ), reported as the implied
generator eigenvalues λ_i = -ln(σ_i)/τ (eigenvalues.csv ``eigenvalue``) and implied
timescales τ/(-ln σ_i) = 1/λ_i (``timescale``), in the inverse time unit of ``t``
(toy: the potential's; MD datasets, with ``kT``, have t in ps and are reported in ns⁻¹):
``rayleigh`` (the study: per-step estimates, mean ± std over the last ``average_last``
steps), ``ritz`` (variational approach, VAC, in span{f} on all pairs), ``galerkin``
(VAC on hat functions of f_1, quantile nodes, plus hats of f_2..f_K: the transfer
analogue of the effective dynamics along f_1). Stds of ritz/galerkin: bootstrap over
trajectories.

References: Zhang & Schütte (2023), PAMM e202300189 (the loss); Nüske et al. (2014),
J. Chem. Theory Comput. 10, 1739 (VAC).
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import scipy.sparse as sp
import torch

from mdcv.learn import spectral
from mdcv.learn.learners.base import BaseLearner, Readout, eigen_table
from mdcv.learn.learners.generator import default_omega
from mdcv.learn.losses import transfer_loss
from mdcv.learn.models import EigenfunctionModel, evaluate_in_chunks
from mdcv.learn.pairs import lagged_pairs
from mdcv.learn.spectral import hat_basis, quantile_nodes
from mdcv.units import PS_PER_NS

log = logging.getLogger(__name__)

N_BOOTSTRAP = 10


def _sym_matrices(b0, b1, w):
    """Symmetrized, centred C(0) and C(τ) of basis values b0, b1 (n, m), weights w (n,)."""
    wn = np.asarray(w, dtype=np.float64) / np.sum(w)
    dw = sp.diags(wn)
    mean = 0.5 * (np.asarray(b0.T @ wn).ravel() + np.asarray(b1.T @ wn).ravel())
    c00 = 0.5 * (b0.T @ dw @ b0 + b1.T @ dw @ b1)
    c01 = 0.5 * (b0.T @ dw @ b1 + b1.T @ dw @ b0)
    c00 = np.asarray(c00.todense() if sp.issparse(c00) else c00) - np.outer(mean, mean)
    c01 = np.asarray(c01.todense() if sp.issparse(c01) else c01) - np.outer(mean, mean)
    return c00, c01


def vac(b0, b1, w, n_eigen: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Variational approach: transfer eigenvalues σ (descending) and coefficients.

    ``b0``, ``b1`` (n, m) (dense or sparse): basis functions at the start and end of
    each pair; the constant is removed by centring, redundant directions by solving on
    the range of C(0).
    """
    c00, c01 = _sym_matrices(b0, b1, w)
    evals, evecs = np.linalg.eigh(c00)
    keep = evals > 1e-10 * evals.max()
    p = evecs[:, keep] / np.sqrt(evals[keep])
    vals, vecs = np.linalg.eigh(p.T @ c01 @ p)
    order = np.argsort(vals)[::-1]
    k = n_eigen or len(order)
    return vals[order][:k], (p @ vecs[:, order])[:, :k]


def hat_features(f: np.ndarray, n_cells: int, n_cells_rest: int, min_per_cell: int = 300):
    """Hat-function nodes for f_1 (``n_cells``) and f_2..f_K (``n_cells_rest`` each)."""
    return [quantile_nodes(f[:, i], n_cells if i == 0 else n_cells_rest, min_per_cell)
            for i in range(f.shape[1])]


def hat_design(f: np.ndarray, nodes: list[np.ndarray]) -> sp.csr_matrix:
    """Sparse values (n, Σ m_i) of the hat functions of each column of f."""
    return sp.hstack([hat_basis(f[:, i], nodes[i])[0] for i in range(f.shape[1])]).tocsr()


def implied_rates(sigma: np.ndarray, lag: float) -> np.ndarray:
    """-ln(σ)/τ, ascending (σ ≤ 0 gives inf)."""
    sigma = np.asarray(sigma, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        rates = np.where(sigma > 0, -np.log(np.clip(sigma, 1e-300, None)) / lag, np.inf)
    return np.sort(rates)


class TransferLearner(BaseLearner):
    """Trains K transfer-operator eigenfunctions at lag τ; see the module docstring."""

    def __init__(self, dataset, settings, device):
        super().__init__(dataset, settings, device)
        k = int(settings["k"])
        omega = settings.get("omega") or default_omega(k)
        if len(omega) != k or any(a <= b for a, b in zip(omega[:-1], omega[1:], strict=False)):
            raise ValueError(f"omega must have k={k} strictly decreasing entries, got {omega}")
        self.omega = torch.as_tensor(omega, dtype=torch.float32, device=device)
        self.pairs = lagged_pairs(dataset.t, dataset.traj, float(settings["lag"]))
        self.start = torch.as_tensor(self.pairs.start, device=device)
        self.n = len(self.pairs)
        md = dataset.get("kT") is not None
        self.rate_scale = PS_PER_NS if md else 1.0
        self.unit = "1/ns" if md else "1/time"
        self.model = EigenfunctionModel(
            dataset.dim, k, settings["layers"], settings["activation"],
            settings["architecture"], settings["bounded_first"]).to(device)
        self.model.calibrate(self.x, self.w)
        self.log_w = torch.log(self.w.clamp_min(1e-30))
        log.info("transfer learner: %d pairs at lag %.6g (%d frames of %.6g)", self.n,
                 self.pairs.lag, self.pairs.steps, self.pairs.frame_dt)

    def prepare(self, gen: torch.Generator) -> None:
        """``init: spectral``: fit the networks to a radial-basis VAC guess.

        VAC (:func:`vac`) on ``init_centres`` Gaussian radial basis functions
        (:func:`mdcv.learn.spectral.rbf_basis`) over ``init_samples`` lagged pairs: a first guess
        built from the trajectories alone, with the right nodal structure. The networks
        are regressed on it at the pairs' start frames (:meth:`regress_on`); the transfer
        loss takes over from there.
        """
        if self.settings.get("init", "random") != "spectral":
            return
        k = self.model.k
        rng = np.random.default_rng(int(torch.randint(0, 2**31 - 1, (1,), generator=gen)))
        pick = rng.choice(self.n, size=min(self.n, int(self.settings["init_samples"])),
                          replace=False)
        a, b = self.pairs.start[pick], self.pairs.end[pick]
        x = self.dataset.x
        centres, width = spectral.rbf_basis(x[a], int(self.settings["init_centres"]), rng)
        start = spectral.rbf_values(x[a], centres, width)
        sigma, coef = vac(start, spectral.rbf_values(x[b], centres, width), self.dataset.w[a], k)
        log.info("spectral initialization: radial-basis VAC implied rates %s",
                 np.array2string(implied_rates(sigma, self.pairs.lag) * self.rate_scale,
                                 precision=5))
        self.regress_on(a, start @ coef, gen)

    def batch_weights(self, a: torch.Tensor) -> torch.Tensor:
        """Pair weights; during the first ``anneal_steps`` steps w^s, s: 0 → 1.

        As for the generator learner: training starts on the well-sampled biased
        ensemble (on Müller-Brown, μ puts 0.3 % of its mass outside the deep basin, so
        with μ-weights a second function first locks onto a vibration of that basin,
        rate ~56, a plateau Adam leaves only by chance) and follows it continuously to μ.
        """
        anneal = int(self.settings.get("anneal_steps", 0))
        if anneal <= 0 or self.step >= anneal:
            return self.w[a]
        lw = (self.step / anneal) * self.log_w[a]
        return torch.exp(lw - lw.max())

    def batch_loss(self, idx):
        a = self.start[idx]
        b = a + self.pairs.steps
        f = self.model(torch.cat([self.x[a], self.x[b]]))
        f0, f1 = f[: len(a)], f[len(a):]
        loss, parts = transfer_loss(f0, f1, self.batch_weights(a), self.omega, self.settings["alpha"],
                                    self.pairs.lag, self.settings["loss"] == "normalized",
                                    self.settings["deflation"])
        rates = parts["rate"] * self.rate_scale
        scalars = {"penalty": parts["penalty"].detach()}
        scalars.update({f"sigma_{i + 1}": v for i, v in enumerate(parts["sigma"].detach())})
        return loss, scalars, rates

    def readout(self, result) -> Readout:
        f = evaluate_in_chunks(self.model, self.x, gradients=False).double().cpu().numpy()
        w = self.dataset.w
        a, b = self.pairs.start, self.pairs.end
        wp = w[a]
        lag = self.pairs.lag
        k = f.shape[1]
        n_last = min(int(self.settings["average_last"]), len(result.step_estimates))
        last = np.sort(result.step_estimates[-n_last:], axis=1)
        rows = [_rows("rayleigh", last.mean(0), last.std(0), self.unit)]
        sig_ritz, vecs = vac(f[a], f[b], wp)
        nodes = hat_features(f, self.settings["galerkin_cells"],
                             self.settings["galerkin_cells_rest"])
        h = hat_design(f, nodes)
        h0, h1 = h[a], h[b]
        sig_gal, _ = vac(h0, h1, wp, k)
        counts_rng = np.random.default_rng(0)
        n_traj = int(self.dataset.traj.max()) + 1
        boot = {"ritz": [], "galerkin": []}
        for _ in range(N_BOOTSTRAP):
            c = np.bincount(counts_rng.integers(0, n_traj, n_traj), minlength=n_traj)
            wb = wp * c[self.dataset.traj[a]]
            boot["ritz"].append(implied_rates(vac(f[a], f[b], wb, k)[0], lag))
            boot["galerkin"].append(implied_rates(vac(h0, h1, wb, k)[0], lag))
        s = self.rate_scale
        rows.append(_rows("ritz", implied_rates(sig_ritz, lag) * s,
                          np.std(boot["ritz"], 0) * s, self.unit))
        rows.append(_rows("galerkin", implied_rates(sig_gal, lag) * s,
                          np.std(boot["galerkin"], 0) * s, self.unit))
        readouts = pd.concat(rows, ignore_index=True)
        chosen = readouts[readouts["readout"] == self.settings["readout"]].drop(columns="readout")
        centred = f - (w[:, None] * f).sum(0) / w.sum()
        eigenfunctions = centred @ vecs
        # Order the raw outputs by their own transfer estimate (slowest first).
        wn = wp / wp.sum()
        var = (wn[:, None] * (centred[a] ** 2 + centred[b] ** 2) / 2).sum(0)
        one_minus = 0.5 * (wn[:, None] * (f[b] - f[a]) ** 2).sum(0) / var
        order = np.argsort(one_minus)
        return Readout(
            eigenvalues=chosen.reset_index(drop=True),
            readouts=readouts,
            cv={"cv": f.astype(np.float32), "eigenfunctions": eigenfunctions.astype(np.float32),
                "sorted_cv": f[:, order].astype(np.float32),
                # To rebuild both on other data (mdcv.analysis.effective.functions_on_data).
                "order": order, "ritz_vectors": vecs},
            info={"unit": self.unit, "readout": self.settings["readout"], "lag": lag,
                  "lag_frames": self.pairs.steps, "pairs": self.n,
                  "sigma_ritz": sig_ritz.tolist(), "sigma_galerkin": sig_gal.tolist()},
        )


def _rows(name: str, values, stds, unit: str) -> pd.DataFrame:
    table = eigen_table(values, stds, unit)
    table.insert(0, "readout", name)
    return table
