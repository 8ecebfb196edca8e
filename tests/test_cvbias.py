"""The fixed bias along an exported CV (mdcv.md.cvbias) and a loop round's runs (cvround)."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch
from test_pullcv import frames, small_cv_model, vacuum  # noqa: F401  (vacuum: a fixture)

from mdcv.errors import ConfigError, DataError
from mdcv.md import cvbias, cvround, expression, pullcv
from mdcv.md.cvnet import CVNetwork, Term

KT = 2.494  # kJ/mol at 300 K


def double_well(lo=-1.3, hi=1.1, n=81) -> cvbias.CvPmf:
    """F(ξ) = 30 (ξ² - 0.8)² + 3ξ kJ/mol on an AWH-like grid, min 0."""
    xi = np.linspace(lo, hi, n)
    f = 30 * (xi**2 - 0.8) ** 2 + 3 * xi
    return cvbias.CvPmf(xi, f - f.min())


def sine_cv(m: int = 2) -> CVNetwork:
    """ξ = 2 sin θ_1 + 0.5: a hand-made CV with a known gradient (one linear layer)."""
    w = np.zeros((1, 2 * m))
    w[0, 0] = 2.0
    term = Term([(w, np.array([0.5]))], [1.0], [False])
    return CVNetwork([f"d{j}" for j in range(m)], np.arange(1, 4 * m + 1).reshape(m, 4),
                     [term], 0.0)


def test_the_awh_pmf_file_reads_to_f_on_the_grid(tmp_path):
    path = tmp_path / "awh.xvg"
    xi = np.linspace(-0.5, 0.5, 11)
    rows = "\n".join(f"{a:.6f} {3 + a**2:.6f} 0.1" for a in xi)
    path.write_text(f'# gmx awh\n@    title "PMF"\n{rows}\n')
    pmf = cvbias.read_awh_pmf(path)
    np.testing.assert_allclose(pmf.xi, xi)
    np.testing.assert_allclose(pmf.f, xi**2, atol=1e-6)
    np.testing.assert_allclose(pmf.in_kT(KT), xi**2 / KT, atol=1e-6)
    pmf.save(tmp_path / "pmf.npz")
    np.testing.assert_array_equal(cvbias.CvPmf.load(tmp_path / "pmf.npz").f, pmf.f)
    with pytest.raises(DataError, match="off the regular grid"):
        cvbias.read_awh_pmf(path, start=-0.6)
    path.write_text("0 1\n1 2\n0 1\n1 2\n")
    with pytest.raises(DataError, match="not increasing: not a 1D AWH PMF"):
        cvbias.read_awh_pmf(path)


def test_the_fit_meets_its_target_within_the_reported_error():
    pmf = double_well()
    bias = cvbias.fit(pmf, fraction=0.7, cap=40.0, smooth=0.03, degree=20, tolerance=1.0)
    goal = cvbias.target(pmf, 0.7, 40.0, 0.03)
    error = np.abs(bias(pmf.xi) - goal).max()
    assert error == pytest.approx(bias.fit_error) and 0.05 < error < 1.0
    # Smoothing (3 % of the range) changes -c·F by < 1 kJ/mol away from the grid's ends.
    np.testing.assert_allclose(goal[10:-10], -0.7 * pmf.f[10:-10], atol=1.0)
    # Without smoothing, and a cap below the barrier: the target is clipped at -c·cap.
    raw = cvbias.target(pmf, 0.5, 10.0, 0.0)
    np.testing.assert_allclose(raw, -0.5 * np.minimum(pmf.f, 10.0))
    with pytest.raises(ConfigError, match=r"misses its target .* by up to .* kJ/mol \(> "
                                          r"tolerance 0.1\); raise the polynomial degree"):
        cvbias.fit(pmf, degree=6, tolerance=0.1)
    with pytest.raises(ConfigError, match="degree must lie in"):
        cvbias.fit(pmf, degree=200)
    with pytest.raises(ConfigError, match="fraction must lie in"):
        cvbias.fit(pmf, fraction=1.5)


def test_the_bias_is_flat_beyond_its_range_and_smooth_at_its_ends():
    bias = cvbias.fit(double_well())
    below, above = np.linspace(-9, -1.3, 50), np.linspace(1.1, 9, 50)
    np.testing.assert_allclose(bias(below), bias(-1.3), atol=1e-12)
    np.testing.assert_allclose(bias(above), bias(1.1), atol=1e-12)
    assert np.all(bias.derivative(np.r_[below, above]) == 0)
    ends = np.array([-1.3 + 1e-6, 1.1 - 1e-6])
    assert np.abs(bias.derivative(ends)).max() < 1e-2  # dV/dξ → 0 at both ends
    inside = np.linspace(-1.2, 1.0, 200)
    assert np.abs(bias.derivative(inside)).max() > 10  # a real bias force inside


def test_the_derivative_and_the_bias_on_frames_match_finite_differences():
    bias = cvbias.fit(double_well())
    xi, h = np.linspace(-1.25, 1.05, 300), 1e-6
    np.testing.assert_allclose(bias.derivative(xi), (bias(xi + h) - bias(xi - h)) / (2 * h),
                               atol=1e-5 * np.abs(bias.derivative(xi)).max())
    m = small_cv_model()
    cv = pullcv.from_model(m, 0)
    with torch.no_grad():
        theta = m.pre.angles(frames(50, seed=3)).numpy()
    grad = cvround.cv_gradient(cv, theta)
    for j in range(theta.shape[1]):
        step = np.zeros_like(theta)
        step[:, j] = h
        fd = (bias(cv(theta + step)) - bias(cv(theta - step))) / (2 * h)
        np.testing.assert_allclose(bias.derivative(cv(theta)) * grad[:, j], fd, atol=1e-5)


def test_the_expression_is_the_numpy_bias(tmp_path):
    bias = cvbias.fit(double_well())
    text = bias.expression(15)
    assert "--" not in text and "+-" not in text and len(text) < pullcv.MUPARSER_LIMIT
    assert set(re.findall(r"x\d+", text)) == {"x15"}
    xi = np.linspace(-3, 3, 2001)
    got = expression.evaluate(text, {15: xi})
    np.testing.assert_allclose(got, bias(xi), rtol=0, atol=1e-10)
    cvbias.save_bias(bias, tmp_path / "bias.npz")
    assert cvbias.load_bias(tmp_path / "bias.npz") == bias
    huge = cvbias.FixedBias(-1.0, 1.0, tuple(np.linspace(1, 2, 1200)), 0.0)
    with pytest.raises(ConfigError, match="fixed bias expression has .* characters"):
        huge.expression(3)
    with pytest.raises(ConfigError, match="lo < hi"):
        cvbias.FixedBias(1.0, 1.0, (0.0,), 0.0)


def test_the_bias_becomes_one_more_constant_force_pull_coordinate():
    m = small_cv_model()
    cv = pullcv.from_model(m, 0)
    block = pullcv.pull_block(cv, nstxout=5, layout="scratch")
    biased = cvbias.with_bias(block, cvbias.fit(double_well()))
    q, b = block.cv_coords[0], block.cv_coords[0] + 1
    assert biased.bias_coord == b and block.bias_coord is None
    mdp = dict(line.split(" = ", 1) for line in biased.mdp.splitlines() if " = " in line)
    assert mdp["pull-ncoords"] == str(b) and mdp[f"pull-coord{q}-k"] == "0"
    assert mdp[f"pull-coord{b}-type"] == "constant-force" and mdp[f"pull-coord{b}-k"] == "1"
    assert mdp[f"pull-coord{b}-geometry"] == "transformation"
    assert mdp[f"pull-coord{b}-expression"].startswith(f"x{q}=")
    with pytest.raises(ConfigError, match="already carries a fixed bias"):
        cvbias.with_bias(biased, cvbias.fit(double_well()))
    with pytest.raises(ConfigError, match="component must lie in"):
        cvbias.with_bias(block, cvbias.fit(double_well()), component=1)


def test_weights_and_the_check_against_gromacs():
    v = np.array([-10.0, -5.0, 0.0, -2.0])
    w = cvbias.weights(v, KT)
    assert w.mean() == pytest.approx(1.0)
    np.testing.assert_allclose(w / w[2], np.exp(v / KT))
    assert cvbias.check_bias(v, v + 1e-3, tolerance=0.01) == pytest.approx(1e-3)
    with pytest.raises(DataError, match="differs from V_b on the frames by up to 0.3 kJ/mol"):
        cvbias.check_bias(v, v + [0, 0.3, 0, 0], tolerance=0.01, source="run.edr")
    with pytest.raises(DataError, match="differs"):
        cvbias.check_bias(v, v + [0, np.nan, 0, 0])


def test_frame_angles_are_the_feature_layers_dihedrals():
    m = small_cv_model()
    x = frames(20, seed=4)
    with torch.no_grad():
        expected = m.pre.angles(x).numpy()
    cv = pullcv.from_model(m, 0)
    got = cvbias.frame_angles(cv.atoms, x.numpy().reshape(20, -1, 3))
    np.testing.assert_allclose(got, expected, atol=1e-10)


def test_transitions_are_counted_between_cores_not_at_barrier_excursions():
    a, b, barrier = -2.0, 1.2, 0.0  # radians: core a (C7eq/β), core b (C7ax/αL), between
    # a a | a barrier a | barrier b (1) | b barrier b | a (2) ‖ new traj: barrier b a (3)
    phi = np.array([a, a, a, barrier, a, barrier, b, b, barrier, b, a,
                    barrier, b, a])
    traj = np.array([0] * 11 + [1] * 3)
    t = np.r_[np.arange(11) * 100.0, np.arange(3) * 100.0]
    out = cvround.transitions(phi, t, traj)
    assert out["transitions"] == 3
    assert out["ns_simulated"] == pytest.approx(1.0 + 0.2)
    assert out["transitions_per_ns"] == pytest.approx(3 / 1.2)
    # A jump across trajectories is no transition.
    assert cvround.transitions([a, b], [0.0, 1.0], [0, 1])["transitions"] == 0
    with pytest.raises(DataError, match="one equal, nonzero length"):
        cvround.transitions([a, b], [0.0])


def test_transitions_scale_to_long_series():
    rng = np.random.default_rng(0)
    n_switch = 500
    lengths = rng.integers(50, 150, 2 * n_switch)
    phi = np.repeat(np.tile([-2.0, 1.2], n_switch), lengths) + 0.1 * rng.standard_normal(
        lengths.sum())
    out = cvround.transitions(phi, np.arange(len(phi)) * 1.0)
    assert out["transitions"] == 2 * n_switch - 1


VAC = {"name": "ala2-vacuum", "seed": 7, "solvent": "vacuum", "cutoff": 2.0, "dt": 0.001,
       "constraints": "none", "temperature": 300.0, "friction": 1.0,
       "save_every_ps": 0.005, "energy_every_ps": 0.01,
       "awh": {"force_constant": 1000.0, "diffusion": 0.1, "error_init": 10.0,
               "potential": "convolved", "nstsample": 10, "nsamples_update": 10,
               "output_every": 0.05}}


def test_awh_settings_follow_the_cv_range_and_gradient():
    cv = sine_cv()
    rng = np.random.default_rng(1)
    theta = rng.uniform(-np.pi, np.pi, (400, 2))
    w = rng.uniform(0.5, 1.5, 400)
    s = cvround.awh_settings(cv, theta, w, VAC, round_=1, margin=0.1)
    xi = cv(theta)
    span = xi.max() - xi.min()
    assert s["start"] == [pytest.approx(xi.min() - 0.1 * span)]
    assert s["end"] == [pytest.approx(xi.max() + 0.1 * span)]
    assert s["force_constant"] == [pytest.approx(1000.0 * (2 * np.pi / (1.2 * span)) ** 2)]
    grad2 = np.average(4 * np.cos(theta[:, 0]) ** 2, weights=w)  # |∂ξ/∂θ|² = 4 cos² θ_1
    assert s["diffusion"] == [pytest.approx(0.1 * grad2, rel=1e-6)]
    # Two components: one AWH dimension each, with its own range and constants.
    half = sine_cv()
    half.terms[0].layers[0][0][0, 0] = 1.0
    two = cvround.awh_settings([cv, half], theta, w, VAC, round_=1)
    assert two["start"][0] == s["start"][0] and two["start"][1] > s["start"][0]
    assert two["force_constant"][1] == pytest.approx(4 * s["force_constant"][0])
    assert two["diffusion"][1] == pytest.approx(s["diffusion"][0] / 4)
    lines = pullcv.awh_lines(two, [3, 4])
    assert f"awh1-dim2-force-constant = {two['force_constant'][1]}" in lines
    with pytest.raises(ConfigError, match="AWH diffusion: one value or one per CV component"):
        pullcv.awh_lines({**two, "diffusion": [0.1, 0.2, 0.3]}, [3, 4])
    assert s["nstout"] == 50 and s["nstout"] % 10 == 0  # a multiple of nstenergy
    assert s["seed"] != cvround.awh_settings(cv, theta, w, VAC, round_=2)["seed"]
    with pytest.raises(ConfigError, match="round 1 or later"):
        cvround.awh_settings(cv, theta, w, VAC, round_=0)
    with pytest.raises(DataError, match="one value"):
        cvround.awh_settings(cv, np.zeros((5, 2)), np.ones(5), VAC, round_=1)


def test_the_round_mdps_are_the_studys_dynamics_with_the_cv_pull_block():
    from test_gromacs import MDP_DIR

    from mdcv.md import mdp

    m = small_cv_model()
    cv = pullcv.from_model(m, 0)
    with torch.no_grad():
        theta = m.pre.angles(frames(100)).numpy()
    text, block = cvround.awh_mdp(VAC, MDP_DIR, cv, theta, np.ones(100), 1.0, round_=1)
    study = mdp.dynamics_mdp(VAC, "awh", 1.0, MDP_DIR)
    for key in ("integrator", "dt", "nsteps", "nstenergy", "tau-t", "continuation"):
        line = re.search(rf"(?m)^{key}\s*=.*$", study).group(0)
        assert line in text
    assert block.mdp in text and "awh1-ndim = 1" in text and "bb_CA" not in text
    assert re.search(r"(?m)^ld-seed\s*=.*$", text).group(0) != re.search(
        r"(?m)^ld-seed\s*=.*$", study).group(0)
    bias = cvbias.fit(double_well())
    prod, pblock = cvround.production_mdp(VAC, MDP_DIR, cv, bias, 1.0, round_=1)
    assert pblock.bias_coord == pblock.cv_coords[0] + 1 and "awh = yes" not in prod
    assert f"pull-nstxout = {mdp.every(VAC['save_every_ps'], VAC['dt'])}" in prod
    assert re.search(r"(?m)^nstenergy\s*=\s*5$", prod)  # energies with every saved frame


def run_round(system, work, text: str, block: pullcv.PullCV, steps_between: int = 5):
    """Run ``text`` on the vacuum system with full-precision frames (and pull forces)
    every ``steps_between`` steps; the run's directory and its frames."""
    import mdtraj as md

    from mdcv.md import gromacs

    work.mkdir()
    text = re.sub(r"(?m)^nstxout\s*=.*$", f"nstxout = {steps_between}", text)
    text = text.replace("pull-nstfout = 0", f"pull-nstfout = {steps_between}")
    (work / "run.mdp").write_text(text)
    block.write_index(system / "base.ndx", work / "run.ndx")
    gromacs.grompp(work / "run.mdp", system / "conf.gro", system / "topol.top",
                   work / "run.tpr", work / "grompp.log", index=work / "run.ndx")
    gromacs.mdrun(work / "run.tpr", work / "run", work / "mdrun.log",
                  extra=["-px", "pullx.xvg", "-pf", "pullf.xvg"])
    return work / "run", md.load(str(work / "run" / "md.trr"), top=str(system / "conf.gro"))


