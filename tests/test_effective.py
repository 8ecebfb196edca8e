"""Effective dynamics along a 1D CV: λ̃1 = λ1 for the slow coordinate of a separable potential."""

import numpy as np
import pandas as pd
import pytest
import torch

from mdcv.analysis.effective import best_cv_output, effective_spectrum, quality_rows
from mdcv.toy.potentials import evaluate, separable_double_well
from mdcv.toy.reference import compute_spectrum

BOX = [[-2.0, 2.0], [-2.0, 2.0]]
BETA = 2.0


def quadrature_samples(nx=240, ny=120):
    """Grid points weighted by exp(-βV): a deterministic stand-in for μ-samples."""
    x = np.linspace(*BOX[0], nx)
    y = np.linspace(*BOX[1], ny)
    gx, gy = np.meshgrid(x, y, indexing="ij")
    pts = np.stack([gx.ravel(), gy.ravel()], 1)
    v = evaluate(separable_double_well, pts)
    w = np.exp(-BETA * (v - v.min()))
    return pts, w / w.mean()


def reference_lambda1():
    return compute_spectrum(separable_double_well, BETA, BOX, (160, 160), 2).eigenvalues[1]


def test_slow_coordinate_gives_the_exact_eigenvalue():
    pts, w = quadrature_samples()
    grad = np.tile([1.0, 0.0], (len(pts), 1))
    eff = effective_spectrum(pts[:, 0], grad, w, 1.0 / BETA, n_cells=80, n_boot=0)
    lam1 = reference_lambda1()
    assert abs(eff.eigenvalues[0] / lam1 - 1) < 0.02


def test_a_block_bootstrap_gives_a_percentile_interval_around_the_estimate():
    from mdcv.stats import block_ids

    rng = np.random.default_rng(0)
    n = 4000  # an AR(1) "trajectory" in a double well's slow coordinate, 1 ps frames
    z = np.zeros(n)
    for i in range(1, n):
        z[i] = 0.95 * z[i - 1] + 0.3 * rng.normal()
    grad, w = np.tile([1.0, 0.0], (n, 1)), np.ones(n)
    blocks = block_ids(np.arange(n, dtype=float), 200.0)
    eff = effective_spectrum(z, grad, w, 1.0, n_cells=10, n_eigen=1, n_boot=50, blocks=blocks)
    assert eff.lo[0] < eff.eigenvalues[0] < eff.hi[0] and eff.std[0] > 0
    frames = effective_spectrum(z, grad, w, 1.0, n_cells=10, n_eigen=1, n_boot=50)
    assert frames.lo is None and frames.std[0] < eff.std[0]  # correlated frames: wider


def test_a_poor_cv_gives_a_larger_eigenvalue():
    pts, w = quadrature_samples()
    lam1 = reference_lambda1()
    # A CV mixing in the fast direction: still an upper bound, now a strict one.
    z = pts[:, 0] + 0.8 * pts[:, 1]
    grad = np.tile([1.0, 0.8], (len(pts), 1))
    eff = effective_spectrum(z, grad, w, 1.0 / BETA, n_cells=80, n_boot=0)
    assert eff.eigenvalues[0] > 1.05 * lam1
    # The fast coordinate alone misses the slow process entirely.
    eff_y = effective_spectrum(pts[:, 1], np.tile([0.0, 1.0], (len(pts), 1)), w, 1.0 / BETA,
                               n_cells=80, n_boot=0)
    assert eff_y.eigenvalues[0] > 5 * lam1  # ≈ 2, the harmonic direction's λ


class TwoCVs(torch.nn.Module):
    """Output 0: the fast coordinate y; output 1: the slow one, x + x³/5 (monotone in x)."""

    def forward(self, x):
        return torch.stack([x[:, 1], x[:, 0] + 0.2 * x[:, 0] ** 3], 1)


@pytest.mark.slow  # over 5 s: left out of make test-fast
def test_best_output_and_quality_rows(tmp_path):
    pts, w = quadrature_samples(400, 60)
    model = torch.jit.trace(TwoCVs(), torch.zeros(4, 2))
    idx, z, _ = best_cv_output(model, pts, w, 1.0 / BETA, n_cells=100)
    assert idx == 1
    np.testing.assert_allclose(z, pts[:, 0] + 0.2 * pts[:, 0] ** 3, rtol=1e-5, atol=1e-5)
    model.save(str(tmp_path / "model.ts"))
    pd.DataFrame({"index": [1], "eigenvalue": [1.0], "std": [0.0], "timescale": [1.0],
                  "unit": ["1/time"]}).to_csv(tmp_path / "eigenvalues.csv", index=False)
    lam = np.array([0.0, reference_lambda1(), 2.0])
    rows = quality_rows("sep", ["cv"], ["generator"], [tmp_path], pts, w,
                        np.full(2, 1.0 / BETA), lam, n_cells=100)
    row = rows.iloc[0]
    assert row["cv_output"] == 2
    assert abs(row["rel_gap"]) < 0.03
    assert bool(row["bound_holds"])
    np.testing.assert_allclose(row["learned_lambda_1"], 1.0)
