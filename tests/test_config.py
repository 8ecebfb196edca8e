import copy
import json

import pytest
import yaml
from snakemake.utils import validate

from mdcv import config as mc
from mdcv.errors import ConfigError

SCHEMA = "src/mdcv/schemas/config.schema.yaml"


@pytest.fixture
def cfg(root, monkeypatch):
    monkeypatch.chdir(root)
    with open(root / "config" / "config.yaml") as fh:
        return yaml.safe_load(fh)


def test_default_and_paper_configs_are_valid(cfg, root):
    validate(cfg, SCHEMA)
    mc.apply_defaults(cfg, SCHEMA)
    mc.check(cfg, base_dir=root)
    paper = copy.deepcopy(cfg)
    paper_file = root / "config" / "paper.yaml"
    if paper_file.exists():
        paper = mc.deep_merge(paper, yaml.safe_load(paper_file.read_text()))
        validate(paper, SCHEMA)
        mc.apply_defaults(paper, SCHEMA)
        mc.check(paper, base_dir=root)


def test_defaults_are_filled_across_schema_files(cfg):
    del cfg["toy"]["sampling"]
    del cfg["toy"]["reference"]["grid"]
    validate(cfg, SCHEMA)
    mc.apply_defaults(cfg, SCHEMA)
    assert cfg["toy"]["sampling"]["potential_fraction"] == 0.2
    assert cfg["toy"]["sampling"]["unbiased"]["stride"] >= 1
    assert cfg["toy"]["reference"]["grid"] == [200, 200]
    assert "potential_fraction" not in cfg["toy"]["systems"]["mueller_brown"].get("sampling", {})


@pytest.mark.parametrize("mutate, fragment", [
    (lambda c: c.update(unknown_key=1), "unknown_key"),
    (lambda c: c["toy"]["sampling"].update(dt="fast"), "fast"),
    (lambda c: c["toy"]["sampling"].update(potential_fraction=1.5), "1.5"),
    (lambda c: c["toy"]["systems"]["mueller_brown"].update(colour="red"), "colour"),
    (lambda c: c["toy"]["systems"]["mueller_brown"].pop("beta"), "beta"),
])
def test_schema_rejects_bad_input_naming_the_key(cfg, mutate, fragment):
    mutate(cfg)
    with pytest.raises(Exception, match=fragment):
        validate(cfg, SCHEMA)


def test_learner_settings_merge_defaults_learner_and_system(cfg):
    validate(cfg, SCHEMA)
    mc.apply_defaults(cfg, SCHEMA)
    cfg["toy"]["systems"]["mueller_brown"]["training"] = {"generator": {"steps": 7}}
    s = mc.learner_settings(cfg, "mueller_brown", "generator")
    assert s["steps"] == 7 and s["kind"] == "generator" and "alpha" in s
    # The override is per system: another system keeps its own steps.
    assert mc.learner_settings(cfg, "three_well", "generator")["steps"] != 7



def test_like_starts_from_another_learners_settings(cfg):
    cfg["learners"]["replica"] = {"kind": "generator", "like": "generator", "lr": 1e-3}
    cfg["toy"]["systems"]["mueller_brown"]["training"] = {"generator": {"steps": 7},
                                                          "replica": {"batch_size": 64}}
    validate(cfg, SCHEMA)
    mc.apply_defaults(cfg, SCHEMA)
    original = mc.learner_settings(cfg, "mueller_brown", "generator")
    replica = mc.learner_settings(cfg, "mueller_brown", "replica")
    # the other learner's settings and its system override, then its own keys and override
    assert replica["steps"] == 7 and replica["lr"] == 1e-3 and replica["batch_size"] == 64
    assert replica["name"] == "replica" and "like" not in replica
    assert {k for k in original if original[k] != replica.get(k)} == {"lr", "batch_size", "name"}
    # without keys of its own a replica has the same settings: only its name (seeds) differs
    cfg["learners"]["twin"] = {"kind": "generator", "like": "generator"}
    twin = mc.learner_settings(cfg, "three_well", "twin")
    assert twin == {**mc.learner_settings(cfg, "three_well", "generator"), "name": "twin"}


@pytest.mark.parametrize("learners, fragment", [
    ({"a": {"kind": "transfer", "like": "generator", "lag": 1.0}}, "kinds must match"),
    ({"a": {"kind": "generator", "like": "nobody"}}, "learner 'a': like 'nobody'"),
    ({"a": {"kind": "generator", "like": "b"}, "b": {"kind": "generator", "like": "a"}},
     "circle: a → b → a"),
])
def test_bad_like_names_the_problem(cfg, root, learners, fragment):
    cfg["learners"].update(learners)
    with pytest.raises(ConfigError, match=fragment):
        mc.learner_settings(cfg, "mueller_brown", "a")
    # caught before any job starts, even where no system trains the learner
    validate(cfg, SCHEMA)
    mc.apply_defaults(cfg, SCHEMA)
    with pytest.raises(ConfigError, match=fragment):
        mc.check(cfg, base_dir=root)