@pytest.mark.gromacs
@pytest.mark.slow
def test_gromacs_applies_the_fixed_cv_bias_as_numpy_evaluates_it(vacuum, tmp_path):  # noqa: F811
    """20 steps under the fixed bias: COM-Pull-En. equals V_b(ξ(θ)) on the full-precision
    frames, and the force on each dihedral (pullf) equals -dV_b/dθ."""
    from test_gromacs import MDP_DIR

    m = small_cv_model()
    cv = pullcv.from_model(m, 0)
    start = cvbias.frame_angles(cv.atoms, _conf_xyz(vacuum))
    centre = float(cv(start)[0])
    xi = np.linspace(centre - 0.3, centre + 0.3, 61)  # the start on a slope of F
    bias = cvbias.fit(cvbias.CvPmf(xi, 10 * ((xi - centre + 0.1) / 0.3) ** 2))
    text, block = cvround.production_mdp(VAC, MDP_DIR, cv, bias, 0.02, round_=1)
    run, traj = run_round(vacuum, tmp_path / "prod", text, block)
    xyz = traj.xyz.astype(np.float64)
    plain = cvround.biased_frames(cv, bias, xyz, KT)
    theta, xi, v_numpy = plain["theta"], plain["xi"], plain["v_bias"]
    assert traj.n_frames == 5 and np.ptp(v_numpy) > 0 and np.abs(bias.derivative(xi)).min() > 1
    # GROMACS (mixed precision) computes the dihedrals from float coordinates: ξ agrees
    # to ~1e-6, so V_b to 1e-4 kJ/mol plus that times the slope.
    slope = np.abs(bias.derivative(xi)).max()
    tolerance = 1e-4 + 2e-6 * slope
    v_gmx = cvbias.gromacs_bias(run / "md.edr", traj.time)
    checked = cvround.biased_frames(cv, bias, xyz, KT, v_gmx, tolerance, str(run))
    assert checked["max_dev"] < tolerance
    np.testing.assert_allclose(checked["w"], cvbias.weights(v_numpy, KT))
    with pytest.raises(DataError, match="differs from V_b"):
        cvround.biased_frames(cv, bias, xyz, KT, v_gmx + 0.01, tolerance)
    pullx, pullf = pullcv.read_xvg(run / "pullx.xvg"), pullcv.read_xvg(run / "pullf.xvg")
    np.testing.assert_allclose(pullx[:, block.cv_coords[0]], xi, atol=2e-5)
    np.testing.assert_allclose(pullx[:, block.bias_coord], v_numpy, atol=tolerance, rtol=1e-5)
    # Forces (kJ/mol per coordinate unit): -1 on the bias coordinate (constant force),
    # -dV_b/dξ on the CV, -dV_b/dξ · ∂ξ/∂θ_j on dihedral j (kJ/mol/rad).
    np.testing.assert_array_equal(pullf[:, block.bias_coord], -1.0)
    np.testing.assert_allclose(pullf[:, block.cv_coords[0]], -bias.derivative(xi), rtol=1e-4,
                               atol=1e-3)
    expected = -bias.derivative(xi)[:, None] * cvround.cv_gradient(cv, theta)
    assert np.abs(expected).max() > 1.0
    np.testing.assert_allclose(pullf[:, block.dihedral_coords], expected, rtol=1e-4,
                               atol=1e-4 * np.abs(expected).max())


