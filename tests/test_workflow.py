"""The workflow as a whole: lint, dry runs of every profile, resources on every rule,
the HTML report, and a training job that resumes after a kill.

Dry runs of profiles/slurm and profiles/slurm-gpu need the executor plugin (extra
`cluster`, in `dev`) but no SLURM: a dry run submits nothing.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
RULES = sorted((ROOT / "workflow" / "rules").glob("*.smk"))
TINY = ROOT / "tests" / "configs" / "toy_tiny.yaml"
PROFILES = ["default", "slurm", "slurm-gpu"]
CONFIGS = [p for p in (ROOT / "config" / "config.yaml", ROOT / "config" / "paper.yaml") if p.exists()]
TRAINING_RULES = {"train", "train_selecting", "train_crossfit", "train_fold"}


def snakemake(workdir: Path, *args, profile: str | None = None, check: bool = True,
              timeout: float = 600) -> subprocess.CompletedProcess:
    """Run Snakemake on the project's Snakefile with results in ``workdir``.

    profiles/default is the workflow profile (Snakemake applies it after ``profile``).
    """
    cmd = [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"),
           "--directory", str(workdir)]
    if profile is not None:
        cmd += ["--profile", str(ROOT / "profiles" / profile)]
    proc = subprocess.run([*cmd, *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"{' '.join(cmd + list(args))} failed:\n"
                             f"{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}")
    return proc


def dry_run_jobs(out: str) -> list[dict]:
    """Per-job blocks of a dry run: rule name, threads, resources, wildcards (as strings)."""
    jobs = []
    for block in re.split(r"\n(?=(?:local)?rule \S+:\n)", out):
        head = re.match(r"(?:local)?rule (\S+):\n", block)
        if not head:
            continue
        threads = re.search(r"^\s+threads: (\d+)", block, re.M)
        res = re.search(r"^\s+resources: (.*)$", block, re.M)
        resources = dict(kv.split("=", 1) for kv in res.group(1).split(", ")) if res else {}
        wc = re.search(r"^\s+wildcards: (.*)$", block, re.M)
        wildcards = dict(kv.split("=", 1) for kv in wc.group(1).split(", ")) if wc else {}
        jobs.append({"rule": head.group(1), "threads": int(threads.group(1)) if threads else 1,
                     "resources": resources, "wildcards": wildcards})
    return jobs


# --- static checks ---------------------------------------------------------------------


@pytest.mark.snakemake
def test_lint_is_clean(tmp_path):
    proc = snakemake(tmp_path, "--lint", check=False)
    out = proc.stdout + proc.stderr
    assert "Lints for" not in out, out
    assert proc.returncode == 0, out


def rule_blocks() -> dict[str, str]:
    """Text of every `rule name:` block in workflow/rules/*.smk."""
    blocks = {}
    for path in RULES:
        text = path.read_text()
        for match in re.finditer(r"^rule (\w+):\n((?:[ \t]+.*\n|\n)*)", text, re.M):
            blocks[f"{path.name}:{match.group(1)}"] = match.group(2)
    return blocks


def test_every_job_rule_declares_threads_memory_and_runtime():
    """Audit: rules that run something (script/shell) set threads, mem_mb and runtime."""
    blocks = rule_blocks()
    assert blocks, "no rules found"
    missing = []
    for name, body in blocks.items():
        if not re.search(r"^\s+(script|shell|run|wrapper|notebook):", body, re.M):
            continue  # target-only rules (e.g. md_all) run nothing
        for key in ("threads:", "mem_mb=", "runtime="):
            if key not in body:
                missing.append(f"{name} lacks {key.rstrip(':=')}")
    assert not missing, "\n".join(missing)


def test_every_job_rule_has_a_log_and_a_benchmark():
    """The summary sums results/benchmarks/rules/<rule>/*.tsv: every job rule writes one."""
    for name, body in rule_blocks().items():
        if name.startswith("summary.smk") or not re.search(r"^\s+(script|shell):", body, re.M):
            continue
        assert re.search(r"^\s+log:", body, re.M), f"{name} has no log:"
        rule = name.split(":")[1]
        assert re.search(rf'^\s+benchmark:\n\s+paths\.benchmark\("{rule}"', body, re.M), \
            f"{name} has no benchmark: paths.benchmark({rule!r}, ...)"


def test_every_job_rule_has_a_conda_env():
    blocks = rule_blocks()
    for name, body in blocks.items():
        if not re.search(r"^\s+(script|shell):", body, re.M):
            continue
        assert re.search(r"^\s+conda:", body, re.M), f"{name} has no conda: directive"


# --- dry runs ---------------------------------------------------------------------------


@pytest.mark.snakemake
@pytest.mark.parametrize("configfile", CONFIGS, ids=lambda p: p.name)
@pytest.mark.parametrize("profile", PROFILES)
def test_dry_run_of_every_profile(tmp_path, profile, configfile):
    proc = snakemake(tmp_path, "-n", "--configfile", str(configfile), profile=profile)
    jobs = dry_run_jobs(proc.stdout)
    rules = {job["rule"] for job in jobs}
    assert {"train", "toy_reference", "md_dynamics", "toy_spectrum_table"} <= rules, rules
    for job in jobs:
        if job["rule"] == "all":
            continue
        res = job["resources"]
        assert int(res["mem_mb"]) > 0 and int(res["runtime"]) > 0, job
        gpus = int(res.get("gpu", 0))
        if profile == "slurm-gpu" and job["rule"] in TRAINING_RULES:
            assert gpus == 1, job
        else:
            assert gpus == 0, job


@pytest.mark.snakemake
def test_resources_scale_with_config(tmp_path):
    """Paper-scale MD and training ask for more time than the default study."""
    def runtimes(configfile):
        out = snakemake(tmp_path, "-n", "--configfile", str(configfile), profile="slurm").stdout
        per_rule: dict[str, int] = {}
        per_job: dict[tuple, int] = {}
        for job in dry_run_jobs(out):
            if "runtime" in job["resources"]:
                runtime = int(job["resources"]["runtime"])
                per_rule[job["rule"]] = max(per_rule.get(job["rule"], 0), runtime)
                wc = job["wildcards"]
                learner = next((v for k, v in wc.items() if k.endswith("learner")), None)
                per_job[job["rule"], wc.get("system"), learner] = runtime
        return per_rule, per_job

    if not (ROOT / "config" / "paper.yaml").exists():
        pytest.skip("no config/paper.yaml")
    (small, _), (paper, jobs) = (runtimes(ROOT / "config" / "config.yaml"),
                                 runtimes(ROOT / "config" / "paper.yaml"))
    assert paper["md_dynamics"] > small["md_dynamics"]
    # a cross-fitted learner's `train` job only averages its members: it asks for less
    # time than one member's training
    crossfitted = [key for key in jobs if key[0] == "train_fold"]
    assert crossfitted, "config/paper.yaml cross-fits no learner"
    for _, system, learner in crossfitted:
        assert jobs["train_crossfit", system, learner] < jobs["train_fold", system, learner]


def test_slurm_gpu_profile_selects_the_cuda_env():
    profile = yaml.safe_load((ROOT / "profiles" / "slurm-gpu" / "config.yaml").read_text())
    assert "train_env=ml-gpu" in profile["config"]
    for rule in TRAINING_RULES:
        assert profile["set-resources"][rule]["gpu"] == 1, rule
    common = (ROOT / "workflow" / "rules" / "common.smk").read_text()
    assert "envs/{config['train_env']}.yaml" in common
    train = (ROOT / "workflow" / "rules" / "train.smk").read_text()
    assert train.count("conda:\n        TRAIN_ENV") == 2  # train and train_fold
    for name in ("ml", "ml-gpu"):
        assert (ROOT / "envs" / f"{name}.yaml").is_file()


def test_slurm_profiles_pin_the_plugin_that_is_installed():
    from importlib.metadata import version

    pyproject = (ROOT / "pyproject.toml").read_text()
    pinned = re.search(r'"snakemake-executor-plugin-slurm==([\d.]+)"', pyproject).group(1)
    assert version("snakemake-executor-plugin-slurm") == pinned
    lock = (ROOT / "requirements.lock").read_text()
    assert f"snakemake-executor-plugin-slurm=={pinned}" in lock
    for name in ("slurm", "slurm-gpu"):
        profile = yaml.safe_load((ROOT / "profiles" / name / "config.yaml").read_text())
        assert profile["executor"] == "slurm"
        for key in ("jobs", "latency-wait", "retries", "default-resources"):
            assert key in profile, f"profiles/{name}: no {key}"
    # The workflow profile is applied last and would override these: keep it neutral.
    default = yaml.safe_load((ROOT / "profiles" / "default" / "config.yaml").read_text())
    assert not {"latency-wait", "keep-going", "retries", "jobs", "executor"} & set(default)


# --- real tiny runs ---------------------------------------------------------------------


def _checkpoint_step(path: Path) -> int:
    import torch

    return int(torch.load(path, map_location="cpu", weights_only=False)["step"])


@pytest.mark.slow
@pytest.mark.snakemake
def test_training_resumes_from_its_checkpoint_after_a_kill(tmp_path):
    """Kill the whole Snakemake process group mid-training; the rerun resumes.

    The killed run asks for far more steps than it can take before its checkpoint is
    seen, so the kill always comes first; the rerun asks for a few more steps than the
    checkpoint holds ('steps' may change without invalidating a checkpoint).
    """
    def overlay(steps: int) -> Path:
        path = tmp_path / f"steps{steps}.yaml"
        path.write_text(yaml.safe_dump({"toy": {"systems": {"mueller_brown": {"training": {
            "generator": {"steps": steps, "checkpoint_every": 10, "log_every": 10,
                          "anneal_steps": 10, "average_last": 10}}}}}}))
        return path

    def args(steps: int) -> list[str]:
        return ["--configfile", str(TINY), str(overlay(steps)), "--cores", "2"]

    target = "results/mueller_brown/models/generator/run.json"
    snakemake(tmp_path, *args(10**7), "results/mueller_brown/dataset/biased.npz")
    checkpoint = tmp_path / "results" / "checkpoints" / "mueller_brown" / "generator.pt"

    cmd = [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"),
           "--directory", str(tmp_path), *args(10**7), target]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 300
        while not (checkpoint.is_file() and _checkpoint_step(checkpoint) >= 20):
            assert proc.poll() is None, f"snakemake exited ({proc.returncode}) before a checkpoint"
            assert time.monotonic() < deadline, "no checkpoint at step 20 within 300 s"
            time.sleep(0.2)
        os.killpg(proc.pid, signal.SIGKILL)  # no clean-up: like a node failure or scancel -9
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    killed_at = _checkpoint_step(checkpoint)
    assert killed_at >= 20
    assert not (tmp_path / target).exists()

    steps = killed_at + 50
    snakemake(tmp_path, "--unlock", *args(steps))
    snakemake(tmp_path, *args(steps), target)  # --rerun-incomplete comes from profiles/default
    info = json.loads((tmp_path / target).read_text())
    assert info["resumed_from_step"] >= killed_at > 0, info
    history = (tmp_path / "results/mueller_brown/models/generator/history.csv").read_text()
    assert history.strip().splitlines()[-1].split(",")[0] == str(steps)
