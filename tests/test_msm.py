"""MSM references: start frames, reversible MSM eigenvalues, π constraint, the BD mdp."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from mdcv.md import mdp
from mdcv.reference import cores, msm
from mdcv.reference import runs as refruns

ROOT = Path(__file__).resolve().parents[1]


def two_state_chain(p01: float, p10: float, n_runs: int, length: int, seed: int = 0):
    """Runs of a two-state Markov chain, started half in each state; exact λ known."""
    rng = np.random.default_rng(seed)
    state = np.arange(n_runs) % 2
    out = np.empty((n_runs, length), dtype=np.int32)
    for t in range(length):  # over time steps, all runs at once
        out[:, t] = state
        u = rng.random(n_runs)
        state = np.where(state == 0, (u < p01).astype(int), 1 - (u < p10).astype(int))
    return [row for row in out]


def test_two_state_rate_is_recovered_with_and_without_the_pi_constraint():
    p01, p10, dt_ps = 0.01, 0.04, 1.0
    dtrajs = two_state_chain(p01, p10, 200, 200)
    exact = -np.log(1 - p01 - p10) / (dt_ps / 1000.0)  # 1/ns
    pi = np.array([p10, p01]) / (p01 + p10)
    for constraint in (None, pi):
        res = msm.estimate(dtrajs, 1, dt_ps, 2, constraint, k=1)
        assert res["eigenvalues"][0] == pytest.approx(exact, rel=0.1)
    fixed = msm.estimate(dtrajs, 1, dt_ps, 2, pi, k=1)
    np.testing.assert_allclose(fixed["pi"], pi, atol=1e-6)
    boot = msm.bootstrap(dtrajs, 1, dt_ps, 2, pi, 1, 5, np.random.default_rng(1))
    assert np.all(np.isfinite(boot)) and boot.std() > 0


def test_implied_timescales_scan_over_lags_and_runs():
    dtrajs = two_state_chain(0.01, 0.04, 64, 100)
    scan = msm.implied_timescales(dtrajs, [1, 2, 4], 1.0, 2, None, 1, 3,
                                  np.random.default_rng(0), run_counts=[16, 32])
    assert set(scan["scan"]) == {"lag", "runs"}
    lam = scan[scan["scan"] == "lag"]["eigenvalue"].to_numpy()
    np.testing.assert_allclose(lam, lam[0], rtol=0.15)  # Markovian: λ does not depend on the lag
    np.testing.assert_allclose(scan["timescale_ns"], 1.0 / scan["eigenvalue"])


def test_start_frames_cover_every_occupied_cell_first():
    rng = np.random.default_rng(0)
    # 990 frames in one basin, 10 on the barrier: a spread pick still takes barrier frames
    phi = np.concatenate([rng.normal(-1.4, 0.1, 990), np.full(10, 0.1)])
    psi = np.concatenate([rng.normal(1.2, 0.1, 990), np.full(10, 0.0)])
    pick = refruns.spread_starts(phi, psi, 12, 12, np.random.default_rng(1))
    assert len(np.unique(pick)) == 12
    assert np.any(pick >= 990)


def test_bd_mdp_has_the_friction_that_d_implies():
    """bd-fric = k_BT/D: 2494 amu/ps for D = 1 nm²/ns at 300 K, with h-bond constraints at 2 fs."""
    assert refruns.bd_friction(300.0, 1.0) == pytest.approx(2494.34, abs=0.01)
    md = {"name": "ala2-vacuum", "seed": 1, "solvent": "vacuum", "cutoff": 2.0, "dt": 0.001,
          "friction": 1.0, "temperature": 300.0, "constraints": "none", "save_every_ps": 1.0,
          "energy_every_ps": 1.0, "checkpoint_minutes": 5.0}
    reference = {"bd": {"dt": 0.002, "constraints": "h-bonds", "save_every_ps": 1.0,
                        "diffusion_constant": 1.0}}
    settings = refruns.run_settings(md, "bd", reference)
    text = mdp.dynamics_mdp(settings, "unbiased", 100.0, ROOT / "workflow" / "mdp", run=3)
    values = {k.strip(): v.strip() for k, _, v in
              (line.partition("=") for line in text.splitlines() if "=" in line and not line.startswith(";"))}
    assert values["integrator"] == "bd"
    assert float(values["bd-fric"]) == pytest.approx(mdp.kT(300.0) / 1e-3, rel=1e-6)
    assert float(values["dt"]) == 0.002 and values["constraints"] == "h-bonds"
    assert int(values["nsteps"]) == 50000
    langevin = refruns.run_settings(md, "langevin", {"langevin": {
        "dt": 0.001, "constraints": "none", "save_every_ps": 1.0}})
    assert langevin["integrator"] == "sd" and langevin["bd_fric"] == 0.0


def test_phi_cores_leave_out_both_barriers():
    phi = np.array([-3.0, -1.0, -0.4, 0.0, 0.4, 1.0, 2.1, 2.4, 2.6, 3.1])
    np.testing.assert_array_equal(cores.phi_cores(phi), [0, 0, -1, -1, -1, 1, -1, -1, 0, 0])


def test_phi_crossings_count_core_to_core_transitions_only():
    phi = np.array([-1.5, 0.0, 1.2, 0.3, 1.0, -1.0, -1.2, 1.0, 1.1])
    traj = np.array([0, 0, 0, 0, 0, 0, 1, 1, 1])
    # run 0: eq → (barrier) → ax → (barrier) → ax → eq: 2 crossings; run 1: eq → ax: 1
    assert msm.phi_crossings(phi, traj) == 3


def test_reference_runs_are_reused_only_with_the_same_start_length_and_settings(tmp_path,
                                                                                 monkeypatch):
    calls = []

    def fake_dynamics(settings, stage, length_ps, template_dir, gro, top, index, tpr, deffnm,
                      logfile, outputs, run):
        calls.append((run, length_ps))
        Path(deffnm).mkdir(parents=True, exist_ok=True)
        (Path(deffnm) / "md.cpt").write_text("scratch")
        Path(outputs["xtc"]).write_text("frames")

    monkeypatch.setattr(refruns.simulate, "dynamics", fake_dynamics)
    starts = []
    for i in range(2):
        starts.append(tmp_path / f"start{i}.gro")
        starts[-1].write_text(f"start {i}\n")
    settings = {"integrator": "bd", "dt": 0.002, "threads": 2}  # two runs at once

    def run(length_ps, settings=settings):
        return refruns.simulate_runs(settings, starts, length_ps, "mdp", "top", "ndx",
                                     tmp_path / "work")

    run(10.0)
    assert sorted(calls) == [(0, 10.0), (1, 10.0)]
    work = tmp_path / "work"
    assert not (work / "run0" / "md").exists()  # the mdrun scratch of a finished run is gone
    assert (work / "run0" / "traj.xtc").read_text() == "frames"
    run(10.0)  # finished and unchanged: nothing is simulated again
    assert len(calls) == 2
    run(20.0)  # longer runs asked: both are redone
    assert sorted(calls[2:]) == [(0, 20.0), (1, 20.0)]
    starts[1].write_text("another frame\n")
    run(20.0, {**settings, "dt": 0.001})
    assert len(calls) == 6
    (tmp_path / "work" / "run1" / "run.json").write_text("{broken")  # unreadable: redone
    run(20.0, {**settings, "dt": 0.001})
    assert calls[6:] == [(1, 20.0)]