def _conf_xyz(system) -> np.ndarray:
    import mdtraj as md

    return md.load(str(system / "conf.gro")).xyz.astype(np.float64)


@pytest.mark.gromacs
@pytest.mark.slow
def test_a_short_awh_run_along_the_cv_gives_its_pmf_on_the_awh_grid(vacuum, tmp_path):  # noqa: F811
    """100 steps of AWH along a small CV: ``gmx awh`` writes F(ξ) on a regular grid
    from the AWH start to its end, which the reader turns into kJ/mol (min 0)."""
    from test_gromacs import MDP_DIR

    m = small_cv_model()
    cv = pullcv.from_model(m, 0)
    with torch.no_grad():
        theta = m.pre.angles(frames(200)).numpy()
    text, block = cvround.awh_mdp(VAC, MDP_DIR, cv, theta, np.ones(200), 0.1, round_=1)
    settings = cvround.awh_settings(cv, theta, np.ones(200), VAC, round_=1)
    run, _ = run_round(vacuum, tmp_path / "awh", text, block)
    pmf = cvbias.awh_pmf(run / "md.edr", tmp_path / "awh" / "run.tpr", tmp_path / "pmf.xvg",
                         tmp_path / "awh.log")  # the grid from the printed ends (4 decimals)
    assert pmf.xi[0] == pytest.approx(settings["start"][0], abs=1e-4)
    assert pmf.xi[-1] == pytest.approx(settings["end"][0], abs=1e-4)
    exact = cvbias.read_awh_pmf(tmp_path / "pmf.xvg", settings["start"][0], settings["end"][0])
    assert exact.xi[0] == settings["start"][0] and exact.xi[-1] == settings["end"][0]
    with pytest.raises(DataError, match="off the regular grid"):
        cvbias.read_awh_pmf(tmp_path / "pmf.xvg", settings["start"][0] - 0.01)
    width = np.sqrt(KT / settings["force_constant"][0])  # the umbrella width, CV units
    assert np.diff(pmf.xi).mean() < width  # several points per umbrella width
    assert np.isfinite(pmf.f).all() and pmf.f.min() == 0
    bias = cvbias.fit(pmf, tolerance=50.0)
    assert bias.lo == pmf.xi[0] and bias.hi == pmf.xi[-1]


