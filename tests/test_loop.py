"""The CV loop (mdcv.loop): free energy, bias and weights, read-outs, the stopping rule,
its config, and a tiny real loop through Snakemake."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from mdcv.config import ConfigError, load
from mdcv.loop import bias, status, toy
from mdcv.loop.cv import FirstEigenfunction, values_and_gradients
from mdcv.loop.readout import read_out, walker_resamples
from mdcv.loop.table import COLUMNS
from mdcv.workflow import targets

ROOT = Path(__file__).resolve().parents[1]


# --- free energy, bias, weights ---------------------------------------------------------------
def test_weights_make_the_biased_histogram_the_unbiased_one():
    """V = x²/2 at β = 2 under V_b = -c·V: samples of N(0, 1/((1-c)β)); the weights must
    give back the unbiased N(0, 1/β) histogram."""
    beta, c = 2.0, 0.6
    rng = np.random.default_rng(1)
    x = rng.normal(0.0, np.sqrt(1.0 / ((1 - c) * beta)), 400_000)
    w = bias.weights(-c * 0.5 * x**2, beta)
    assert w.mean() == pytest.approx(1.0)
    edges = np.linspace(-1.5, 1.5, 13)
    hist, _ = np.histogram(x, edges, weights=w, density=False)
    hist = hist / w.sum() / np.diff(edges)
    centres = 0.5 * (edges[1:] + edges[:-1])
    exact = np.sqrt(beta / (2 * np.pi)) * np.exp(-beta * centres**2 / 2)
    np.testing.assert_allclose(hist, exact, rtol=0.03)
    raw, _ = np.histogram(x, edges)  # without the weights it is the wrong one
    assert not np.allclose(raw / len(x) / np.diff(edges), exact, rtol=0.1)
    assert bias.ess_fraction(w) < 0.95
    assert bias.ess_fraction(np.ones(10)) == pytest.approx(1.0)


def test_free_energy_of_gaussian_samples_is_the_harmonic_potential():
    beta = 2.0
    rng = np.random.default_rng(2)
    x = rng.normal(0.0, np.sqrt(1.0 / beta), 500_000)
    f = bias.free_energy(x, np.ones_like(x), beta, bins=60, smooth_bins=0.0)
    inner = np.abs(f.centres) < 1.2
    exact = 0.5 * f.centres[inner] ** 2
    got = f.free_energy[inner] - f.free_energy[inner].min()
    np.testing.assert_allclose(got, exact - exact.min(), atol=0.05)
    assert f.free_energy.min() == 0.0


def test_profile_is_flat_beyond_the_visited_range_and_torch_equals_numpy():
    f = bias.Profile(np.array([0.0, 1.0, 2.0]), np.array([0.0, 2.0, 1.0]))
    z = np.array([-5.0, 0.25, 1.5, 9.0])
    np.testing.assert_allclose(f(z), [0.0, 0.5, 1.5, 1.0])
    np.testing.assert_allclose(f.torch(torch.as_tensor(z)).numpy(), f(z))
    zt = torch.tensor([-5.0, 0.5, 9.0], dtype=torch.float64, requires_grad=True)
    (g,) = torch.autograd.grad(f.torch(zt).sum(), zt)
    np.testing.assert_allclose(g.numpy(), [0.0, 2.0, 0.0])


def test_empty_bins_take_the_largest_free_energy_and_a_constant_cv_is_an_error():
    xi = np.r_[np.zeros(100), np.ones(100)]
    f = bias.free_energy(xi, np.ones(200), beta=1.0, bins=10, smooth_bins=0.0)
    assert np.all(f.free_energy[1:-1] == f.free_energy.max())
    with pytest.raises(ValueError, match="one value"):
        bias.free_energy(np.ones(5), np.ones(5), 1.0, 10)


def _tiny_model():
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.Tanh(), torch.nn.Linear(8, 2))
    return torch.jit.trace(net, torch.zeros(1, 2))


def test_bias_gradient_equals_a_finite_difference():
    model = _tiny_model()
    rng = np.random.default_rng(3)
    x = rng.normal(size=(500, 2))
    f, g = values_and_gradients(model, x)
    xi = FirstEigenfunction.fit(model, f, g, np.ones(len(x)), np.ones(2))
    profile = bias.free_energy(xi.values(f), np.ones(len(x)), beta=1.0, bins=15, smooth_bins=2.0)

    def v_b(p):
        return bias.bias_energy(profile, 0.7, xi(p))

    pts = torch.as_tensor(rng.normal(size=(50, 2)) * 0.5)
    p = pts.clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(v_b(p).sum(), p)
    h = 1e-3
    with torch.no_grad():
        fd = torch.stack([(v_b(pts + h * e) - v_b(pts - h * e)) / (2 * h)
                          for e in torch.eye(2, dtype=pts.dtype)], 1)
    # A kink of the piecewise-linear F between the two points spoils a few differences.
    close = np.isclose(grad.numpy(), fd.numpy(), rtol=2e-2, atol=2e-3).all(1)
    assert close.mean() > 0.9
    assert grad.abs().max() > 0.01  # the bias does push


def test_first_eigenfunction_is_centred_with_unit_variance():
    model = _tiny_model()
    x = np.random.default_rng(4).normal(size=(1000, 2))
    f, g = values_and_gradients(model, x)
    w = np.ones(len(x))
    xi = FirstEigenfunction.fit(model, f, g, w, np.ones(2))
    z = xi.values(f)
    assert abs(z.mean()) < 1e-8 and z.var() == pytest.approx(1.0, rel=1e-6)
    np.testing.assert_allclose(xi(torch.as_tensor(x)).detach().numpy(), z, atol=1e-5)


# --- toy sampling, transitions, read-outs -------------------------------------------------------
def test_count_transitions_counts_changes_of_the_last_core():
    labels = np.array([[-1, 0, -1, 0, 1, -1, 1, 0],
                       [1, 1, -1, -1, -1, -1, -1, -1],
                       [-1, -1, 1, -1, 0, -1, 1, -1]])
    assert toy.count_transitions(labels) == 2 + 0 + 2


def test_biased_sampler_uses_the_bias_and_weights_undo_it():
    from mdcv.toy.potentials import mueller_brown

    box = [[-1.5, 1.2], [-0.5, 2.0]]
    settings = {"n_samples": 2000, "n_walkers": 100, "dt": 1e-3, "stride": 5, "burn_in": 50}
    ds, states, stats = toy.sample(mueller_brown, 1.0, box, settings, seed=5,
                                   bias=lambda x: -0.5 * mueller_brown(x))
    assert states.shape == (100, 20, 2) and ds.n == 2000
    np.testing.assert_allclose(ds["v_bias"], -0.5 * ds["v"], rtol=1e-6)
    log_ratio = np.log(ds.w) - ds["v_bias"]  # w ∝ exp(β V_b), β = 1
    assert np.ptp(log_ratio) < 1e-6 and ds.w.mean() == pytest.approx(1.0)
    assert stats["simulated_time"] == pytest.approx((50 + 100) * 1e-3 * 100)
    minima, _ = toy.deepest_minima(mueller_brown, box)
    labels = toy.core_labels(mueller_brown, box, minima, 1.0, 1.0)
    assert list(labels) == [0, 1]


def test_walker_resamples_keep_whole_walkers():
    traj = np.repeat([3, 1, 2], [2, 3, 4])[np.random.default_rng(6).permutation(9)]
    for idx in walker_resamples(traj, 20, seed=0):
        ids, counts = np.unique(traj[idx], return_counts=True)
        sizes = {1: 3, 2: 4, 3: 2}
        assert all(c % sizes[i] == 0 for i, c in zip(ids, counts, strict=True))
        assert len(idx) == sum(counts)


def test_read_out_intervals_contain_the_point_estimates():
    rng = np.random.default_rng(7)
    x = rng.normal(size=(2000, 2)) * [1.0, 0.5]
    f = x.copy()
    g = np.broadcast_to(np.eye(2), (2000, 2, 2)).copy()
    out = read_out(f, g, np.ones(2000), np.repeat(np.arange(100), 20), np.ones(2),
                   {"readout": "ritz"}, n_boot=50)
    # Linear functions of a Gaussian with D = 1: λ = 1/var per coordinate.
    assert out["lambda1"] == pytest.approx(1.0, rel=0.1)
    assert out["lambda2"] == pytest.approx(4.0, rel=0.1)
    for name in ("lambda1", "lambda2", "ess_fraction"):
        assert out[f"{name}_lo"] <= out[name] <= out[f"{name}_hi"]


# --- stopping rule and table --------------------------------------------------------------------
def _numbers(lam, lo, hi, ess=0.5, ess_lo=0.4, ess_hi=0.6):
    return {"lambda1": lam, "lambda1_lo": lo, "lambda1_hi": hi, "ess_fraction": ess,
            "ess_fraction_lo": ess_lo, "ess_fraction_hi": ess_hi}


def test_stopping_rule():
    r0 = status.record("s", 0, _numbers(1.0, 0.9, 1.1), rounds=3, previous=None)
    assert r0["continue"]
    r1 = status.record("s", 1, _numbers(2.0, 1.8, 2.2), rounds=3, previous=r0)
    assert r1["continue"]  # λ1 moved
    r2 = status.record("s", 2, _numbers(2.05, 1.9, 2.3), rounds=3, previous=r1)
    assert not r2["continue"] and "stopped changing" in r2["stop_reason"]
    r2b = status.record("s", 2, _numbers(2.05, 1.9, 2.3, ess=0.9, ess_lo=0.85, ess_hi=0.95),
                        rounds=3, previous=r1)
    assert r2b["continue"]  # the ESS fraction moved
    r3 = status.record("s", 3, _numbers(5.0, 4.0, 6.0), rounds=3, previous=r2b)
    assert not r3["continue"] and "loop.rounds" in r3["stop_reason"]


def test_table_has_the_promised_columns(tmp_path):
    paths = []
    for r in range(2):
        rec = status.record("s", r, {**_numbers(1.0, 0.9, 1.1), "samples": 10}, rounds=1,
                            previous=None)
        paths.append(tmp_path / f"{r}.json")
        status.write(rec, paths[-1])
    from mdcv.loop.table import table

    df = table(reversed(paths))
    assert list(df.columns) == COLUMNS
    assert list(df["round"]) == [0, 1] and list(df["stopped"]) == [False, True]


# --- config -------------------------------------------------------------------------------------
def _overlay(tmp_path, text):
    path = tmp_path / "overlay.yaml"
    path.write_text(text)
    return load([path], base_dir=ROOT)


def test_loop_defaults_and_no_loop_by_default(tmp_path):
    config = _overlay(tmp_path, "seed: 1\n")
    assert config["loop"]["systems"] == {} and config["loop"]["rounds"] == 4
    assert config["loop"]["fraction"] == 0.7 and config["loop"]["bins"] == 50
    assert targets.loop(config) == []


@pytest.mark.parametrize("text, match", [
    ("loop: {systems: {nowhere: {learner: generator}}}\n", "not an enabled toy or md system"),
    ("loop: {systems: {mueller_brown: {learner: nobody}}}\n", "is not defined under"),
    ("loop: {systems: {mueller_brown: {learner: transfer}}}\n", "kind: generator"),
    ("loop: {fraction: 1.5}\n", "loop.fraction"),
    ("loop: {toy: {n_sampels: 10}}\n", "n_sampels"),
    ("loop: {systems: {mueller_brown: {}}}\n", "learner"),
])
def test_bad_loop_keys_are_named(tmp_path, text, match):
    with pytest.raises(ConfigError, match=match):
        _overlay(tmp_path, text)


def test_loop_targets_when_a_system_loops(tmp_path):
    config = _overlay(tmp_path, "loop: {systems: {mueller_brown: {learner: generator}}}\n")
    assert targets.loop(config) == ["results/tables/cv_loop.csv", "results/figures/cv_loop.png"]
    assert set(targets.loop(config)) <= set(targets.all_targets(config))


# --- a tiny real loop ---------------------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.snakemake
def test_tiny_loop_through_snakemake(tmp_path):
    cmd = [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "--cores", "2",
           "--workflow-profile", "none", "--directory", str(tmp_path),
           "results/tables/cv_loop.csv", "results/figures/cv_loop.png",
           "--configfile", str(ROOT / "tests/configs/loop_tiny.yaml")]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-4000:]
    df = pd.read_csv(tmp_path / "results/tables/cv_loop.csv")
    assert list(df.columns) == COLUMNS
    assert list(df["round"]) == [0, 1, 2] and df["stopped"].tolist() == [False, False, True]
    assert (df["samples"] == 400).all() and df["lambda1_ref"].gt(0).all()
    assert (df["ess_fraction"].iloc[0] == 1.0) and (df["ess_fraction"].iloc[1:] < 1.0).all()
    assert (tmp_path / "results/figures/cv_loop.png").stat().st_size > 10_000
    # Round 1 sampled under -c·F0(ξ0): recompute the bias from round 0's files.
    from mdcv.data import load as load_dataset
    from mdcv.loop.steps import load_bias

    root = tmp_path / "results/mueller_brown/loop"
    ds = load_dataset(root / "round1/samples.npz")
    v_b = load_bias(root / "round0/model", root / "round0/free_energy.npz")
    with torch.no_grad():
        expected = v_b(torch.as_tensor(ds.x, dtype=torch.float64)).numpy()
    np.testing.assert_allclose(ds["v_bias"], expected, atol=1e-4)
    assert np.ptp(expected) > 0
    rec = json.loads((root / "round0/round.json").read_text())
    assert rec["continue"] and rec["round"] == 0
