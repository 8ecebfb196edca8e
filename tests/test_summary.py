"""The results summary: sections, benchmark totals, provenance, publishing (the rule itself runs in
test_toy_workflow.py's tiny end-to-end study)."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mdcv.analysis import summary
from mdcv.workflow import provenance

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "tests" / "configs" / "toy_tiny.yaml"
HEADER = ("s\th:m:s\tmax_rss\tmax_vms\tmax_uss\tmax_pss\tio_in\tio_out\tmean_load\tcpu_time\n")


def _bench(path: Path, seconds: float, cpu: str, mtime: float) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(HEADER + f"{seconds}\t0:00:01\t1\t1\t1\t1\t0\t0\t50\t{cpu}\n")
    os.utime(path, (mtime, mtime))


def test_toy_section_puts_the_floor_beside_each_learned_value():
    table = pd.DataFrame({
        "system": ["mb"] * 4, "method": ["generator", "generator", "floor", "floor"],
        "index": [1, 2, 1, 2], "eigenvalue": [1.1, 2.2, 1.01, 2.02], "std": 0.1,
        "reference": [1.0, 2.0, 1.0, 2.0], "rel_error": [0.1, 0.1, 0.01, 0.01],
        "correlation": 0.99})
    out = summary.toy_spectrum_section(table)
    assert list(out["method"]) == ["generator", "generator"]
    assert np.allclose(out["floor_rel_error"], [0.01, 0.01])


def test_alanine_section_gives_lambda1_as_a_multiple_of_the_shooting_value():
    table = pd.DataFrame({
        "system": ["v"] * 4, "method": ["tpt-bd-uniform", "gen", "gen", "study-published"],
        "index": [1, 1, 2, 1], "eigenvalue": [0.002, 0.003, 5.0, 0.047], "std": 0.0,
        "convention": "uniform", "readout": "x"})
    out = summary.alanine_section(table)
    assert out["ratio_to_shooting"].iloc[:2].tolist() == pytest.approx([1.0, 1.5])
    assert np.isnan(out["ratio_to_shooting"].iloc[2])  # λ2 has no shooting reference


def test_benchmarks_are_summed_per_rule_and_over_the_run(tmp_path):
    _bench(tmp_path / "train" / "mb_generator.tsv", 100.0, "150.5", 1000.0)
    _bench(tmp_path / "train" / "mb_transfer.tsv", 50.0, "NA", 1100.0)
    _bench(tmp_path / "toy_reference" / "mb.tsv", 10.0, "9.0", 500.0)
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "empty.tsv").write_text("")
    bench = summary.read_benchmarks(tmp_path)
    times = summary.rule_times(bench).set_index("rule")
    assert times.loc["train", "jobs"] == 2
    assert times.loc["train", "wall_s"] == pytest.approx(150.0)
    assert times.loc["train", "cpu_s"] == pytest.approx(150.5)  # NA counts as 0
    assert times.loc["total", "wall_s"] == pytest.approx(160.0)
    totals = summary.run_totals(bench)
    assert totals["jobs"] == 3
    assert totals["cpu_s"] == pytest.approx(159.5)
    assert totals["span_s"] == pytest.approx(1100.0 - 490.0)  # first start 500 - 10
    assert summary.run_totals(summary.read_benchmarks(tmp_path / "absent"))["jobs"] == 0


def test_models_section_reads_run_json_and_eigenvalues(tmp_path):
    root = tmp_path / "m"
    root.mkdir()
    (root / "run.json").write_text(json.dumps({"device": "cpu", "wall_s": 12.5,
                                               "selected_step": 500}))
    pd.DataFrame({"index": [1, 2, 3], "eigenvalue": [0.1, 2.0, 3.0], "std": 0.0,
                  "timescale": 1.0, "unit": "1/ns"}).to_csv(root / "eigenvalues.csv", index=False)
    out = summary.models_section({("v", "gen"): root, ("v", "missing"): tmp_path / "none"})
    row = out.iloc[0]
    assert (row["device"], row["selected_step"], row["lambda_2"], row["unit"]) == ("cpu", 500, 2.0,
                                                                                  "1/ns")
    assert "lambda_3" not in out.columns
    assert out.iloc[1]["learner"] == "missing"


def test_replicas_section_groups_a_learner_with_its_replicas():
    models = pd.DataFrame({
        "system": ["mb", "mb", "mb", "mb", "mb", "tw", "tw"],
        "learner": ["transfer", "transfer-r2", "transfer-r3", "generator", "lone-r2",
                    "transfer", "transfer-r2"],
        "lambda_1": [1.0, 3.0, 2.0, 9.0, 4.0, 5.0, 7.0],
        "lambda_2": [10.0, 30.0, np.nan, 90.0, 40.0, 50.0, 70.0],
        "unit": "1/ns"})
    out = summary.replicas_section(models).set_index(["system", "learner"])
    assert list(out.index) == [("mb", "transfer"), ("tw", "transfer")]  # no groups of one
    mb = out.loc[("mb", "transfer")]
    assert (mb["seeds"], mb["lambda_1_median"], mb["lambda_1_min"], mb["lambda_1_max"]) == \
        (3, 2.0, 1.0, 3.0)
    assert (mb["lambda_2_median"], mb["lambda_2_max"], mb["unit"]) == (20.0, 30.0, "1/ns")
    assert out.loc[("tw", "transfer"), "lambda_1_median"] == 6.0
    assert summary.replicas_section(models.iloc[[3]]).empty
    assert "replicas" in [key for key, _, _ in summary.SECTIONS]


def test_page_links_every_section_it_shows_and_names_the_absent_ones():
    frame = pd.DataFrame({"a": [1.234567, np.nan], "b": ["x|y", None]})
    text = summary.page("- commit: `abc`", {"toy_spectrum": frame, "rule_times": frame})
    assert "[toy_spectrum.csv](toy_spectrum.csv)" in text
    assert "| 1.235 | x\\|y |" in text and "|  |  |" in text  # 4 digits; pipes escaped; NaN blank
    assert "`alanine_eigenvalues`" in text.split("## Not in this run")[1]
    html = summary.page_html(text, {"toy_spectrum": frame, "rule_times": frame})
    assert html.count("<table") == 2 and "commit: abc" in html


def test_config_digest_ignores_key_order_and_sees_values():
    a = provenance.config_digest({"seed": 1, "toy": {"x": [1, 2]}})
    assert a == provenance.config_digest({"toy": {"x": [1, 2]}, "seed": 1})
    assert a != provenance.config_digest({"seed": 2, "toy": {"x": [1, 2]}})
    assert re.fullmatch(r"[0-9a-f]{64}", a)


def test_config_files_are_listed_in_merge_order(tmp_path):
    default = ROOT / "config" / "config.yaml"
    files = [str(TINY), str(tmp_path / "extra.yaml"), str(default)]
    assert provenance.config_files(files, default, ROOT) == [
        "config/config.yaml", "tests/configs/toy_tiny.yaml", str((tmp_path / "extra.yaml").resolve())]


def test_provenance_names_the_commit_and_tolerates_missing_tools(tmp_path):
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True,
                          text=True).stdout.strip()
    state = provenance.git_state(ROOT)
    assert state["commit"] == head and isinstance(state["dirty"], bool)
    assert provenance.git_state(tmp_path)["commit"] == provenance.UNKNOWN
    assert provenance.gromacs_version("no-such-gmx-binary") == "not found"
    assert provenance.package_version("no-such-distribution") == "not installed"
    prov = provenance.collect(ROOT, ["config/config.yaml"], {"seed": 1},
                              {"jobs": 2, "wall_s": 7200.0, "cpu_s": 3600.0, "span_s": 3600.0})
    header = provenance.header_markdown(prov)
    assert head in header and "`config/config.yaml`" in header and "2.00 h" in header
    assert prov["versions"]["python"] == ".".join(map(str, sys.version_info[:3]))
    assert prov["machine"]["cores"] == os.cpu_count()


def test_publish_copies_the_summary_and_small_key_figures(tmp_path):
    from PIL import Image

    from mdcv.errors import MdcvError
    from mdcv.workflow.publish import publish

    run, figs, dest = tmp_path / "summary", tmp_path / "figures", tmp_path / "docs" / "default"
    with pytest.raises(MdcvError, match="finish the run"):
        publish(run, figs, dest)
    run.mkdir()
    figs.mkdir()
    (run / "index.md").write_text("# Results summary\n\n- commit: `abc`\n")
    (run / "toy_spectrum.csv").write_text("a\n1\n")
    (run / "provenance.json").write_text("{}")
    (run / "index.html").write_text("<html/>")
    Image.new("RGB", (1200, 600)).save(figs / "toy_mb_eigenfunctions.png")
    Image.new("RGB", (100, 100)).save(figs / "toy_mb_training.png")  # not a key figure
    publish(run, figs, dest, max_px=500)
    assert sorted(p.name for p in dest.iterdir()) == ["figures", "index.md", "provenance.json",
                                                       "toy_spectrum.csv"]
    assert [p.name for p in (dest / "figures").iterdir()] == ["toy_mb_eigenfunctions.png"]
    with Image.open(dest / "figures" / "toy_mb_eigenfunctions.png") as img:
        assert img.size == (500, 250)
    assert "![toy_mb_eigenfunctions](figures/toy_mb_eigenfunctions.png)" in (
        dest / "index.md").read_text()
    with pytest.raises(MdcvError, match="stays as it was made"):
        publish(run, figs, dest)
    (dest / "NOTE.md").write_text("hand-written\n")
    publish(run, figs, dest, force=True)
    assert (dest / "NOTE.md").read_text() == "hand-written\n"
    assert "[NOTE.md](NOTE.md)" in (dest / "index.md").read_text()