def test_bad_learner_override_names_learner_and_key(cfg):
    validate(cfg, SCHEMA)
    cfg["toy"]["systems"]["mueller_brown"]["training"] = {"generator": {"stepz": 7}}
    with pytest.raises(ConfigError, match="generator.*mueller_brown.*stepz"):
        mc.learner_settings(cfg, "mueller_brown", "generator")


def test_cross_checks(cfg, root):
    validate(cfg, SCHEMA)
    bad = copy.deepcopy(cfg)
    bad["toy"]["systems"]["mueller_brown"]["box"] = [[1, 0], [0, 1]]
    with pytest.raises(ConfigError, match="box"):
        mc.check(bad, base_dir=root)
    bad = copy.deepcopy(cfg)
    bad["toy"]["learners"] = ["nonexistent"]
    with pytest.raises(ConfigError, match="nonexistent"):
        mc.check(bad, base_dir=root)
    bad = copy.deepcopy(cfg)
    bad["toy"]["systems"]["mine"] = {"potential": "nowhere/pot.py:f", "beta": 1.0,
                                     "box": [[0, 1], [0, 1]]}
    with pytest.raises(ConfigError, match="not found"):
        mc.check(bad, base_dir=root)


def test_bad_overlay_file_is_named_in_the_error(tmp_path):
    from mdcv.cli import load_config
    overlay = tmp_path / "bad.yaml"  # a Path, as the benchmarks and tests pass it
    overlay.write_text("seed: abc\n")
    with pytest.raises(ConfigError, match=r"config key seed: .*not of type 'integer'.*bad\.yaml"):
        load_config([overlay])


def test_disabled_systems_are_left_out(cfg):
    validate(cfg, SCHEMA)
    cfg["toy"]["systems"]["three_well"]["enabled"] = False
    assert "three_well" not in mc.toy_systems(cfg)
    assert "mueller_brown" in mc.toy_systems(cfg)


def test_trainings_list_every_learner_with_its_data_size(cfg):
    validate(cfg, SCHEMA)
    mc.apply_defaults(cfg, SCHEMA)
    jobs = mc.trainings(cfg)
    assert len(jobs) == len(set(jobs))
    toy, ala = mc.toy_systems(cfg)[0], "ala2-vacuum"
    assert [n for s, n in jobs if s == toy] == mc.toy_learners(cfg, toy)
    n_samples = mc.toy_settings(cfg, toy)["sampling"]["n_samples"]
    assert mc.training_data_size(cfg, toy, mc.toy_learners(cfg, toy)[0]) == (n_samples, 2)
    ala_learners = [n for s, n in jobs if s == ala]
    assert set(cfg["alanine"]["transfer"]) <= set(ala_learners)  # fed by the Langevin runs
    biased = mc.training_data_size(cfg, ala, "generator-uniform")
    unbiased = mc.training_data_size(cfg, ala, cfg["alanine"]["transfer"][0])
    assert biased[1] == unbiased[1] == 66  # all 22 atoms by default
    assert biased[0] != unbiased[0]  # the transfer learner trains on the unbiased runs


def test_check_config_prints_alanine_learners_with_system_overrides(root, capsys, tmp_path):
    from mdcv import cli

    overlay = tmp_path / "water.yaml"
    overlay.write_text("md:\n  systems:\n    ala2-water:\n      training:\n"
                       "        generator-uniform: {steps: 1234}\n")
    assert cli.main(["check-config", str(root / "config" / "paper.yaml"), str(overlay)]) == 0
    learners = json.loads(capsys.readouterr().out)["learners"]
    paper = yaml.safe_load((root / "config" / "paper.yaml").read_text())
    assert learners["ala2-water"]["generator-uniform"]["steps"] == 1234
    assert learners["ala2-vacuum"]["generator-uniform"]["steps"] == \
        paper["learners"]["generator-uniform"]["steps"]
    assert learners["ala2-vacuum"]["generator-uniform"]["diffusion"] == "uniform"
    assert "mueller_brown" in learners
    bad = tmp_path / "bad.yaml"
    bad.write_text("learners:\n  generator-uniform:\n    stepz: 10\n")
    assert cli.main(["check-config", str(bad)]) == 2
    assert "stepz" in capsys.readouterr().err
