"""Named experiments: each file opens with what it measures, validates, and dry-runs."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from mdcv.cli import main as mdcv_main

ROOT = Path(__file__).resolve().parents[1]
EXPERIMENTS = sorted((ROOT / "config" / "experiments").glob("*.yaml"))


def test_there_are_at_least_three_experiments():
    names = {p.stem for p in EXPERIMENTS}
    assert len(names) >= 3
    assert {"alanine-1e5", "alanine-msm-paper", "seeds-transfer-mueller-brown"} <= names


@pytest.mark.parametrize("path", EXPERIMENTS, ids=lambda p: p.stem)
def test_experiment_opens_with_what_it_measures(path):
    head = []
    for line in path.read_text().splitlines():
        if not line.startswith("#"):
            break
        head.append(line)
    text = "\n".join(head)
    assert head and head[0].startswith(f"# Experiment {path.stem}:"), head[:1]
    for part in ("Measures:", "Size:", "Wall time", f"make experiment NAME={path.stem}"):
        assert part in text, f"{path.name}: the opening comment lacks {part!r}"


@pytest.mark.parametrize("path", EXPERIMENTS, ids=lambda p: p.stem)
def test_experiment_validates(path, capsys):
    assert mdcv_main(["check-config", str(path)]) == 0, capsys.readouterr().err


@pytest.mark.snakemake
@pytest.mark.parametrize("path", EXPERIMENTS, ids=lambda p: p.stem)
def test_experiment_dry_runs_into_its_own_directory(path, tmp_path):
    """As `make experiment` runs it: --directory, the overlay on config/config.yaml."""
    workdir = tmp_path / "results" / "experiments" / path.stem
    workdir.mkdir(parents=True)
    cmd = [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "--directory",
           str(workdir), "--workflow-profile", "none", "--cores", "2", "-n", "--configfile",
           str(path)]
    proc = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True,
                          env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "summary" in proc.stdout  # the default target ends with the summary page
    assert not (tmp_path / "results" / "summary").exists()


def test_make_experiment_runs_in_its_own_directory():
    out = subprocess.run(["make", "-n", "experiment", "NAME=alanine-1e5", "BIN=.venv/bin"],
                         cwd=ROOT, capture_output=True, text=True).stdout
    assert "--directory results/experiments/alanine-1e5" in out
    assert "config/experiments/alanine-1e5.yaml" in out