@pytest.mark.gromacs
@pytest.mark.slow
def test_a_tiny_round_runs_awh_fits_the_bias_and_runs_under_it(vacuum, tmp_path):  # noqa: F811
    """A loop round's GROMACS side end to end, in a few hundred steps: AWH along the CV,
    F(ξ), the fixed bias, the production under it, checked weights and transitions."""
    from test_gromacs import MDP_DIR

    m = small_cv_model()
    cv = pullcv.from_model(m, 0)
    with torch.no_grad():
        theta = m.pre.angles(frames(200)).numpy()
    w = np.ones(len(theta))
    text, block = cvround.awh_mdp(VAC, MDP_DIR, cv, theta, w, 0.2, round_=1)
    aw = cvround.awh_settings(cv, theta, w, VAC, round_=1)
    run, _ = run_round(vacuum, tmp_path / "awh", text, block)
    pmf = cvbias.awh_pmf(run / "md.edr", tmp_path / "awh" / "run.tpr", tmp_path / "pmf.xvg",
                         tmp_path / "awh.log", aw["start"][0], aw["end"][0])
    assert np.ptp(pmf.f) > 0  # AWH has updated its bias
    bias = cvbias.fit(pmf)
    assert (bias.lo, bias.hi) == (aw["start"][0], aw["end"][0]) and bias.fit_error < 1.0
    text, block = cvround.production_mdp(VAC, MDP_DIR, cv, bias, 0.05, round_=1)
    run, traj = run_round(vacuum, tmp_path / "prod", text, block)
    v_gmx = cvbias.gromacs_bias(run / "md.edr", traj.time)
    frames_ = cvround.biased_frames(cv, bias, traj.xyz.astype(np.float64), KT, v_gmx,
                                    tolerance=1e-3, source=str(run))
    assert frames_["max_dev"] < 1e-3 and frames_["w"].mean() == pytest.approx(1.0)
    rate = cvround.transitions(frames_["theta"][:, cv.names.index("phi")], traj.time)
    assert rate["ns_simulated"] == pytest.approx(traj.time[-1] / 1000)
