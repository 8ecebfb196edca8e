"""The gmx wrapper and mdp rendering: clear errors, deterministic inputs, restarts."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mdcv import seeds
from mdcv.errors import ConfigError, GromacsError
from mdcv.md import gromacs, mdp, molecule, topology

MDP_DIR = Path(__file__).resolve().parents[1] / "workflow" / "mdp"

VACUUM = {
    "name": "ala2-vacuum", "seed": 7, "solvent": "vacuum", "forcefield": "amber99sb-ildn",
    "water": "tip3p", "box": 5.0, "cutoff": 2.0, "fourier_spacing": 0.12, "dt": 0.001,
    "constraints": "none", "temperature": 300.0, "friction": 1.0, "threads": 1,
    "em_steps": 200, "em_tolerance": 100.0, "save_every_ps": 0.1, "energy_every_ps": 0.1,
    "checkpoint_minutes": 5.0, "tau_p": 2.0, "pressure": 1.0,
    "awh": {"force_constant": 1000.0, "diffusion": 0.1, "error_init": 10.0,
            "potential": "convolved", "nstsample": 10, "nsamples_update": 10,
            "output_every": 1.0},
}


def test_render_reports_missing_values(tmp_path):
    template = tmp_path / "t.mdp"
    template.write_text("dt = ${dt}\ngen-vel = ${gen_vel}\n")
    assert mdp.render(template, {"dt": 0.002, "gen_vel": True}) == "dt = 0.002\ngen-vel = yes\n"
    with pytest.raises(ConfigError, match="gen_vel"):
        mdp.render(template, {"dt": 0.002})


def test_stage_values():
    prod = mdp.stage_values(VACUUM, "biased", 100.0)
    assert prod["nsteps"] == 100_000 and prod["integrator"] == "sd"
    assert prod["tau_t"] == pytest.approx(1.0) and prod["comm_mode"] == "None"
    assert prod["nstenergy"] == prod["nstxout"] == 100  # energies with every saved frame
    assert prod["continuation"] and not prod["gen_vel"]
    fresh = mdp.stage_values(VACUUM, "unbiased", 10.0, run=1)
    assert fresh["gen_vel"] and fresh["seed"] != mdp.stage_values(VACUUM, "unbiased", 10.0)["seed"]
    assert seeds.derive(7, "a", 1) == seeds.derive(7, "a", 1) < 2**31
    with pytest.raises(ConfigError, match="unknown md stage"):
        mdp.stage_values(VACUUM, "production", 1.0)


def test_dynamics_mdp_blocks():
    awh = mdp.dynamics_mdp(VACUUM, "awh", 10.0, MDP_DIR)
    assert "awh1-ndim                = 2" in awh and "pull-coord1-geometry     = dihedral" in awh
    assert "pcoupl                   = no" in awh and "rcoulomb                 = 2" in awh
    prod = mdp.dynamics_mdp(VACUUM, "biased", 10.0, MDP_DIR)
    assert "awh " not in prod and "pull " not in prod
    water = {**VACUUM, "solvent": "water", "cutoff": 1.0}
    npt = mdp.dynamics_mdp(water, "npt", 10.0, MDP_DIR)
    assert "C-rescale" in npt and "PME" in npt and "comm-mode                = Linear" in npt


def test_missing_gmx_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setenv(gromacs.GMX_ENV, "gmx-not-installed")
    with pytest.raises(GromacsError, match="not found on PATH"):
        gromacs.run(["--version"], tmp_path / "x.log")


def test_performance_line(tmp_path):
    log = tmp_path / "md.log"
    log.write_text("...\n        (ns/day)    (hour/ns)\nPerformance:     8000.5        0.003\n")
    assert gromacs.performance(log) == pytest.approx(8000.5)


def test_workdir_is_reset_for_another_run_input(tmp_path):
    a, b = tmp_path / "a.tpr", tmp_path / "b.tpr"
    a.write_bytes(b"one")
    b.write_bytes(b"two")
    work = gromacs.prepare_workdir(a, tmp_path / "work")
    (work / "md.cpt").write_bytes(b"state")
    assert (gromacs.prepare_workdir(a, work) / "md.cpt").exists()  # same input: kept
    assert not (gromacs.prepare_workdir(b, work) / "md.cpt").exists()  # new input: afresh


@pytest.fixture(scope="module")
def vacuum_system(tmp_path_factory):
    """A built vacuum system (conf.gro, topol.top, index.ndx); for ``gromacs`` tests only."""
    d = tmp_path_factory.mktemp("vac")
    log = d / "build.log"
    molecule.write_pdb(d / "ala2.pdb")
    topology.build_system(d / "ala2.pdb", d / "conf.gro", d / "topol.top", log, VACUUM)
    topology.write_index(d / "index.ndx", topology.count_atoms(d / "conf.gro"))
    return d


@pytest.mark.gromacs
def test_unknown_forcefield_names_the_log(tmp_path):
    molecule.write_pdb(tmp_path / "ala2.pdb")
    log = tmp_path / "topology.log"
    with pytest.raises(GromacsError, match="unknown force field 'amber-nope'.*topology.log"):
        topology.build_system(tmp_path / "ala2.pdb", tmp_path / "c.gro", tmp_path / "t.top", log,
                              {**VACUUM, "forcefield": "amber-nope"})


@pytest.mark.gromacs
def test_failed_grompp_names_command_and_log(vacuum_system, tmp_path):
    bad = tmp_path / "bad.mdp"
    bad.write_text("integrator = leapfrog-of-faith\n")
    log = tmp_path / "grompp.log"
    with pytest.raises(GromacsError) as err:
        gromacs.grompp(bad, vacuum_system / "conf.gro", vacuum_system / "topol.top",
                       tmp_path / "x.tpr", log)
    assert "gmx grompp" in str(err.value) and str(log) in str(err.value)
    assert "leapfrog-of-faith" in log.read_text()


@pytest.mark.gromacs
def test_mdrun_restarts_from_checkpoint(vacuum_system, tmp_path):
    d, log = vacuum_system, tmp_path / "run.log"
    (tmp_path / "nvt.mdp").write_text(mdp.dynamics_mdp(VACUUM, "nvt", 2.0, MDP_DIR))
    for name in ("a.tpr", "b.tpr"):
        gromacs.grompp(tmp_path / "nvt.mdp", d / "conf.gro", d / "topol.top", tmp_path / name,
                       log, index=d / "index.ndx")
    # grompp output is not bit-for-bit reproducible: runs are keyed on grompp's inputs
    key = gromacs.fingerprint(tmp_path / "nvt.mdp", d / "conf.gro", d / "topol.top")
    work = tmp_path / "work"
    gromacs.mdrun(tmp_path / "a.tpr", work, log, extra=["-nsteps", "1000"], key=key)  # killed
    files = gromacs.mdrun(tmp_path / "b.tpr", work, log, key=key)  # continues from md.cpt
    assert "Restarting from checkpoint" in files["log"].read_text()
    md = pytest.importorskip("mdtraj")
    traj = md.load(str(files["xtc"]), top=str(d / "conf.gro"))
    assert traj.time[-1] == pytest.approx(2.0)
    assert traj.n_frames == 21  # 0..2 ps every 0.1 ps, no duplicate frames
    assert gromacs.performance(files["log"]) > 0


@pytest.mark.slow  # a tiny real run: seconds
@pytest.mark.gromacs
def test_awh_pmf_extraction(vacuum_system, tmp_path):
    from mdcv.md import pmf

    d, log = vacuum_system, tmp_path / "awh.log"
    (tmp_path / "awh.mdp").write_text(mdp.dynamics_mdp(VACUUM, "awh", 5.0, MDP_DIR))
    gromacs.grompp(tmp_path / "awh.mdp", d / "conf.gro", d / "topol.top", tmp_path / "awh.tpr",
                   log, index=d / "index.ndx")
    files = gromacs.mdrun(tmp_path / "awh.tpr", tmp_path / "work", log)
    xvg = gromacs.awh_pmf(files["edr"], tmp_path / "awh.tpr", tmp_path / "pmf.xvg", log)
    out = pmf.read_awh_xvg(xvg)
    assert out.f.shape == (len(out.phi), len(out.psi)) and len(out.phi) > 36
    assert out.phi.min() == pytest.approx(-3.14159, abs=1e-3) and out.phi.max() < 3.1416
    assert out.f.min() == 0.0


@pytest.mark.gromacs
def test_a_busy_workdir_is_refused(vacuum_system, tmp_path):
    import fcntl

    (tmp_path / "nvt.mdp").write_text(mdp.dynamics_mdp(VACUUM, "nvt", 0.1, MDP_DIR))
    gromacs.grompp(tmp_path / "nvt.mdp", vacuum_system / "conf.gro", vacuum_system / "topol.top",
                   tmp_path / "a.tpr", tmp_path / "run.log", index=vacuum_system / "index.ndx")
    with open(tmp_path / ".work.lock", "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        with pytest.raises(GromacsError, match="in use by another mdrun"):
            gromacs.mdrun(tmp_path / "a.tpr", tmp_path / "work", tmp_path / "run.log")


def wait_for(condition, what: str, timeout_s: float = 120.0, child=None) -> None:
    """Poll ``condition()`` until true; fail naming ``what`` after ``timeout_s`` or when
    ``child`` (a Popen) exits first."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if child is not None and child.poll() is not None:
            raise AssertionError(f"the child exited ({child.returncode}) before {what}: "
                                 f"{child.stderr.read() if child.stderr else ''}")
        if time.monotonic() > deadline:
            raise AssertionError(f"no {what} within {timeout_s:.0f} s")
        time.sleep(0.05)


