"""Weighted statistics under μ, for numpy arrays and torch tensors alike.

Weights ``w`` (n,) are the reweighting factors of a dataset (any positive scale; they
are normalized here), so E_μ[g] ≈ Σ w g / Σ w.
"""

from __future__ import annotations

import numpy as np


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
