"""Weighted statistics under μ, for numpy arrays and torch tensors alike.

Weights ``w`` (n,) are the reweighting factors of a dataset (any positive scale; they
are normalized here), so E_μ[g] ≈ Σ w g / Σ w.
"""

from __future__ import annotations

import logging
import warnings

import numpy as np

log = logging.getLogger(__name__)


def weighted_mean(values, w):
    """E_w[values] along axis 0; ``values`` (n, ...) and ``w`` (n,)."""
    wn = w / w.sum()
    return (wn.reshape(-1, *([1] * (values.ndim - 1))) * values).sum(0)


def weighted_cov(a, w, b=None):
    """Cov_w(a_i, b_j) (k, m) for a (n, k) and b (n, m) (b defaults to a)."""
    b = a if b is None else b
    wn = (w / w.sum())[:, None]
    am = a - (wn * a).sum(0)
    bm = b - (wn * b).sum(0)
    return (wn * am).T @ bm


def weighted_var(a, w):
    """Var_w of each column of a (n, k) -> (k,)."""
    wn = (w / w.sum())[:, None]
    am = a - (wn * a).sum(0)
    return (wn * am * am).sum(0)


def weighted_corr(a, b, w):
    """Weighted Pearson correlation of two 1D arrays (a float), or of the matching
    columns of two (n, k) arrays (a (k,) numpy array)."""
    if a.ndim == 2:
        return np.array([weighted_corr(a[:, j], b[:, j], w) for j in range(a.shape[1])])
    cov = weighted_cov(a[:, None], w, b[:, None])[0, 0]
    return float(cov / (weighted_var(a[:, None], w)[0] * weighted_var(b[:, None], w)[0]) ** 0.5)


# --- block bootstrap over correlated frames ---------------------------------------------------
def block_ids(t, block_length: float, traj=None) -> np.ndarray:
    """Block of each frame (n,) int: contiguous stretches of ``block_length`` in the unit of
    ``t`` (ps for molecules), never across trajectories.

    ``t`` (n,): time of each frame; ``traj`` (n,): trajectory id (default: one). Frames of a
    trajectory are contiguous and in time order (the dataset contract); a stretch starts at
    its trajectory's first frame. ``block_length`` ≤ 0 makes every frame its own block
    (the frame bootstrap).
    """
    t = np.asarray(t, dtype=np.float64)
    traj = np.zeros(len(t), dtype=np.int64) if traj is None else np.asarray(traj)
    if len(traj) != len(t):
        raise ValueError(f"t has {len(t)} frames and traj {len(traj)}: one entry per frame")
    if len(t) == 0:
        return np.zeros(0, dtype=np.int64)
    if block_length <= 0:
        return np.arange(len(t))
    new = np.r_[True, traj[1:] != traj[:-1]]
    segment = np.cumsum(new) - 1
    stretch = np.floor((t - t[new][segment]) / float(block_length))
    change = new | np.r_[True, stretch[1:] != stretch[:-1]]
    return np.cumsum(change) - 1


def percentile_interval(draws, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Percentile interval (lo, hi) of bootstrap ``draws`` (n_draws, ...) at ``level``,
    ignoring NaN draws; NaN where fewer than two draws are finite."""
    draws = np.asarray(draws, dtype=np.float64)
    if not 0.0 < level < 1.0:
        raise ValueError(f"the interval level must lie in (0, 1), got {level!r}")
    finite = np.isfinite(draws).sum(0)
    with warnings.catch_warnings():  # all-NaN columns: NaN, said below
        warnings.simplefilter("ignore", RuntimeWarning)
        lo, hi = np.nanpercentile(draws, [50.0 * (1.0 - level), 50.0 * (1.0 + level)], axis=0)
    return np.where(finite >= 2, lo, np.nan), np.where(finite >= 2, hi, np.nan)


def block_bootstrap(statistic, ids, n_draws: int = 200, level: float = 0.95,
                    rng: np.random.Generator | None = None, vectorized: bool = False,
                    max_entries: int = 10_000_000) -> dict:
    """Block bootstrap of ``statistic`` over the blocks ``ids`` (n,) (:func:`block_ids`).

    Each draw picks as many blocks as there are, with replacement, and keeps their frames.
    ``vectorized=False``: ``statistic(idx)`` gets the frame indices of one draw (repeats
    allowed, in block order) and returns a scalar or an array; ``vectorized=True``: it
    gets the frame multiplicities of a chunk of draws (m, n) float64 (a weighted
    estimator multiplies its weights by them) and returns (m, ...), chunked so that
    m·n ≤ ``max_entries``. Returns ``estimate`` (on all frames), ``lo``/``hi`` (percentile
    interval at ``level``), ``std`` and ``draws`` (n_draws, ...); with fewer than two
    blocks the interval and std are NaN, with a warning.
    """
    ids = np.asarray(ids)
    n = len(ids)
    rng = np.random.default_rng() if rng is None else rng
    n_blocks = int(ids.max()) + 1 if n else 0
    if n_blocks < 2:
        estimate = np.asarray(statistic(np.ones((1, n)))[0] if vectorized else statistic(np.arange(n)))
        log.warning("a block bootstrap over %d block(s) has no spread: the interval is NaN "
                    "(shorten the block length or add frames)", n_blocks)
        nan = np.full(np.shape(estimate), np.nan)
        return {"estimate": estimate, "lo": nan, "hi": nan, "std": nan,
                "draws": np.full((0, *np.shape(estimate)), np.nan)}
    picks = rng.integers(0, n_blocks, (int(n_draws), n_blocks))
    if vectorized:
        estimate = np.asarray(statistic(np.ones((1, n))))[0]
        chunk = max(1, int(max_entries) // max(n, 1))
        draws = []
        for start in range(0, len(picks), chunk):  # chunks of draws, each one vectorized
            p = picks[start:start + chunk]
            offsets = (np.arange(len(p))[:, None] * n_blocks + p).ravel()
            counts = np.bincount(offsets, minlength=len(p) * n_blocks).reshape(len(p), n_blocks)
            draws.append(np.asarray(statistic(counts[:, ids].astype(np.float64))))
        draws = np.concatenate(draws)
    else:
        estimate = np.asarray(statistic(np.arange(n)))
        order = np.argsort(ids, kind="stable")
        starts = np.searchsorted(ids[order], np.arange(n_blocks + 1))
        frames = [order[a:b] for a, b in zip(starts[:-1], starts[1:], strict=True)]
        draws = np.stack([np.asarray(statistic(np.concatenate([frames[i] for i in p])))
                          for p in picks])  # one call per draw: the statistic is not vectorized
    lo, hi = percentile_interval(draws, level)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        std = np.nanstd(draws, axis=0)
    return {"estimate": estimate, "lo": lo, "hi": hi, "std": std, "draws": draws}

