"""The real toy rules on a tiny config (real sampling, grid, torch training, figures)."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
SNAKEMAKE = [sys.executable, "-m", "snakemake"]
pytestmark = pytest.mark.snakemake


def run_snakemake(*args, cwd=ROOT, check=True):
    proc = subprocess.run([*SNAKEMAKE, "-s", str(ROOT / "Snakefile"), *args], cwd=cwd,
                          capture_output=True, text=True)
    if check and proc.returncode != 0:
        raise AssertionError(
            f"snakemake {' '.join(args)} failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
        )
    return proc


def test_dry_run_of_the_default_study_lists_every_toy_target(tmp_path):
    # A fresh directory: the whole DAG, whatever the checkout's results/ holds.
    out = run_snakemake("-n", "--quiet", "rules", "--directory", str(tmp_path)).stdout
    for rule in ("toy_dataset", "toy_reference", "train", "toy_evaluate", "toy_spectrum_table"):
        assert rule in out


def test_unknown_config_key_stops_before_any_job(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("toy:\n  sampling:\n    n_sampels: 10\n")
    proc = run_snakemake("-n", "--configfile", str(bad), check=False)
    assert proc.returncode != 0
    assert "n_sampels" in proc.stdout + proc.stderr


@pytest.mark.slow
def test_tiny_toy_study_end_to_end(tmp_path):
    """The whole tiny toy study, ending with its summary page (every toy target feeds it) and
    its report."""
    run_snakemake("--cores", "2", "--configfile", str(ROOT / "tests/configs/toy_tiny.yaml"),
                  "--directory", str(tmp_path), "results/summary/index.md")
    table = pd.read_csv(tmp_path / "results/tables/toy_spectrum.csv")
    assert list(table.columns) == ["system", "method", "index", "eigenvalue", "std", "reference",
                                   "rel_error", "correlation"]
    assert set(table["system"]) == {"mueller_brown", "wolfe_quapp"}
    assert {"generator", "generator-study", "floor"} <= set(table["method"])
    assert table[["eigenvalue", "reference", "correlation"]].notna().all().all()
    assert (table["reference"] > 0).all()
    # The floor scores the exact eigenfunctions: correlation 1 and a small error.
    floor = table[table["method"] == "floor"]
    assert (floor["rel_error"].abs() < 0.5).all()
    for name in ("toy_mueller_brown_eigenfunctions.png", "toy_mueller_brown_eigenfunctions.pdf",
                 "toy_wolfe_quapp_training.png"):
        assert (tmp_path / "results/figures" / name).stat().st_size > 10_000
    model = tmp_path / "results/mueller_brown/models/generator"
    for name in ("model.pt", "model.ts", "history.csv", "eigenvalues.csv", "cv.npz"):
        assert (model / name).exists()
    # Rerunning finds nothing to do: outputs are complete and up to date.
    proc = run_snakemake("-n", "--configfile", str(ROOT / "tests/configs/toy_tiny.yaml"),
                         "--directory", str(tmp_path), "results/tables/toy_spectrum.csv")
    assert "Nothing to be done" in proc.stdout + proc.stderr
    check_summary(tmp_path / "results" / "summary")
    check_report(tmp_path)


def check_summary(out: Path) -> None:
    """The summary page links only tables that exist and names the current commit."""
    text = (out / "index.md").read_text()
    linked = re.findall(r"\]\(([^)]+\.csv)\)", text)
    assert "toy_spectrum.csv" in linked and "rule_times.csv" in linked
    for name in linked:
        assert (out / name).is_file(), name
    assert not pd.read_csv(out / "toy_spectrum.csv").empty
    assert not pd.read_csv(out / "rule_times.csv").empty
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True,
                          text=True).stdout.strip()
    assert f"`{head}`" in text
    prov = json.loads((out / "provenance.json").read_text())
    assert prov["commit"] == head
    assert prov["configfiles"] == ["config/config.yaml", "tests/configs/toy_tiny.yaml"]


def check_report(workdir: Path) -> None:
    """`snakemake --report` holds every figure and table the run made, with captions."""
    report = workdir / "results" / "report.html"
    run_snakemake("--configfile", str(ROOT / "tests/configs/toy_tiny.yaml"), "--directory",
                  str(workdir), "--report", str(report))
    html = report.read_text(errors="replace")
    made = sorted((workdir / "results" / "figures").glob("*.png"))
    made += sorted((workdir / "results" / "tables").glob("*.csv"))
    assert made
    for path in made:
        assert path.name in html, f"{path.name} is not in the report"
    for rst in ("workflow.rst", "toy_spectrum.rst"):
        first_words = " ".join((ROOT / "workflow" / "report" / rst).read_text().split()[:4])
        assert first_words in html, f"caption {rst} is not in the report"
