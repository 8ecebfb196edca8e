import copy
import json
import subprocess
import sys

import pytest
import yaml

from mdcv import config as mc
from mdcv.errors import ConfigError


def leaves(tree: dict, prefix: tuple = ()):
    """(key path, value) of every non-mapping value of a nested dict."""
    for key, value in tree.items():
        if isinstance(value, dict) and value:
            yield from leaves(value, (*prefix, key))
        else:
            yield (*prefix, key), value


def lookup(tree: dict, path: tuple):
    for key in path:
        tree = tree[key]
    return tree


@pytest.fixture
def cfg(root, monkeypatch):
    monkeypatch.chdir(root)
    return mc.read_yaml(root / "config" / "config.yaml")


def test_default_and_paper_configs_load_with_every_key_in_place(root):
    paper_file = root / "config" / "paper.yaml"
    assert paper_file.is_file(), "config/paper.yaml (the paper-scale study) is missing"
    default = mc.load([], root)
    paper = mc.load([paper_file], root)
    # the paper overlay's every value arrives; keys it leaves out keep the default's value
    overlay = mc.read_yaml(paper_file)
    for path, value in leaves(overlay):
        assert lookup(paper, path) == value, path
    assert paper["toy"]["sampling"]["potential_fraction"] == \
        lookup(default, ("toy", "sampling", "potential_fraction"))
    # defaults are filled from every section schema, top to bottom
    for config in (default, paper):
        assert {"seed", "toy", "learners", "md", "alanine", "train_env"} <= set(config)
        assert config["md"]["systems"]["ala2-vacuum"]["solvent"] == "vacuum"
        assert config["md"]["em"]["steps"] >= 1 and config["alanine"]["reference"]["states"] >= 3
    # the paper study differs from the default where it says so
    assert paper["md"]["systems"]["ala2-vacuum"]["biased_ns"] == 100.0
    assert default["md"]["systems"]["ala2-vacuum"]["biased_ns"] != 100.0


def test_load_merges_overlays_in_order_like_snakemake(root, tmp_path):
    first, second = tmp_path / "a.yaml", tmp_path / "b.yaml"
    first.write_text("seed: 5\ntoy:\n  sampling: {n_samples: 700, dt: 2.0e-3}\n")
    second.write_text("toy:\n  sampling: {n_samples: 900}\n")
    cfg = mc.load([first, second], root)
    assert cfg["seed"] == 5
    assert cfg["toy"]["sampling"]["n_samples"] == 900 and cfg["toy"]["sampling"]["dt"] == 2.0e-3


def test_defaults_are_filled_across_schema_files(cfg):
    del cfg["toy"]["sampling"]
    del cfg["toy"]["reference"]["grid"]
    mc.validate(cfg)
    assert cfg["toy"]["sampling"]["potential_fraction"] == 0.2
    assert cfg["toy"]["sampling"]["unbiased"]["stride"] >= 1
    assert cfg["toy"]["reference"]["grid"] == [200, 200]
    assert "potential_fraction" not in cfg["toy"]["systems"]["mueller_brown"].get("sampling", {})


@pytest.mark.parametrize("mutate, fragment", [
    (lambda c: c.update(unknown_key=1), "unknown_key"),
    (lambda c: c["toy"]["sampling"].update(dt="fast"), "toy.sampling.dt: 'fast'"),
    (lambda c: c["toy"]["sampling"].update(potential_fraction=1.5), "1.5"),
    (lambda c: c["toy"]["systems"]["mueller_brown"].update(colour="red"), "colour"),
    (lambda c: c["toy"]["systems"]["mueller_brown"].pop("beta"), "beta"),
    (lambda c: c.update(toy=5), "config key toy: 5 is not of type 'object'"),
])
def test_schema_rejects_bad_input_naming_the_key(cfg, mutate, fragment):
    mutate(cfg)
    with pytest.raises(ConfigError, match=fragment):
        mc.validate(cfg)