def _text(path: Path) -> str:
    return path.read_text(errors="replace") if path.exists() else ""


@pytest.mark.gromacs
@pytest.mark.slow
def test_sigterm_is_passed_to_mdrun_which_leaves_a_checkpoint(vacuum_system, tmp_path):
    (tmp_path / "nvt.mdp").write_text(mdp.dynamics_mdp(VACUUM, "nvt", 2000.0, MDP_DIR))
    gromacs.grompp(tmp_path / "nvt.mdp", vacuum_system / "conf.gro", vacuum_system / "topol.top",
                   tmp_path / "a.tpr", tmp_path / "run.log", index=vacuum_system / "index.ndx")
    code = ("import sys; from mdcv.md import gromacs; "
            "gromacs.mdrun(sys.argv[1], sys.argv[2], sys.argv[3])")
    child = subprocess.Popen([sys.executable, "-c", code, str(tmp_path / "a.tpr"),
                              str(tmp_path / "work"), str(tmp_path / "run.log")],
                             stderr=subprocess.PIPE, text=True, start_new_session=True)
    md_log = tmp_path / "work" / "md.log"
    try:
        # The step-0 energies are logged from inside the MD loop, after mdrun has set its
        # signal handlers: from then on SIGTERM means "checkpoint and stop".
        wait_for(lambda: "Energies (kJ/mol)" in _text(md_log), "step-0 energies in md.log",
                 child=child)
        child.send_signal(signal.SIGTERM)
        _, err = child.communicate(timeout=120)
    finally:
        if child.poll() is None:  # a failed wait: end the wrapper and its gmx
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()
    assert child.returncode != 0 and "interrupted by signal" in err
    assert (tmp_path / "work" / "md.cpt").exists()  # mdrun stopped cleanly with a checkpoint
    # and nothing keeps running: the work directory is free again
    files = gromacs.mdrun(tmp_path / "a.tpr", tmp_path / "work", tmp_path / "run.log",
                          extra=["-nsteps", "0"])
    assert "Restarting from checkpoint" in files["log"].read_text()
