"""The MD stage as a workflow: config defaults, dry run, a real tiny chain, clear failures."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from mdcv import config as mdcv_config
from mdcv import data
from mdcv.errors import ConfigError
from mdcv.md import settings as mdsettings

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "tests" / "configs" / "md_tiny.yaml"


def snakemake(workdir: Path, *args, env=None, check=True) -> subprocess.CompletedProcess:
    """Run the workflow in ``workdir`` (results go there) with the tiny MD config."""
    (workdir / "config").mkdir(parents=True, exist_ok=True)
    for name in ("config.yaml", "paper.yaml"):
        target = workdir / "config" / name
        if not target.exists():
            target.symlink_to(ROOT / "config" / name)
    cmd = [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "--directory",
           str(workdir), "--workflow-profile", "none", "--configfile", str(TINY), *args]
    proc = subprocess.run(cmd, cwd=workdir, capture_output=True, text=True,
                          env={**os.environ, **(env or {})})
    if check and proc.returncode != 0:
        raise AssertionError(f"snakemake failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return proc


def test_md_defaults_are_filled_per_system():
    config = {"seed": 3, "md": {"systems": {"ala2-water": {"awh_ns": 1.0}}}}
    mdcv_config.validate(config)
    water = mdsettings.system_settings(config, "ala2-water")
    assert water["solvent"] == "water" and water["dt"] == 0.002 and water["awh_ns"] == 1.0
    assert water["bias"]["fraction"] == 0.7 and water["seed"] == 3
    assert "ala2-vacuum" not in config["md"]["systems"]  # only listed systems run
    assert mdsettings.stage_length_ps(water, "unbiased3") == pytest.approx(50.0)
    with pytest.raises(ConfigError, match="md.systems.ala2-vacuum: Additional"):
        mdcv_config.validate({"md": {"systems": {"ala2-vacuum": {"lenght": 1}}}})
    with pytest.raises(ConfigError, match="md.features.atoms"):
        mdcv_config.validate({"md": {"features": {"atoms": "backbone"}}})


def test_rule_params_hold_only_what_the_stage_uses():
    """Changing a later stage, the featurization or threads must not rerun a simulation."""
    base = {"seed": 1, "md": {"systems": {"ala2-vacuum": {}, "ala2-water": {}}}}
    mdcv_config.validate(base)
    changed = {"seed": 1, "md": {"features": {"atoms": "heavy"}, "bias": {"fraction": 0.5},
                                 "systems": {"ala2-vacuum": {"biased_ns": 99.0, "threads": 2},
                                             "ala2-water": {}}}}
    mdcv_config.validate(changed)
    for stage in ("em", "nvt", "awh", "unbiased0"):
        assert (mdsettings.stage_settings(base, "ala2-vacuum", stage)
                == mdsettings.stage_settings(changed, "ala2-vacuum", stage))
    awh = mdsettings.stage_settings(base, "ala2-vacuum", "awh")
    assert "awh" in awh and "threads" not in awh and "fourier_spacing" not in awh
    assert "pressure" in mdsettings.stage_settings(base, "ala2-water", "npt")
    assert mdsettings.topology_settings(base, "ala2-vacuum") == {
        "box": 5.0, "forcefield": "amber99sb-ildn", "name": "ala2-vacuum", "solvent": "vacuum"}
    names = [Path(p).name for p in mdsettings.stage_templates(base, "ala2-water", "awh", "x")]
    assert names == ["dynamics.mdp", "nonbonded_water.mdp", "awh.mdp"]
    assert mdsettings.dataset_frames(base, "ala2-vacuum") == 19_990
    assert mdsettings.dataset_frames(base, "ala2-vacuum", "unbiased") == 4 * 5001


@pytest.mark.snakemake
@pytest.mark.parametrize("configfile", ["config.yaml", "paper.yaml"])
def test_dry_run_lists_the_md_targets(tmp_path, configfile):
    extra = ["--configfile", str(ROOT / "config" / configfile)]
    proc = snakemake(tmp_path, "md_all", "-n", *extra, "--quiet", "rules")
    out = proc.stdout
    for rule in ("md_topology", "md_em", "md_dynamics", "md_pmf", "md_bias", "features_biased",
                 "features_unbiased", "md_reweighting_check", "md_figures"):
        assert rule in out


@pytest.mark.gromacs
@pytest.mark.snakemake
def test_missing_gmx_fails_naming_the_log(tmp_path):
    proc = snakemake(tmp_path, "-c1", "results/ala2-vacuum/md/topology/conf.gro",
                     env={"MDCV_GMX": "gmx-not-installed"}, check=False)
    assert proc.returncode != 0
    log = tmp_path / "results/logs/md/ala2-vacuum/topology.log"
    assert "results/logs/md/ala2-vacuum/topology.log" in proc.stdout + proc.stderr
    assert "'gmx-not-installed' not found on PATH" in log.read_text()


@pytest.mark.gromacs
@pytest.mark.slow
@pytest.mark.snakemake
def test_tiny_chain_end_to_end(tmp_path):
    snakemake(tmp_path, "-c2", "md_all")
    for system in ("ala2-vacuum", "ala2-water"):
        biased = data.load(tmp_path / f"results/{system}/dataset/biased.npz")
        unbiased = data.load(tmp_path / f"results/{system}/dataset/unbiased.npz")
        for ds in (biased, unbiased):
            assert ds.x.dtype == np.float32 and ds.x.shape[1] == 66
            assert ds["atoms"].shape == (22,) and ds["atoms"].dtype.kind == "U"
            assert ds["ref"].shape == (22, 3) and ds["masses"].shape == (22,)
            for angle in ("phi", "psi"):
                assert np.all(np.abs(ds[angle]) <= np.pi)
            assert float(ds["kT"]) == pytest.approx(2.494, abs=1e-3)
        assert np.all(np.isfinite(biased.w)) and biased.w.mean() == pytest.approx(1.0)
        assert biased.w.std() > 0  # the bias is on
        np.testing.assert_allclose(biased["v_bias"], biased["v_bias_grid"], atol=0.5)
        log_w = np.log(biased.w) - biased["v_bias"] / float(biased["kT"])
        assert np.ptp(log_w) < 1e-6  # w ∝ exp(β V_bias)
        np.testing.assert_array_equal(unbiased.w, 1.0)
        for panel in ("pmf", "biased_samples", "weights_phi", "weights_psi"):
            for ext in ("png", "pdf"):
                assert (tmp_path / f"results/figures/md_{system}_{panel}.{ext}").stat().st_size
    vac = data.load(tmp_path / "results/ala2-vacuum/dataset/unbiased.npz")
    assert set(np.unique(vac.traj)) == {0, 1}
    table = (tmp_path / "results/tables/reweighting_check.csv").read_text().splitlines()
    assert table[0].startswith("system,") and len(table) == 3
    # everything is up to date afterwards; a deleted output is remade from kept inputs
    (tmp_path / "results/ala2-vacuum/dataset/biased.npz").unlink()
    proc = snakemake(tmp_path, "-c2", "md_all")
    assert "md_dynamics" not in proc.stderr.split("Job stats:")[-1].split("Reasons")[0]
