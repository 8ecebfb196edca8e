"""Committor shooting (mdcv.reference.shooting): bookkeeping, and λ_1 of a double well vs its grid."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from mdcv.errors import DataError
from mdcv.reference import shooting
from mdcv.toy import langevin, potentials, reference


def test_first_hits_skip_the_start_frame_and_flag_runs_that_stay_out():
    labels = np.array([1, -1, 0, 1, -1, -1, 1, -1, -1, -1])
    run = np.array([0, 0, 0, 0, 1, 1, 1, 2, 2, 2])
    t = np.array([0.0, 1, 2, 3, 0, 1, 2, 0, 1, 2])
    core, time = shooting.first_hits(labels, run, t)
    np.testing.assert_array_equal(core, [0, 1, -1])
    np.testing.assert_array_equal(time[:2], [2.0, 2.0])
    assert np.isnan(time[2])


def test_start_statistics_average_ordered_pairs_and_drop_unresolved_runs():
    # start 0: runs to A at t = 1 and to B at t = 3; start 1: both to B; start 2: one run
    # resolved only
    core = np.array([0, 1, 1, 1, 0, -1])
    time = np.array([1.0, 3.0, 2.0, 2.0, 1.0, np.nan])
    st = shooting.start_statistics(core, time, 2)
    np.testing.assert_allclose(st["g"][:2], [0.5 / 4.0, 0.0])  # pairs (A, B) and (B, A)
    np.testing.assert_allclose(st["q"][:2], [0.5, 1.0])
    np.testing.assert_allclose(st["q2"][:2], [0.0, 1.0])
    assert np.isnan(st["g"][2]) and st["unresolved"][2] == 1
    np.testing.assert_array_equal(st["reactive_pairs"], [1, 0, 0])


def test_rate_refuses_starts_inside_a_core():
    labels = np.array([0, -1, 1])
    st = {"g": np.array([0.1]), "q": np.array([0.5]), "q2": np.array([0.2]),
          "reactive_pairs": np.array([1]), "unresolved": np.array([0])}
    with pytest.raises(DataError, match="outside both cores"):
        shooting.rate(np.ones(3), labels, np.array([0]), st, 2, 2, np.random.default_rng(0))


def _cores(x, cut):
    lab = np.full(len(x), -1)
    lab[x[:, 0] < -cut] = shooting.CORE_A
    lab[x[:, 0] > cut] = shooting.CORE_B
    return lab


def _exact_committor_quotient(beta, cut):
    """ν / Var(q) of the 1D committor of (x² - 1)² with cores |x| > cut (D = 1/β)."""
    x = np.linspace(-2.5, 2.5, 20001)
    h = x[1] - x[0]
    mu = np.exp(-beta * (x**2 - 1.0) ** 2)
    mu /= mu.sum()
    slope = np.where(np.abs(x) < cut, 1.0 / mu, 0.0)  # q' ∝ 1/μ between the cores
    q = np.cumsum(slope) * h
    q /= q[-1]
    nu = np.sum(mu * np.gradient(q, h) ** 2) / beta
    return nu / (np.sum(mu * q * q) - np.sum(mu * q) ** 2)


@pytest.mark.slow  # over 5 s: left out of make test-fast
def test_shooting_recovers_the_double_well_rate():
    """Biased samples (MALA at 0.3 β), 4 overdamped runs from each of 800 transition-region
    frames: λ = ν / Var(q) against the grid λ_1 and the exact committor quotient."""
    beta, box, cut = 4.0, [[-2.0, 2.0], [-2.0, 2.0]], 0.7
    pot = potentials.BUILTIN["separable_double_well"]
    lam1 = reference.compute_spectrum(pot, beta, box, (200, 60), 1).eigenvalues[1]
    exact = _exact_committor_quotient(beta, cut)
    assert lam1 <= exact <= 1.03 * lam1  # the committor's Rayleigh quotient bounds λ_1
    ds, _ = langevin.biased_dataset(pot, beta, box, potential_fraction=0.3, n_samples=20000,
                                    n_walkers=200, dt=1e-3, stride=20, burn_in=500,
                                    metropolis=True, seed=4)
    labels = _cores(ds.x, cut)
    rng = np.random.default_rng(0)
    starts = np.sort(rng.choice(np.flatnonzero(labels < 0), 800, replace=False))
    k = 4
    x, run, t = langevin.rollout(pot, beta, box, torch.as_tensor(np.repeat(ds.x[starts], k, 0)),
                                 4.0, 1e-3, 1, torch.Generator().manual_seed(2))
    core, time = shooting.first_hits(_cores(x, cut), run, t)
    stats = shooting.start_statistics(core, time, k)
    res = shooting.rate(ds.w, labels, starts, stats, 20, 100, np.random.default_rng(3))
    assert res["unresolved_runs"] == 0 and res["reactive_pairs"] > 500
    assert res["std"] < 0.15 * res["eigenvalue"]
    assert abs(res["eigenvalue"] - exact) < 3 * res["std"]
    assert res["rho_b"] == pytest.approx(0.5, abs=0.05)  # the wells are symmetric