def test_one_merge_rule_for_every_override(cfg):
    mc.validate(cfg)
    base = {"a": {"x": 1, "y": [1, 2]}, "b": 2}
    assert mc.deep_merge(base, {"a": {"y": [3]}, "c": 4}) == {"a": {"x": 1, "y": [3]}, "b": 2, "c": 4}
    assert base == {"a": {"x": 1, "y": [1, 2]}, "b": 2}  # a copy: the base is left alone
    # toy sampling, MD system settings and learner overrides all follow it
    cfg["toy"]["systems"]["mueller_brown"]["sampling"] = {"unbiased": {"stride": 7}}
    sampling = mc.toy_settings(cfg, "mueller_brown")["sampling"]
    assert sampling == mc.deep_merge(cfg["toy"]["sampling"], {"unbiased": {"stride": 7}})
    from mdcv.md.settings import system_settings

    md = system_settings(cfg, "ala2-vacuum")
    assert md["biased_ns"] == cfg["md"]["systems"]["ala2-vacuum"]["biased_ns"]
    assert md["features"] == cfg["md"]["features"] and md["seed"] == cfg["seed"]


def test_learner_settings_merge_defaults_learner_and_system(cfg):
    mc.validate(cfg)
    cfg["toy"]["systems"]["mueller_brown"]["training"] = {"generator": {"steps": 7}}
    s = mc.learner_settings(cfg, "mueller_brown", "generator")
    assert s["steps"] == 7 and s["kind"] == "generator" and "alpha" in s
    # The override is per system: another system keeps its own steps.
    assert mc.learner_settings(cfg, "three_well", "generator")["steps"] != 7


def test_like_starts_from_another_learners_settings(cfg):
    cfg["learners"]["replica"] = {"kind": "generator", "like": "generator", "lr": 1e-3}
    cfg["toy"]["systems"]["mueller_brown"]["training"] = {"generator": {"steps": 7},
                                                          "replica": {"batch_size": 64}}
    mc.validate(cfg)
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
    with pytest.raises(ConfigError, match=fragment):
        mc.prepare(cfg, root)


def test_bad_learner_override_names_learner_and_key(cfg):
    mc.validate(cfg)
    cfg["toy"]["systems"]["mueller_brown"]["training"] = {"generator": {"stepz": 7}}
    with pytest.raises(ConfigError, match="generator.*mueller_brown.*stepz"):
        mc.learner_settings(cfg, "mueller_brown", "generator")


def test_cross_checks(cfg, root):
    mc.validate(cfg)
    bad = copy.deepcopy(cfg)
    bad["toy"]["systems"]["mueller_brown"]["box"] = [[1, 0], [0, 1]]
    with pytest.raises(ConfigError, match="box"):
        mc.check(bad, base_dir=root)
    bad = copy.deepcopy(cfg)
    bad["toy"]["learners"] = ["nonexistent"]
    with pytest.raises(ConfigError, match="nonexistent"):
        mc.check(bad, base_dir=root)


MINE = {"beta": 1.0, "box": [[-1.0, 1.0], [-1.0, 1.0]]}


@pytest.mark.parametrize("spec, fragment", [
    ("nosuchmodule:f", r"toy\.systems\.mine\.potential: .*cannot import module 'nosuchmodule'"),
    ("nowhere/pot.py:f", r"toy\.systems\.mine\.potential: file 'nowhere/pot\.py' not found"),
    ("examples/potentials.py:no_such_function", r"'no_such_function' is not a function"),
    ("mdcv.toy.potentials:BUILTIN", r"'BUILTIN' is not a function"),
    ("muller_brown", r"unknown potential 'muller_brown'; use a built-in name"),
])
def test_a_potential_that_does_not_resolve_is_rejected(cfg, root, spec, fragment):
    cfg["toy"]["systems"]["mine"] = {"potential": spec, **MINE}
    with pytest.raises(ConfigError, match=fragment):
        mc.prepare(cfg, root)


