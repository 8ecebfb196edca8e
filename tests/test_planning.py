"""The planning layer (mdcv.workflow): results paths, targets, params, and the library's shape
(no import cycle, no module over 400 lines, ``results/`` spelled in one module)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from mdcv import config as mdcv_config
from mdcv import seeds
from mdcv.learn.modeldir import FILES, ModelDir
from mdcv.workflow import alanine, inputs, params, paths, targets

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "mdcv"
RULES = ROOT / "workflow" / "rules"


@pytest.fixture(scope="module")
def cfg():
    return mdcv_config.load([], ROOT)


# --- paths -------------------------------------------------------------------------------------
def test_paths_name_the_results_layout():
    assert paths.dataset("mueller_brown", "biased") == "results/mueller_brown/dataset/biased.npz"
    assert paths.dataset("{toy}", "{dataset}") == "results/{toy}/dataset/{dataset}.npz"
    assert paths.md("ala2-vacuum", "awh", "pmf.npz") == "results/ala2-vacuum/md/awh/pmf.npz"
    assert paths.md_work("{md_system}", "em") == "results/{md_system}/md/work/em"
    assert paths.reference("s", "bd", "runs.npz") == "results/s/reference/bd/runs.npz"
    assert paths.table("alanine_eigenvalues") == "results/tables/alanine_eigenvalues.csv"
    assert paths.figure("toy_x_training", "pdf") == "results/figures/toy_x_training.pdf"
    assert paths.log("md", "{md_system}", "em") == "results/logs/md/{md_system}/em.log"
    assert paths.checkpoint("s", "g") == "results/checkpoints/s/g.pt"
    assert paths.checkpoint("s", "g", 3) == "results/checkpoints/s/g.fold3.pt"


def test_benchmark_files_are_per_rule_and_wildcards():
    assert paths.benchmark("md_dynamics", "{md_system}", "{stage}") == \
        "results/benchmarks/rules/md_dynamics/{md_system}_{stage}.tsv"
    assert paths.benchmark("alanine_table") == "results/benchmarks/rules/alanine_table/all.tsv"


def test_model_files_are_the_model_directory_contract():
    files = paths.model_files("s", "g")
    assert set(files) == set(paths.MODEL_KEYS) <= set(FILES)
    model_dir = paths.model_dir("s", "g")
    assert isinstance(model_dir, ModelDir)
    for key, path in files.items():
        assert Path(path) == getattr(model_dir, key)
    assert Path(paths.model_file("s", "g", "model", 1)) == paths.model_dir("s", "g", 1).model
    assert Path(paths.model_file("s", "g", "members")) == model_dir.members
    assert paths.model_dirs([files["torchscript"], files["cv"]]) == [model_dir.root] * 2


# --- targets, inputs, params -------------------------------------------------------------------
def test_targets_cover_every_stage(cfg):
    out = targets.all_targets(cfg)
    assert len(out) == len(set(out))
    assert out[0] == "results/tables/toy_spectrum.csv"
    for path in ("results/tables/toy_cv_quality.csv", "results/tables/reweighting_check.csv",
                 "results/tables/alanine_eigenvalues.csv",
                 "results/ala2-vacuum/dataset/unbiased.npz",
                 "results/figures/md_ala2-water_pmf.png",
                 "results/figures/alanine_ala2-vacuum_msm_bd.png",
                 "results/figures/alanine_ala2-water_study.png"):
        assert path in out
    assert all(p.startswith("results/") for p in out)


def test_trainings_list_the_toy_then_the_alanine_learners(cfg):
    jobs = targets.trainings(cfg)
    toys = mdcv_config.toy_systems(cfg)
    assert [s for s, _ in jobs][: len(toys) * len(cfg["toy"]["learners"])] == \
        [s for s in toys for _ in cfg["toy"]["learners"]]
    assert ("ala2-vacuum", "transfer-ala") in jobs  # fed by the Langevin reference runs
    assert ("ala2-water", "transfer-ala") not in jobs  # no reference runs in water


def test_md_stage_inputs_chain_the_stages(cfg):
    nvt = inputs.md_stage(cfg, "ala2-vacuum", "nvt")
    assert nvt["gro"] == "results/ala2-vacuum/md/em/confout.gro" and "cpt" not in nvt
    biased = inputs.md_stage(cfg, "ala2-water", "biased")
    assert biased["top"] == "results/ala2-water/md/topology/topol_biased.top"
    assert biased["cpt"] == "results/ala2-water/md/npt/state.cpt"  # water equilibrates in NPT
    assert len(inputs.unbiased_xtcs(cfg, "ala2-vacuum")) == \
        cfg["md"]["systems"]["ala2-vacuum"].get("unbiased_runs", 4)


def test_stage_kind_and_run():
    assert (params.stage_kind("unbiased3"), params.stage_run("unbiased3")) == ("unbiased", 3)
    assert (params.stage_kind("awh"), params.stage_run("awh")) == ("awh", 0)


def test_features_params_hold_what_featurization_reads(cfg):
    biased = params.features(cfg, "ala2-vacuum", "biased")
    assert set(biased) == {"atoms", "temperature", "discard_ps", "tolerance"}
    unbiased = params.features(cfg, "ala2-vacuum", "unbiased")
    assert unbiased["discard_ps"] == 0.0 and "tolerance" not in unbiased


def test_seeds_are_the_study_derivation(cfg):
    assert params.seed(cfg, "train", "s", "g") == seeds.derive(cfg["seed"], "train", "s", "g")


def test_table_plan_and_inputs_line_up(cfg):
    plan = alanine.table_plan(cfg)
    files = alanine.table_inputs(cfg)
    assert len(files["datasets"]) == len(plan["systems"])
    for entry, readouts in zip(plan["learners"], files["readouts"], strict=True):
        assert readouts == paths.model_file(entry["system"], entry["learner"], "readouts")
    assert [r["dynamics"] for r in plan["references"]] == ["bd", "langevin"]
    assert files["eigenvectors"] == ["results/ala2-vacuum/reference/bd/eigenvector.npz"]


# --- the library's shape -----------------------------------------------------------------------
def _modules() -> dict[str, Path]:
    out = {}
    for path in SRC.rglob("*.py"):
        parts = path.relative_to(SRC.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


def _imports(path: Path, modules: dict) -> set[str]:
    """mdcv modules ``path`` imports at run time, at any depth (lazy imports included;
    ``if TYPE_CHECKING:`` blocks left out)."""
    tree = ast.parse(path.read_text())
    typing_only = {id(n) for block in ast.walk(tree) if isinstance(block, ast.If)
                   and "TYPE_CHECKING" in ast.unparse(block.test)
                   for stmt in block.body for n in ast.walk(stmt)}
    found = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [f"{node.module}.{a.name}" for a in node.names] + [node.module]
        else:
            continue
        found |= {n for n in names if n in modules and n.startswith("mdcv")}
    return found


def test_no_import_cycle_in_the_library():
    modules = _modules()
    graph = {name: _imports(path, modules) - {name} for name, path in modules.items()}
    # a package's own __init__ re-exporting its submodules is not a cycle through them
    for name in graph:
        graph[name] = {m for m in graph[name] if not name.startswith(m + ".")}
    state: dict[str, int] = {}

    def visit(node, stack):
        state[node] = 1
        for nxt in graph[node]:
            if state.get(nxt) == 1:
                cycle = stack[stack.index(nxt):] + [nxt]
                pytest.fail(f"import cycle: {' -> '.join(cycle)}")
            if nxt not in state:
                visit(nxt, [*stack, nxt])
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])


def test_no_library_module_over_400_lines():
    long = {str(p.relative_to(ROOT)): n for p in SRC.rglob("*.py")
            if (n := len(p.read_text().splitlines())) > 400}
    assert not long, long


def test_only_the_paths_module_spells_results():
    """String literals (docstrings aside) naming results/ live in mdcv.workflow.paths only."""
    spelled = []
    for path in SRC.rglob("*.py"):
        tree = ast.parse(path.read_text())
        docstrings = {id(n.body[0].value) for n in ast.walk(tree)
                      if isinstance(n, (ast.Module, ast.FunctionDef, ast.ClassDef))
                      and n.body and isinstance(n.body[0], ast.Expr)}
        for node in ast.walk(tree):
            if (isinstance(node, ast.Constant) and isinstance(node.value, str)
                    and id(node) not in docstrings and re.match(r"results(/|$)", node.value)):
                spelled.append(f"{path.relative_to(ROOT)}: {node.value!r}")
    assert spelled == ["src/mdcv/workflow/paths.py: 'results'"], spelled


def test_wildcard_constraints_are_declared_once():
    blocks = {p.name: p.read_text().count("wildcard_constraints:") for p in RULES.glob("*.smk")}
    assert blocks.pop("common.smk") == 1
    assert not any(blocks.values()), blocks
    literal = [p.name for p in RULES.glob("*.smk") if p.name != "common.smk"
               and re.search(r'"results/', p.read_text())]
    assert not literal, f"rule files spelling results/ instead of mdcv.workflow.paths: {literal}"


def test_train_variants_declare_what_each_train_job_writes():
    cfg = mdcv_config.load([ROOT / "config" / "paper.yaml"], ROOT)
    variants = params.train_variants(cfg, targets.trainings(cfg))
    assert variants["crossfit_learner"] == ["generator-uniform"]  # folds: 4, holdout 0.2
    assert "generator-uniform-heavy" in variants["selecting_learner"]  # validation 0.2
    assert "transfer-ala" in variants["plain_learner"]
    assert params.TRAIN_VARIANTS["crossfit_learner"][-2:] == ("validation", "members")
    # a learner whose files differ between systems is declared with the common files only
    mixed = mdcv_config.deep_merge(cfg, {"md": {"systems": {"ala2-water": {"training": {
        "generator-uniform": {"folds": 0}}}}}})
    assert "generator-uniform" in params.train_variants(mixed, targets.trainings(mixed))[
        "plain_learner"]


def test_a_crossfit_train_job_declares_its_members_files(cfg):
    from mdcv.workflow.jobs import Jobs

    paper = mdcv_config.load([ROOT / "config" / "paper.yaml"], ROOT)
    wc = {"system": "ala2-vacuum", "crossfit_learner": "generator-uniform"}

    class Wildcards(dict):
        __getattr__ = dict.__getitem__

    job = Jobs(paper, ROOT / "workflow" / "mdp").train_inputs(Wildcards(wc))
    assert job["members"] == [f"results/ala2-vacuum/models/generator-uniform/folds/{j}/model.pt"
                              for j in range(4)]
    assert "results/ala2-vacuum/models/generator-uniform/folds/3/validation.csv" in \
        job["member_files"]
    assert params.learner_name(Wildcards(wc)) == "generator-uniform"
