"""Weighted statistics (mdcv.stats)."""

import numpy as np
import pytest

from mdcv.stats import block_bootstrap, block_ids, percentile_interval, weighted_corr


def test_weighted_corr_of_columns_matches_each_pair_and_pearson_at_unit_weights():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(500, 3))
    b = a * [1.0, -2.0, 0.0] + rng.normal(size=(500, 3)) * [0.1, 0.5, 1.0]
    w = rng.uniform(0.2, 2.0, 500)
    columns = weighted_corr(a, b, w)
    assert columns.shape == (3,)
    for j in range(3):
        assert columns[j] == weighted_corr(a[:, j], b[:, j], w)  # the same numbers
        assert weighted_corr(a[:, j], b[:, j], np.ones(500)) == pytest.approx(
            np.corrcoef(a[:, j], b[:, j])[0, 1], rel=1e-12)
    assert columns[0] > 0.99 and columns[1] < -0.9 and abs(columns[2]) < 0.2
    # Weights of any scale: only their ratios count.
    np.testing.assert_allclose(weighted_corr(a, b, 7.0 * w), columns, rtol=1e-12)
    # A weight concentrated on two points gives a correlation of ±1.
    spike = np.full(500, 1e-12)
    spike[:2] = 1.0
    assert abs(weighted_corr(a[:, 2], b[:, 2], spike)) == pytest.approx(1.0, rel=1e-6)


def test_block_ids_cut_stretches_of_the_block_length_within_each_trajectory():
    t = np.r_[np.arange(5.0), np.arange(3.0)]  # two trajectories, frames 1 time unit apart
    traj = np.r_[np.zeros(5), np.ones(3)]
    np.testing.assert_array_equal(block_ids(t, 2.0, traj), [0, 0, 1, 1, 2, 3, 3, 4])
    np.testing.assert_array_equal(block_ids(t, 0.0, traj), np.arange(8))  # frame bootstrap
    with pytest.raises(ValueError, match="one entry per frame"):
        block_ids(t, 1.0, traj[:3])


def test_percentile_interval_level_and_nan_draws():
    draws = np.c_[np.arange(1001.0), np.full(1001, np.nan)]
    lo, hi = percentile_interval(draws, 0.9)
    assert (lo[0], hi[0]) == pytest.approx((50.0, 950.0))
    assert np.isnan(lo[1]) and np.isnan(hi[1])
    with pytest.raises(ValueError, match="level"):
        percentile_interval(draws, 95)


def _ar1(rng, reps, n, phi, mean):
    e = rng.normal(size=(reps, n))
    x = np.empty((reps, n))
    x[:, 0] = e[:, 0] / np.sqrt(1 - phi**2)
    for i in range(1, n):  # a loop over time steps, vectorized over the repetitions
        x[:, i] = phi * x[:, i - 1] + e[:, i]
    return mean + x


def test_block_bootstrap_covers_the_mean_of_an_ar1_series_where_frames_under_cover():
    """AR(1), φ = 0.9 (correlation time ~10 frames), 2000 frames: the 95 % interval of the
    weighted mean by blocks of 50 frames covers the true mean in about 95 % of 100
    repetitions; the frame bootstrap (blocks of one frame) covers far less (~35 %)."""
    rng = np.random.default_rng(1)
    reps, n, truth = 100, 2000, 3.0
    series = _ar1(rng, reps, n, 0.9, truth)
    w = rng.uniform(0.5, 1.5, n)  # reweighted frames: the weights travel with the resample
    t = np.arange(n, dtype=float)
    covered = {50.0: 0, 0.0: 0}
    for x in series:
        def mean(mult, x=x):
            return (mult * w) @ x / ((mult * w).sum(1))
        for block in covered:
            res = block_bootstrap(mean, block_ids(t, block), 200, 0.95, rng, vectorized=True)
            assert res["lo"] < res["estimate"] < res["hi"]
            covered[block] += res["lo"] <= truth <= res["hi"]
    assert 0.86 <= covered[50.0] / reps <= 1.0
    assert covered[0.0] / reps < 0.7


