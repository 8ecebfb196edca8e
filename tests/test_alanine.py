"""The alanine stage: config, targets, dry runs, and a real tiny run (gmx + torch + deeptime)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from mdcv import config as mdcv_config
from mdcv.analysis import alanine

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = [ROOT / "tests" / "configs" / "md_tiny.yaml", ROOT / "tests" / "configs" / "alanine_tiny.yaml"]
METHODS = {"study-published", "msm-bd-uniform", "msm-langevin", "tpt-bd-uniform",
           "generator-uniform", "generator-mass_weighted", "transfer"}


def load_config(*extra) -> dict:
    return mdcv_config.load(extra, ROOT)


@pytest.mark.parametrize("extra", [[], [ROOT / "config" / "paper.yaml"]])
def test_config_plans_every_method(extra):
    cfg = load_config(*extra)
    assert alanine.systems(cfg) == ["ala2-vacuum", "ala2-water"]
    assert alanine.reference_systems(cfg) == ["ala2-vacuum"]
    plan = alanine.table_plan(cfg)
    methods = {e["method"] for e in plan["learners"]}
    assert {"generator-uniform", "generator-mass_weighted", "transfer"} <= methods
    water = mdcv_config.learner_settings(cfg, "ala2-water", "generator-uniform")
    assert water["k"] == 3 and water["align"] and water["diffusion"] == "uniform"
    vac = mdcv_config.learner_settings(cfg, "ala2-vacuum", "generator-uniform")
    assert vac["k"] == 2 and vac["atoms"] == "all" and vac["diffusion_constant"] == 1.0
    assert "results/tables/alanine_eigenvalues.csv" in alanine.targets(cfg)
    ref = cfg["alanine"]["reference"]
    assert ref["bd"]["dt"] == 0.002 and ref["bd"]["constraints"] == "h-bonds"
    assert [e["file"] for e in plan["shooting"]] == ["results/ala2-vacuum/reference/bd/shooting.csv"]
    if extra:  # the paper config gives the reference its statistics
        assert ref["bd"]["runs"] * ref["bd"]["length_ns"] >= 500
        assert ref["shooting"]["runs_per_start"] >= 16


def test_schema_rejects_unknown_alanine_keys():
    import jsonschema

    schema = yaml.safe_load((ROOT / "src" / "mdcv" / "schemas" / "alanine.schema.yaml").read_text())
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"reference": {"bd": {"runs": 4, "lenght_ns": 1.0}}}, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"reference": {"stationary": "guessed"}}, schema)


@pytest.mark.snakemake
@pytest.mark.parametrize("configfile", ["config/config.yaml", "config/paper.yaml"])
def test_dry_run_lists_the_alanine_rules(configfile):
    proc = subprocess.run([sys.executable, "-m", "snakemake", "-n", "--configfile", configfile,
                           "--workflow-profile", "none", "--directory", str(ROOT),
                           "--nolock", "results/tables/alanine_eigenvalues.csv"],
                          cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    for rule in ("alanine_reference_runs", "alanine_msm", "alanine_shooting_runs",
                 "alanine_shooting", "alanine_table"):
        assert rule in proc.stdout


@pytest.mark.slow
@pytest.mark.gromacs
@pytest.mark.snakemake
def test_tiny_alanine_stage_end_to_end(tmp_path):
    (tmp_path / "config").mkdir()
    for name in ("config.yaml", "paper.yaml"):
        (tmp_path / "config" / name).symlink_to(ROOT / "config" / name)
    targets = ["results/tables/alanine_eigenvalues.csv",
               "results/figures/alanine_ala2-vacuum_msm_bd.png",
               "results/figures/alanine_ala2-vacuum_msm_langevin.png",
               "results/figures/alanine_ala2-vacuum_generator-uniform.png",
               "results/figures/alanine_ala2-vacuum_convergence.png"]
    cmd = [sys.executable, "-m", "snakemake", *targets, "-s", str(ROOT / "Snakefile"), "-c2",
           "--directory", str(tmp_path), "--workflow-profile", "none", "--configfile", *map(str, CONFIGS)]
    proc = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True,
                          env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    table = pd.read_csv(tmp_path / "results/tables/alanine_eigenvalues.csv")
    assert list(table.columns[:7]) == ["system", "method", "index", "eigenvalue", "std",
                                       "timescale_ns", "unit"]
    assert METHODS <= set(table["method"])
    assert any(m.startswith("effective-") for m in table["method"])
    assert (table["unit"] == "1/ns").all() and table["convention"].notna().all()
    published = table[table["method"] == "study-published"]
    np.testing.assert_allclose(published["eigenvalue"], [0.047, 23.92])
    ritz = table[(table["method"] == "generator-uniform") & (table["readout"] == "ritz")]
    assert ritz["detail"].str.contains("effective frames").all()
    assert ritz["detail"].str.contains("average of 2 cross-fitted members").all()
    models = tmp_path / "results/ala2-vacuum/models/generator-uniform"
    run = json.loads((models / "run.json").read_text())
    assert [m["fold"] for m in run["members"]] == [0, 1]
    for fold in (0, 1):  # each member chose its model on its own fold
        member = json.loads((models / "folds" / str(fold) / "run.json").read_text())
        assert member["fold"] == fold and member["selected_step"] in (20, 40)
    subsets = pd.read_csv(models / "members.csv", dtype={"members": str})
    assert set(subsets["members"]) == {"0", "1", "0+1"}
    assert np.isfinite(subsets["eigenvalue"]).all()
    runs = np.load(tmp_path / "results/ala2-vacuum/reference/bd/runs.npz")
    assert str(runs["integrator"]) == "bd" and float(runs["bd_fric"]) == pytest.approx(2494.3, abs=0.1)
    assert len(np.unique(runs["traj"])) == 8
    shots = np.load(tmp_path / "results/ala2-vacuum/reference/bd/shooting.npz")
    assert int(shots["runs_per_start"]) == 2 and len(shots["start_index"]) <= 3
    assert len(np.unique(shots["run"])) == 2 * len(shots["start_index"])
    committors = pd.read_csv(tmp_path / "results/ala2-vacuum/reference/bd/committors.csv")
    assert committors["start_index"].tolist() == shots["start_index"].tolist()
    if len(shots["start_index"]):  # frames 0.02 ps apart, 2 ps per run
        assert np.diff(shots["t"][:2])[0] == pytest.approx(0.02, abs=1e-4)
        assert shots["t"].max() == pytest.approx(2.0, abs=1e-3)
    for name in targets[1:]:
        assert (tmp_path / name).stat().st_size > 0
        assert (tmp_path / name.replace(".png", ".pdf")).stat().st_size > 0


def test_learner_rows_name_the_frames_that_carry_the_energy(tmp_path):
    pd.DataFrame({"readout": ["rayleigh", "ritz-holdout"], "index": [1, 1],
                  "eigenvalue": [0.01, 0.002], "std": [0.001, 0.0005],
                  "timescale": [100.0, 500.0], "unit": "1/ns",
                  "frames_effective": [np.nan, 3.04]}).to_csv(tmp_path / "readouts.csv", index=False)
    rows = alanine.learner_rows("ala2-vacuum", "generator-uniform", "uniform", tmp_path)
    assert rows["detail"].tolist() == [
        "mean ± std over the last average_last steps",
        "std: bootstrap over samples (the estimator's floor); energy on 3.04 effective frames"]


def test_shooting_without_barrier_frames_gives_a_nan_row(tmp_path):
    from mdcv.data import Dataset

    biased = Dataset(x=np.zeros((4, 66)), w=np.ones(4), t=np.arange(4.0), traj=np.zeros(4, int),
                     extra={"phi": np.array([-1.5, -1.4, 1.0, 1.1])})
    shots = {"start_index": np.zeros(0, int), "runs_per_start": np.int64(4),
             "phi": np.zeros(0), "run": np.zeros(0, int), "t": np.zeros(0),
             "save_every_ps": np.float64(0.02)}
    cfg = load_config()["alanine"]["reference"]["shooting"]
    row = alanine.shooting_reference(shots, biased, cfg, 0)
    assert np.isnan(row["eigenvalue"].iloc[0]) and row["starts"].iloc[0] == 0
    row.to_csv(tmp_path / "shooting.csv", index=False)
    table = alanine.shooting_rows("ala2-vacuum", tmp_path / "shooting.csv")
    assert table["method"].iloc[0] == "tpt-bd-uniform" and table["unit"].iloc[0] == "1/ns"
    assert alanine.shooting_committors(shots, cfg).empty


def test_shooting_committors_per_start_and_in_halves():
    # two starts × 4 runs of two frames (start between the cores, then a core):
    # start 0: b, b, a, a; start 1: a, b, a, b
    second = np.array([1.0, 1.0, -1.0, -1.0, -1.0, 1.0, -1.0, 1.0])
    phi = np.stack([np.zeros(8), second], 1).ravel()
    shots = {"start_index": np.array([7, 3]), "runs_per_start": np.int64(4), "phi": phi,
             "run": np.repeat(np.arange(8), 2), "t": np.tile([0.0, 0.02], 8)}
    q = alanine.shooting_committors(shots, load_config()["alanine"]["reference"]["shooting"])
    assert q["start_index"].tolist() == [7, 3]
    np.testing.assert_allclose(q[["q", "q_half_1", "q_half_2"]].to_numpy(),
                               [[0.5, 1.0, 0.0], [0.5, 0.5, 0.5]])
    assert q["resolved_runs"].tolist() == [4, 4]


def test_spearman_against_the_shooting_committor(tmp_path):
    rng = np.random.default_rng(0)
    n, starts = 400, np.arange(0, 400, 4)
    phi = rng.uniform(-np.pi, np.pi, n)
    q = rng.uniform(0, 1, len(starts))
    f1 = rng.normal(size=n)
    f1[starts] = np.tanh(3 * (q - 0.5))  # a monotone function of q on the start frames
    np.savez(tmp_path / "cv.npz", cv=np.stack([f1, f1], 1), sorted_cv=np.stack([f1, f1], 1))
    noisy = np.clip(q + rng.normal(0, 0.1, len(q)), 0, 1)
    committors = pd.DataFrame({"start_index": starts, "q": q, "q_half_1": noisy, "q_half_2": q,
                               "resolved_runs": 16})
    rows = alanine.spearman_rows("ala2-vacuum", {"g": tmp_path}, {"phi": phi}, None, committors)
    row = rows.iloc[0]
    assert row["spearman_committor"] == pytest.approx(1.0)
    assert row["spearman_committor_phi"] < 0.3  # φ is random here
    assert 0.8 < row["spearman_committor_ceiling"] < 1.0 and row["committor_starts"] == len(starts)
    assert "spearman_committor" not in alanine.spearman_rows("ala2-vacuum", {"g": tmp_path},
                                                             {"phi": phi}).columns