@pytest.mark.parametrize("spec", ["three_well", "examples/potentials.py:wolfe_quapp",
                                  "mdcv.toy.potentials:three_well"])
def test_potentials_that_resolve_pass(cfg, root, spec):
    cfg["toy"]["systems"]["mine"] = {"potential": spec, **MINE}
    assert "mine" in mc.toy_systems(mc.prepare(cfg, root))


def test_builtin_potential_names_match_the_potentials_module():
    from mdcv.toy.potentials import BUILTIN

    assert set(mc.BUILTIN_POTENTIALS) == set(BUILTIN)


def test_a_failing_user_module_is_named(cfg, root, tmp_path):
    (tmp_path / "broken.py").write_text("raise RuntimeError('boom')\n")
    cfg["toy"]["systems"]["mine"] = {"potential": str(tmp_path / "broken.py") + ":f", **MINE}
    with pytest.raises(ConfigError, match=r"importing .*broken\.py.*RuntimeError: boom"):
        mc.prepare(cfg, root)


@pytest.mark.parametrize("text, fragment", [
    ("seed: 3\ntoy:\n  sampling: [1, 2\n  dt: 1\n", r"bad\.yaml line 4: could not parse YAML"),
    ("seed: 3\ntoy:\n\tdt: 1\n", r"bad\.yaml line 3: could not parse YAML: .*'\\t'"),
    ("a: b: c\n", r"bad\.yaml line 1: could not parse YAML: mapping values are not allowed"),
    ("", r"bad\.yaml: a config file holds keys at its top level .* empty"),
    ("- 1\n- 2\n", r"bad\.yaml: a config file holds keys .* a list"),
])
def test_yaml_errors_name_file_and_line(root, tmp_path, text, fragment):
    bad = tmp_path / "bad.yaml"
    bad.write_text(text)
    with pytest.raises(ConfigError, match=fragment):
        mc.load([bad], root)


def test_bad_overlay_file_is_named_in_the_error(root, tmp_path):
    overlay = tmp_path / "bad.yaml"  # a Path, as the benchmarks and tests pass it
    overlay.write_text("seed: abc\n")
    with pytest.raises(ConfigError, match=r"config key seed: .*not of type 'integer'.*bad\.yaml"):
        mc.load([overlay], root)
    with pytest.raises(ConfigError, match=r"missing\.yaml: cannot read the config file"):
        mc.load([tmp_path / "missing.yaml"], root)


def test_disabled_systems_are_left_out(cfg):
    mc.validate(cfg)
    cfg["toy"]["systems"]["three_well"]["enabled"] = False
    assert "three_well" not in mc.toy_systems(cfg)
    assert "mueller_brown" in mc.toy_systems(cfg)


def test_trainings_list_every_learner_with_its_data_size(cfg):
    from mdcv.workflow.resources import training_data_size
    from mdcv.workflow.targets import trainings

    mc.validate(cfg)
    jobs = trainings(cfg)
    assert len(jobs) == len(set(jobs))
    toy, ala = mc.toy_systems(cfg)[0], "ala2-vacuum"
    assert [n for s, n in jobs if s == toy] == mc.toy_learners(cfg, toy)
    n_samples = mc.toy_settings(cfg, toy)["sampling"]["n_samples"]
    assert training_data_size(cfg, toy, mc.toy_learners(cfg, toy)[0]) == (n_samples, 2)
    ala_learners = [n for s, n in jobs if s == ala]
    assert set(cfg["alanine"]["transfer"]) <= set(ala_learners)  # fed by the Langevin runs
    biased = training_data_size(cfg, ala, "generator-uniform")
    unbiased = training_data_size(cfg, ala, cfg["alanine"]["transfer"][0])
    assert biased[1] == unbiased[1] == 66  # all 22 atoms by default
    assert biased[0] != unbiased[0]  # the transfer learner trains on the unbiased runs