def test_block_bootstrap_by_indices_equals_the_vectorized_multiplicities():
    rng = np.random.default_rng(2)
    x, w = rng.normal(size=300), rng.uniform(0.5, 2.0, 300)
    ids = block_ids(np.arange(300.0), 30.0)

    def by_index(idx):
        return np.sum(w[idx] * x[idx]) / np.sum(w[idx])

    def by_mult(mult):
        return (mult * w) @ x / (mult * w).sum(1)

    a = block_bootstrap(by_index, ids, 200, 0.9, np.random.default_rng(5))
    b = block_bootstrap(by_mult, ids, 200, 0.9, np.random.default_rng(5), vectorized=True,
                        max_entries=1000)  # several chunks of draws
    np.testing.assert_allclose(a["draws"], b["draws"], rtol=1e-12)
    assert a["estimate"] == pytest.approx(by_index(np.arange(300)))
    assert a["draws"].shape == (200,)
    assert (float(a["lo"]), float(a["hi"])) == pytest.approx((float(b["lo"]), float(b["hi"])))
    one = block_bootstrap(by_index, np.zeros(300, dtype=int), 10)  # one block: no spread
    assert one["estimate"] == a["estimate"] and np.isnan(one["lo"]) and np.isnan(one["std"])


@pytest.mark.slow  # 200 Ritz and Galerkin read-outs: over 3 s
def test_generator_holdout_readouts_take_block_bootstrap_intervals():
    import torch

    from mdcv.config import learner_defaults
    from mdcv.data import Dataset
    from mdcv.learn.learners import learner_class

    rng = np.random.default_rng(0)
    n = 2000
    x = _ar1(rng, 2, n, 0.9, 0.0).T * np.sqrt(1 - 0.81) / np.sqrt([1.0, 1.5])  # OU-like, β = 1
    ds = Dataset(x=x, w=np.ones(n), t=np.arange(n, dtype=float), traj=np.zeros(n, dtype=int),
                 extra={"beta": np.float64(1.0)})
    s = learner_defaults("generator")
    s.update(kind="generator", name="generator", layers=[4], holdout=0.5, holdout_block=100.0,
             holdout_draws=200, galerkin_cells=10, galerkin_cells_rest=3, threads=1)
    learner = learner_class("generator")(ds, s, torch.device("cpu"))
    h = slice(n // 2, n)
    f = ds.x[h].astype(float)
    g = np.broadcast_to(np.eye(2), (n // 2, 2, 2))  # f = x: ∇f_i = e_i
    d = np.ones(2)
    rows, _ = learner.spectral_rows(f, g, ds.w[h], d, "-holdout")
    for table in rows:
        assert (table["lo"] < table["eigenvalue"]).all() and (table["eigenvalue"] < table["hi"]).all()
        assert (table["std"] > 0).all()
    in_sample, _ = learner.spectral_rows(f, g, ds.w[h], d)  # the 10-draw frame bootstrap: std only
    assert in_sample[0]["lo"].isna().all() and (in_sample[0]["std"] > 0).all()
    # correlated frames: the block interval is wider than the frame bootstrap's spread
    width = (rows[0]["hi"] - rows[0]["lo"]).to_numpy()
    assert (width > 1.5 * 2 * 1.96 * in_sample[0]["std"].to_numpy()).all()


def test_compressed_gradients_keep_the_readouts_of_the_full_gradients():
    from mdcv.learn import spectral
    from mdcv.learn.learners.generator import compressed_gradients

    rng = np.random.default_rng(0)
    n, d = 2000, 30
    x = rng.normal(size=(n, 2))
    f = np.c_[np.tanh(x[:, 0]) + 0.1 * x[:, 1], x[:, 1]]
    g, w, diffusion = rng.normal(size=(n, 2, d)), rng.uniform(0.5, 1.5, n), rng.uniform(0.5, 2, d)
    c, one = compressed_gradients(g, diffusion), np.ones(2)
    assert c.shape == (n, 2, 2)
    np.testing.assert_allclose(spectral.ritz(f, c, w, one)[0], spectral.ritz(f, g, w, diffusion)[0],
                               rtol=1e-10)
    np.testing.assert_allclose(spectral.galerkin(f, c, w, one, 20, 5),
                               spectral.galerkin(f, g, w, diffusion, 20, 5), rtol=1e-10)
