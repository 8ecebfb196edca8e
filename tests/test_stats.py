"""Weighted statistics (mdcv.stats)."""

import numpy as np
import pytest

from mdcv.stats import weighted_corr


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