def mdcv_cli(*args) -> subprocess.CompletedProcess:
    """``mdcv ...`` in a fresh interpreter."""
    return subprocess.run([sys.executable, "-m", "mdcv.cli", *map(str, args)],
                          capture_output=True, text=True, timeout=120)


def one_line_error(proc: subprocess.CompletedProcess) -> str:
    """The single line of a failed command's error output (no traceback)."""
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert proc.returncode != 0 and "Traceback" not in proc.stderr, proc.stderr
    assert len(lines) == 1, proc.stderr
    return lines[0]


@pytest.mark.slow  # a tiny real run: seconds
def test_check_config_rejects_bad_yaml_and_potentials_in_one_line(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("seed: 3\ntoy:\n  sampling: [1, 2\n  dt: 1\n")
    line = one_line_error(mdcv_cli("check-config", bad))
    assert line.startswith(f"mdcv: error: {bad} line 4: could not parse YAML:")
    mine = tmp_path / "mine.yaml"
    mine.write_text("toy:\n  systems:\n    mine:\n      potential: nosuchmodule:f\n"
                    "      beta: 1.0\n      box: [[-1, 1], [-1, 1]]\n")
    line = one_line_error(mdcv_cli("check-config", mine))
    assert "toy.systems.mine.potential" in line and "nosuchmodule" in line


def test_check_config_needs_no_snakemake(tmp_path):
    code = ("import sys; from mdcv import cli; rc = cli.main(['check-config']); "
            "assert 'snakemake' not in sys.modules, 'snakemake imported'; sys.exit(rc)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "mueller_brown" in json.loads(proc.stdout)["learners"]


def dry_run(root, workdir, *configfiles) -> subprocess.CompletedProcess:
    workdir.mkdir(exist_ok=True)
    cmd = [sys.executable, "-m", "snakemake", "-s", str(root / "Snakefile"), "-n",
           "--directory", str(workdir)]
    if configfiles:
        cmd += ["--configfile", *map(str, configfiles)]
    return subprocess.run(cmd, cwd=root, capture_output=True, text=True, timeout=300)


def snakemake_error(proc: subprocess.CompletedProcess) -> list[str]:
    """The error lines of a failed Snakemake run (stdout and stderr), less its notes
    about the profile and config files; asserts there is no traceback."""
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0 and "Traceback" not in out and 'File "' not in out, out
    return [line for line in out.splitlines() if line.strip()
            and not line.startswith("Using workflow specific profile")
            and "is extended by additional config" not in line]


@pytest.mark.snakemake
def test_workflow_stops_on_bad_yaml_without_a_traceback(root, tmp_path):
    # Snakemake parses --configfile itself before the Snakefile runs (see
    # mdcv.config.loader): its own short message, no traceback; mdcv check-config
    # names file and line.
    bad = tmp_path / "bad.yaml"
    bad.write_text("seed: 3\ntoy:\n  sampling: [1, 2\n  dt: 1\n")
    lines = snakemake_error(dry_run(root, tmp_path / "run", bad))
    assert lines == ["WorkflowError:", "Config file is not valid JSON or YAML. In case of YAML, "
                     "make sure to not mix whitespace and tab indentation."]


@pytest.mark.snakemake
def test_workflow_rejects_an_unimportable_potential_before_any_job(root, tmp_path):
    mine = tmp_path / "mine.yaml"
    mine.write_text("toy:\n  systems:\n    mine:\n      potential: nosuchmodule:f\n"
                    "      beta: 1.0\n      box: [[-1, 1], [-1, 1]]\n")
    lines = snakemake_error(dry_run(root, tmp_path / "run", mine))
    assert len(lines) == 1 and "nosuchmodule" in lines[0]
    assert lines[0].startswith("mdcv: config error: toy.systems.mine.potential: ")
    assert not (tmp_path / "run" / "results").exists()


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
