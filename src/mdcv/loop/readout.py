"""A round's read-outs: λ1, λ2 and the effective sample size fraction, with 95 % intervals
from a bootstrap over whole walkers (trajectories).

λ is read as the learner reads it (its ``readout``: ``galerkin``, effective dynamics
along f_1 then Rayleigh–Ritz, or ``ritz``; ``rayleigh`` and the ``-validation``/
``-holdout`` read-outs are taken as ``ritz``/their base on all the round's samples) from
the model's values f and gradients g on the round's samples, in the learner's unit
(1/time for toys, 1/ns for molecules). Frames of one walker are correlated, walkers are
independent: each bootstrap replicate draws walkers with replacement and keeps all their
frames; the interval is the 2.5 and 97.5 percentiles of the replicates.
"""

from __future__ import annotations

import numpy as np

from mdcv.learn import spectral
from mdcv.loop.bias import ess_fraction


def eigenvalues(f, g, w, diffusion, settings: dict) -> np.ndarray:
    """λ_1.. of the learned functions f (n, k), gradients g (n, k, d) under ``settings``."""
    base = str(settings.get("readout", "ritz")).split("-")[0]
    if base == "galerkin":
        return spectral.galerkin(f, g, w, diffusion, int(settings["galerkin_cells"]),
                                 int(settings["galerkin_cells_rest"]))
    return spectral.ritz(f, g, w, diffusion)[0]


def walker_resamples(traj: np.ndarray, n_boot: int, seed: int):
    """Index arrays of ``n_boot`` resamples of whole walkers (``traj`` ids, any order)."""
    order = np.argsort(traj, kind="stable")
    _, starts, lengths = np.unique(traj[order], return_index=True, return_counts=True)
    rng = np.random.default_rng(seed)
    for _ in range(n_boot):
        pick = rng.integers(0, len(starts), len(starts))
        ln = lengths[pick]
        offsets = np.repeat(starts[pick] - (np.cumsum(ln) - ln), ln)
        yield order[offsets + np.arange(ln.sum())]


def read_out(f, g, w, traj, diffusion, settings: dict, n_boot: int, seed: int = 0) -> dict:
    """λ1, λ2 (NaN with one function) and the ESS fraction, each with ``_lo``/``_hi``."""
    f, g, w = np.asarray(f, float), np.asarray(g, float), np.asarray(w, float)

    def numbers(idx):
        lam = eigenvalues(f[idx], g[idx], w[idx], diffusion, settings)
        lam2 = lam[1] if len(lam) > 1 else np.nan
        return np.array([lam[0], lam2, ess_fraction(w[idx])])

    point = numbers(np.arange(len(w)))
    boot = np.array([numbers(idx) for idx in walker_resamples(np.asarray(traj), n_boot, seed)])
    lo, hi = np.nanpercentile(boot, [2.5, 97.5], axis=0) if n_boot else (point, point)
    out = {}
    for i, name in enumerate(("lambda1", "lambda2", "ess_fraction")):
        out.update({name: float(point[i]), f"{name}_lo": float(lo[i]), f"{name}_hi": float(hi[i])})
    return out
