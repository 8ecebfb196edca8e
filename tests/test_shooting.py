"""Committor shooting (mdcv.reference.shooting): bookkeeping, and λ_1 of a double well vs its grid."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from mdcv.config import loader
from mdcv.errors import ConfigError, DataError
from mdcv.reference import shooting
from mdcv.stats import block_ids
from mdcv.toy import langevin, potentials, reference
from mdcv.toy import shooting as toy_shooting


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
        shooting.rate(np.ones(3), labels, np.array([0]), st, np.arange(3), 2,
                      np.random.default_rng(0))


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
    blocks = block_ids(ds.t, 1e9, ds.traj)  # each walker's trajectory one block
    res = shooting.rate(ds.w, labels, starts, stats, blocks, 200, np.random.default_rng(3))
    assert res["unresolved_runs"] == 0 and res["reactive_pairs"] > 500 and res["blocks"] == 200
    assert res["lo"] < res["eigenvalue"] < res["hi"]
    assert res["std"] < 0.15 * res["eigenvalue"]
    assert abs(res["eigenvalue"] - exact) < 3 * res["std"]
    assert res["rho_b"] == pytest.approx(0.5, abs=0.05)  # the wells are symmetric


def _toy_settings(**kw):
    s = {"sampling": {"potential_fraction": 0.3, "n_samples": 2000, "n_walkers": 50, "dt": 1e-3,
                      "stride": 20, "burn_in": 200, "metropolis": True},
         "starts": 200, "runs_per_start": 2, "dt": 2e-3, "max_time": 10.0, "block": 1e9,
         "n_bootstrap": 200, "level": 0.95}
    s.update(kw)
    return s


@pytest.mark.slow  # ~6 s under load: left out of make test-fast
def test_toy_shooting_tiny_double_well_gives_a_finite_rate_inside_its_interval():
    pot = potentials.BUILTIN["separable_double_well"]
    system = {"beta": 4.0, "box": [[-2.0, 2.0], [-2.0, 2.0]], "grid": [80, 24], "core_radius": 0.4}
    spectrum = reference.compute_spectrum(pot, 4.0, system["box"], (80, 24), 1)
    centres = toy_shooting.deepest_minima(spectrum)
    np.testing.assert_allclose(np.sort(centres[:, 0]), [-1.0, 1.0], atol=0.06)
    np.testing.assert_allclose(centres[:, 1], 0.0, atol=0.1)
    # the committor's Rayleigh quotient bounds λ1 from above
    lam_q = toy_shooting.committor_quotient(spectrum, centres, 0.4)
    assert spectrum.eigenvalues[1] < lam_q < 1.2 * spectrum.eigenvalues[1]
    row = toy_shooting.check(pot, system, _toy_settings(), seed=3, spectrum=spectrum)
    assert np.isfinite(row["lambda1_shooting"]) and row["lo"] < row["lambda1_shooting"] < row["hi"]
    assert row["starts"] == 200 and row["unresolved_runs"] == 0 and row["blocks"] == 50
    assert row["rel_err"] == pytest.approx(row["lambda1_shooting"] / spectrum.eigenvalues[1] - 1)


def test_first_entry_stops_each_run_at_its_core():
    pot = potentials.BUILTIN["separable_double_well"]
    x0 = torch.tensor([[-0.9, 0.0], [0.9, 0.0], [0.0, 0.0]], dtype=torch.float64)
    core, hit = toy_shooting.first_entry(pot, 4.0, [[-2.0, 2.0], [-2.0, 2.0]], x0,
                                         np.array([[-1.0, 0.0], [1.0, 0.0]]), 0.3, 1e-3, 5.0,
                                         torch.Generator().manual_seed(0))
    assert core[0] == 0 and core[1] == 1 and core[2] in (0, 1)
    assert hit[0] < 0.1 and hit[1] < 0.1 and 0 < hit[2] <= 5.0


def _phi_shots(rng, n_starts, k):
    """Biased φ frames and two-frame runs: each run ends deep in core a (φ = -2) or b (φ = 1)."""
    phi = rng.uniform(-np.pi, np.pi, 4000)
    base = {"a": (2.5, -0.5), "b": (0.5, 2.0)}
    from mdcv.reference.cores import phi_cores
    between = np.flatnonzero(phi_cores(phi, base) < 0)
    starts = np.sort(rng.choice(between, n_starts, replace=False))
    end = np.where(rng.random(n_starts * k) < 0.5, -2.0, 1.0)
    run_phi = np.c_[np.repeat(phi[starts], k), end].ravel()
    run = np.repeat(np.arange(n_starts * k), 2)
    t = np.tile([0.0, 1.0], n_starts * k) * rng.uniform(0.5, 2.0, 2 * n_starts * k)
    return phi, base, starts, run_phi, run, t


def test_core_choices_reread_the_same_runs_with_equal_statistics():
    rng = np.random.default_rng(0)
    phi, base, starts, run_phi, run, t = _phi_shots(rng, 300, 2)
    w = np.ones(len(phi))
    blocks = block_ids(np.arange(len(phi), dtype=float), 200.0)
    wider = [{"a": (2.4, -0.4), "b": (0.4, 2.1)}, {"a": (2.3, -0.3), "b": (0.3, 2.2)}]
    rows = shooting.core_choices(phi, w, blocks, starts, run_phi, run, t, 2, [base, *wider],
                                 200, 0.95, seed=1)
    assert len(rows) == 3 and len({r["starts"] for r in rows}) == 1
    assert rows[0]["runs"] == 2 * rows[0]["starts"]
    assert rows[0]["starts"] < len(starts)  # the widest cores leave the fewest starts
    for r in rows:
        assert r["lo"] < r["eigenvalue"] < r["hi"] and r["cores"].startswith("a=")
    with pytest.raises(DataError, match="does not contain the shooting cores"):
        shooting.core_choices(phi, w, blocks, starts, run_phi, run, t, 2,
                              [base, {"a": (2.6, -0.6), "b": (0.5, 2.0)}], 200, 0.95, seed=1)


def test_schema_defaults_of_the_bootstrap_and_the_shooting_check():
    cfg = loader.load()
    shots = cfg["alanine"]["reference"]["shooting"]
    assert shots["block_ps"] >= 1000.0 and shots["n_bootstrap"] >= 200 and shots["level"] == 0.95
    assert len(shots["core_table"]) >= 2 and "blocks" not in shots
    check = cfg["toy"]["shooting_check"]
    assert check["systems"] == {} and check["seeds"] >= 5 and check["n_bootstrap"] >= 200
    base = loader.merge_files([])
    for bad in ({"alanine": {"reference": {"shooting": {"level": 1.5}}}},
                {"toy": {"shooting_check": {"systems": {"dw": {"potential": "x", "beta": 1.0}}}}},
                {"learners": {"generator": {"holdout_level": 0.0}}},
                {"learners": {"generator": {"holdout_draws": 1}}}):
        with pytest.raises(ConfigError):
            loader.prepare(loader.deep_merge(base, bad))
    ok = loader.deep_merge(base, {"learners": {"generator": {
        "holdout_block": 500.0, "holdout_draws": 300, "holdout_level": 0.9}}})
    assert loader.prepare(ok)["learners"]["generator"]["holdout_draws"] == 300
