"""The alanine stage: config, targets, dry runs, and a real tiny run (gmx + torch + deeptime)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from mdcv import config as mdcv_config
from mdcv.analysis import alanine
from mdcv.workflow import alanine as plan
from mdcv.workflow import targets

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = [ROOT / "tests" / "configs" / "md_tiny.yaml", ROOT / "tests" / "configs" / "alanine_tiny.yaml"]
METHODS = {"study-published", "msm-bd-uniform", "msm-langevin", "tpt-bd-uniform",
           "generator-uniform", "generator-mass_weighted", "transfer"}


def load_config(*extra) -> dict:
    return mdcv_config.load(extra, ROOT)


@pytest.mark.parametrize("extra", [[], [ROOT / "config" / "paper.yaml"]])
def test_config_plans_every_method(extra):
    cfg = load_config(*extra)
    assert plan.systems(cfg) == ["ala2-vacuum", "ala2-water"]
    assert plan.reference_systems(cfg) == ["ala2-vacuum"]
    table = plan.table_plan(cfg)
    methods = {e["method"] for e in table["learners"]}
    assert {"generator-uniform", "generator-mass_weighted", "transfer"} <= methods
    water = mdcv_config.learner_settings(cfg, "ala2-water", "generator-uniform")
    assert water["k"] == 3 and water["align"] and water["diffusion"] == "uniform"
    vac = mdcv_config.learner_settings(cfg, "ala2-vacuum", "generator-uniform")
    assert vac["k"] == 2 and vac["atoms"] == "all" and vac["diffusion_constant"] == 1.0
    assert "results/tables/alanine_eigenvalues.csv" in targets.alanine_stage(cfg)
    ref = cfg["alanine"]["reference"]
    assert ref["bd"]["dt"] == 0.002 and ref["bd"]["constraints"] == "h-bonds"
    assert table["shooting"] == ["ala2-vacuum"]
    files = plan.table_inputs(cfg)
    assert files["shooting"] == ["results/ala2-vacuum/reference/bd/shooting.csv"]
    for key in ("readouts", "runs", "models", "cvs"):  # one file per planned learner, in order
        assert len(files[key]) == len(table["learners"])
    assert files["models"][0] == f"results/{table['learners'][0]['system']}/models/" \
        f"{table['learners'][0]['learner']}/model.ts"
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


def test_reference_params_hold_only_what_each_step_reads():
    """An MSM setting changes the MSM's params only; a run setting the runs' and the MSM's not."""
    from mdcv.workflow import params

    cfg = load_config(*CONFIGS)
    msm_overlay = mdcv_config.deep_merge(cfg, {"alanine": {"reference": {
        "lags_ps": [1.0, 2.0, 4.0], "n_bootstrap": 5, "shooting": {"n_bootstrap": 7}}}})
    for dyn in ("bd", "langevin"):
        assert params.reference_runs(cfg, dyn) == params.reference_runs(msm_overlay, dyn)
        assert "expected_ns_per_day" not in params.reference_runs(cfg, dyn)[dyn]
    assert params.shooting_runs(cfg) == params.shooting_runs(msm_overlay)
    assert params.msm(cfg) != params.msm(msm_overlay)
    assert params.shooting_rate(cfg) != params.shooting_rate(msm_overlay)
    longer = mdcv_config.deep_merge(cfg, {"alanine": {"reference": {"bd": {"length_ns": 0.05}}}})
    assert params.reference_runs(cfg, "bd") != params.reference_runs(longer, "bd")
    assert params.reference_runs(cfg, "langevin") == params.reference_runs(longer, "langevin")
    assert params.msm(cfg) == params.msm(longer)
    assert params.shooting_runs(cfg) == params.shooting_runs(longer)  # bd length: not shot


def _scheduled_rules(out: str) -> set[str]:
    return set(re.findall(r"^(?:local)?rule (\w+):$", out, re.M))


@pytest.mark.snakemake
def test_an_msm_setting_reruns_the_msm_and_no_gromacs_run(tmp_path):
    """After a completed run, an overlay that changes only MSM settings schedules the MSMs
    (and what reads them), none of the GROMACS reference or shooting runs.

    The completed run is made by --touch on every planned output (Snakemake records each
    job's params as after a real run), so the check needs neither gmx nor training; the
    real tiny run is test_tiny_alanine_stage_end_to_end."""
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "config.yaml").symlink_to(ROOT / "config" / "config.yaml")
    target = "results/tables/alanine_eigenvalues.csv"

    def run(*args, configs=CONFIGS):
        cmd = [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "-c1",
               "--directory", str(tmp_path), "--workflow-profile", "none",
               "--configfile", *map(str, configs), *args]
        proc = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True)
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
        return proc.stdout

    planned = run("-n", target)
    outputs = [f for line in re.findall(r"^\s+output: (.*)$", planned, re.M)
               for f in line.split(", ")]
    assert {"alanine_reference_runs", "alanine_shooting_runs"} <= _scheduled_rules(planned)
    for name in outputs:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).touch()
    run("--touch", "--forceall", target)  # every job, in order: mtimes and params recorded
    assert _scheduled_rules(run("-n", target)) == set()  # complete: nothing to do

    overlay = tmp_path / "msm.yaml"
    overlay.write_text(yaml.safe_dump({"alanine": {"reference": {
        "lags_ps": [1.0, 2.0, 4.0], "n_bootstrap": 5}}}))
    rules = _scheduled_rules(run("-n", target, configs=[*CONFIGS, overlay]))
    assert "alanine_msm" in rules and "alanine_table" in rules, rules
    assert not rules & {"alanine_reference_runs", "alanine_shooting_runs", "alanine_shooting",
                        "md_dynamics", "train", "train_fold"}, rules


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
    cmd = [sys.executable, "-m", "snakemake", *targets, "results/tables/shooting_cores.csv",
           "-s", str(ROOT / "Snakefile"), "-c2",
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
    assert {"lo", "hi"} <= set(table.columns)
    cores = pd.read_csv(tmp_path / "results/tables/shooting_cores.csv")  # three core choices
    assert len(cores) == (3 if len(shots["start_index"]) else 0) and cores["starts"].nunique() <= 1
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
    rows = alanine.learner_rows("ala2-vacuum", "generator-uniform", "uniform",
                                tmp_path / "readouts.csv")
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
    rows = alanine.spearman_rows("ala2-vacuum", {"g": tmp_path / "cv.npz"}, {"phi": phi}, None,
                                 committors)
    row = rows.iloc[0]
    assert row["spearman_committor"] == pytest.approx(1.0)
    assert row["spearman_committor_phi"] < 0.3  # φ is random here
    assert 0.8 < row["spearman_committor_ceiling"] < 1.0 and row["committor_starts"] == len(starts)
    assert "spearman_committor" not in alanine.spearman_rows(
        "ala2-vacuum", {"g": tmp_path / "cv.npz"}, {"phi": phi}).columns
