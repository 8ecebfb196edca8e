"""Seed replicas: `replicas: N` on a learner trains N copies that differ only in name."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from mdcv import config as mc
from mdcv.errors import ConfigError
from mdcv.seeds import derive
from mdcv.workflow import targets

ROOT = Path(__file__).resolve().parents[1]
EXPERIMENTS = ROOT / "config" / "experiments"


def overlay(tmp_path, text: str) -> Path:
    path = tmp_path / "overlay.yaml"
    path.write_text(text)
    return path


def test_replicas_expand_into_named_learners_trained_where_the_learner_is(root, tmp_path):
    cfg = mc.load([overlay(tmp_path, """
learners:
  transfer: {replicas: 3}
toy:
  learners: [generator, transfer, autoencoder]
  systems:
    mueller_brown: {learners: [transfer, generator], training: {transfer: {steps: 77}}}
alanine:
  learners: {ala2-vacuum: [transfer, generator-uniform]}
""")], root)
    names = ["transfer", "transfer-r2", "transfer-r3"]
    assert cfg["toy"]["learners"] == ["generator", *names, "autoencoder"]
    assert cfg["toy"]["systems"]["mueller_brown"]["learners"] == [*names, "generator"]
    assert cfg["alanine"]["learners"]["ala2-vacuum"] == [*names, "generator-uniform"]
    assert cfg["learners"]["transfer-r3"] == {"kind": "transfer", "like": "transfer"}
    assert "replicas" not in cfg["learners"]["transfer"]
    # the planning layer trains them as ordinary learners
    trainings = targets.trainings(cfg)
    for name in names:
        assert ("mueller_brown", name) in trainings and ("three_well", name) in trainings
        assert ("ala2-vacuum", name) in trainings
    for system in ("mueller_brown", "three_well"):
        settings = [mc.learner_settings(cfg, system, n) for n in names]
        for replica in settings[1:]:  # the same settings, per-system overrides included
            assert {k for k in replica if replica[k] != settings[0][k]} == {"name"}
        assert all("replicas" not in s for s in settings)
    assert mc.learner_settings(cfg, "mueller_brown", "transfer-r2")["steps"] == 77
    assert mc.learner_settings(cfg, "three_well", "transfer-r2")["steps"] == 24000
    # their names give them their own seeds
    seeds = {derive(cfg["seed"], "train", "mueller_brown", n) for n in names}
    assert len(seeds) == 3


def test_one_replica_is_the_learner_alone(root, tmp_path):
    plain = mc.load([], root)
    one = mc.load([overlay(tmp_path, "learners:\n  transfer: {replicas: 1}\n")], root)
    assert one == plain


def test_expansion_runs_once_and_replica_overrides_apply_to_it_alone(root, tmp_path):
    cfg = mc.load([overlay(tmp_path, """
learners:
  generator: {replicas: 2}
toy:
  systems:
    mueller_brown: {training: {generator-r2: {lr: 1.0e-3}}}
""")], root)
    again = mc.prepare(cfg, root)  # a second pass finds no replicas left to add
    assert again["toy"]["learners"].count("generator-r2") == 1
    first = mc.learner_settings(cfg, "mueller_brown", "generator")
    second = mc.learner_settings(cfg, "mueller_brown", "generator-r2")
    assert {k for k in first if first[k] != second[k]} == {"name", "lr"}


def test_a_replica_name_already_defined_is_an_error_naming_the_fix(root, tmp_path):
    clash = overlay(tmp_path, """
learners:
  transfer: {replicas: 3}
  transfer-r2: {kind: transfer, like: transfer, lr: 1.0e-3}
""")
    with pytest.raises(ConfigError, match=r"learners\.transfer: replicas: 3 .*'transfer-r2' "
                                          r"is already defined.*remove learners\.transfer-r2"):
        mc.load([clash], root)


def test_replicas_are_set_once_not_per_system(root, tmp_path):
    per_system = overlay(tmp_path, """
toy:
  systems:
    mueller_brown: {training: {transfer: {replicas: 2}}}
""")
    with pytest.raises(ConfigError, match=r"training\.transfer\.replicas: .*under "
                                          r"learners\.transfer"):
        mc.load([per_system], root)


@pytest.mark.parametrize("value", [0, 2.5, "two"])
def test_replicas_must_be_a_positive_integer(root, tmp_path, value):
    bad = overlay(tmp_path, f"learners:\n  transfer: {{replicas: {value}}}\n")
    with pytest.raises(ConfigError, match=r"learners\.transfer\.replicas"):
        mc.load([bad], root)


@pytest.mark.parametrize("name, learner, system", [
    ("seeds-transfer-mueller-brown", "transfer", "mueller_brown"),
    ("seeds-generator-alanine", "generator-uniform", "ala2-vacuum"),
])
def test_seeds_experiments_list_five_replicas(root, name, learner, system):
    cfg = mc.load([EXPERIMENTS / f"{name}.yaml"], root)
    names = [learner, *(f"{learner}-r{i}" for i in range(2, 6))]
    assert [n for s, n in targets.trainings(cfg) if s == system and n.startswith(learner)] == names
    settings = [mc.learner_settings(cfg, system, n) for n in names]
    assert all({k for k in s if s[k] != settings[0][k]} == {"name"} for s in settings[1:])


@pytest.mark.snakemake
@pytest.mark.parametrize("name, system, learner, table", [
    ("seeds-transfer-mueller-brown", "mueller_brown", "transfer", "toy_evaluate"),
    ("seeds-generator-alanine", "ala2-vacuum", "generator-uniform", "alanine_table"),
])
def test_seeds_experiment_dry_run_trains_five_replicas(tmp_path, name, system, learner, table):
    """As `make experiment` runs it; each replica's model feeds the experiment's table."""
    workdir = tmp_path / "results" / "experiments" / name
    workdir.mkdir(parents=True)
    cmd = [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "--directory",
           str(workdir), "--workflow-profile", "none", "--cores", "2", "-n", "--configfile",
           str(EXPERIMENTS / f"{name}.yaml")]
    proc = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True,
                          env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert proc.returncode == 0, proc.stderr[-3000:]
    models = set(re.findall(rf"output: results/{system}/models/({learner}(?:-r\d)?)/model\.pt,",
                            proc.stdout))
    assert models == {learner, *(f"{learner}-r{i}" for i in range(2, 6))}
    jobs = dict(re.findall(r"^(\w+)\s+(\d+)$", proc.stdout, re.MULTILINE))
    if name == "seeds-generator-alanine":  # cross-fitted: 4 members each
        assert jobs["train_crossfit"] == "5" and jobs["train_fold"] == "20"
    else:
        assert jobs["train"] == "5"
    table_input = re.search(rf"rule {table}:\n    input: (.*)", proc.stdout).group(1)
    for model in models:
        assert f"/models/{model}/" in table_input, (table, model)
