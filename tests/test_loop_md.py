"""The CV loop on a molecule: settings, planning and a tiny real round (AWH along a dihedral
CV in GROMACS, the fixed bias, the production, the reweighted samples, the retraining)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mdcv import config as mdcv_config
from mdcv import data
from mdcv.loop import mdplan

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = [ROOT / "tests" / "configs" / n for n in ("md_tiny.yaml", "loop_md_tiny.yaml")]


def tiny_config() -> dict:
    return mdcv_config.load([ROOT / "config" / "config.yaml", *CONFIGS], base_dir=ROOT)


def test_md_rounds_read_loop_md_over_the_system_settings():
    cfg = tiny_config()
    assert mdplan.systems(cfg) == ["ala2-vacuum"]
    awh = mdplan.run_settings(cfg, "ala2-vacuum", "awh")
    assert awh["length_ps"] == pytest.approx(10.0) and awh["dt"] == 0.001
    assert awh["layout"] == "auto" and awh["margin"] == pytest.approx(0.1)
    assert mdplan.fit_settings(cfg) == {"fraction": 0.7, "cap": 40.0, "smooth": 0.03,
                                        "degree": 8, "fit_tolerance": 5.0}
    feats = mdplan.samples_settings(cfg, "ala2-vacuum")
    assert feats["ns_simulated"] == pytest.approx(0.02) and feats["tolerance"] == 0.5
    assert mdplan.round0_ns(cfg, "ala2-vacuum") == pytest.approx(0.2)  # md_tiny: AWH + biased
    inputs = mdplan.awh_inputs(cfg, "ala2-vacuum", "2")
    assert inputs["samples"].endswith("ala2-vacuum/loop/round1/samples.npz")
    assert inputs["model"].endswith("ala2-vacuum/loop/round1/model/model.pt")
    assert inputs["cpt"].endswith("ala2-vacuum/md/nvt/state.cpt")


def test_rounds_with_a_holdout_are_read_out_on_it_in_time_blocks():
    from mdcv.loop.steps import readout_frames

    t = np.r_[np.arange(0.0, 10.0, 0.5), np.arange(0.0, 10.0, 0.5)]  # two runs, ps
    ds = data.Dataset(x=np.zeros((40, 2), np.float32), w=np.ones(40), t=t,
                      traj=np.repeat([0, 1], 20))
    idx, units = readout_frames(ds, {"holdout": 0.5, "holdout_block": 2.0})
    np.testing.assert_array_equal(idx, np.arange(20, 40))  # the last half: run 1
    np.testing.assert_array_equal(units, np.repeat(np.arange(5), 4))  # 2 ps stretches
    idx, units = readout_frames(ds, {})  # no holdout: all samples, by trajectory
    assert len(idx) == 40 and set(units) == {0, 1}


def test_bad_loop_md_settings_are_named():
    cfg = {"loop": {"md": {"awh_ns": -1}}}
    with pytest.raises(mdcv_config.ConfigError, match="loop.md.awh_ns"):
        mdcv_config.validate(cfg)
    with pytest.raises(mdcv_config.ConfigError, match="loop.md.layout"):
        mdcv_config.validate({"loop": {"md": {"layout": "flat"}}})


@pytest.mark.gromacs
@pytest.mark.slow
@pytest.mark.snakemake
def test_tiny_md_round_end_to_end(tmp_path):
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "config.yaml").symlink_to(ROOT / "config" / "config.yaml")
    cmd = [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "--directory",
           str(tmp_path), "--workflow-profile", "none", "-c2",
           "--configfile", *map(str, CONFIGS), "--", "results/tables/cv_loop.csv"]
    proc = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True,
                          env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    table = pd.read_csv(tmp_path / "results/tables/cv_loop.csv")
    assert list(table["round"]) == [0, 1] and set(table["system"]) == {"ala2-vacuum"}
    assert np.isfinite(table["lambda1"]).all() and (table["lambda1"] > 0).all()
    # held-out frames resampled in 1 ps stretches: a real interval
    assert (table["lambda1_lo"] < table["lambda1_hi"]).all()
    assert table["ns_simulated"].tolist() == pytest.approx([0.2, 0.02])
    loop = tmp_path / "results/ala2-vacuum/loop/round1"
    span = json.loads((loop / "awh/range.json").read_text())
    r0 = data.load(tmp_path / "results/ala2-vacuum/loop/round0/samples.npz")
    r1 = data.load(loop / "samples.npz")
    # round 1's AWH ran along round 0's CV: its range is that CV's on round 0's frames
    assert span["start"] < span["end"]
    assert "transformation" in (loop / "awh/topol.mdp").read_text()
    assert "constant-force" in (loop / "biased/topol.mdp").read_text()
    # the weights are exp(V_b/kT) of the bias GROMACS applied (checked in the rule)
    log_w = np.log(r1.w) - r1["v_bias"] / float(r1["kT"])
    assert np.ptp(log_w) < 1e-6 and r1.w.std() > 0
    assert r1.x.shape[1] == r0.x.shape[1] == 66
    stats = json.loads((loop / "samples_stats.json").read_text())
    assert stats["samples"] == r1.n and stats["bias_max_deviation"] <= 0.5
