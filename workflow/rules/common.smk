# Validation, wildcard constraints and the input/param helpers shared by every stage.
import os
import sys
from pathlib import Path

# mdcv is imported from src/ by this file and, through PYTHONPATH, by every job
# (also inside per-rule conda environments and on cluster nodes).
SRC = str(Path(workflow.basedir) / "src")
sys.path.insert(0, SRC)
# (update(), not os.environ[...] =: the linter would ask for an `envvars:` assertion,
# but PYTHONPATH is set here, not required from the user.)
os.environ.update(PYTHONPATH=os.pathsep.join(
    [SRC] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p and p != SRC]
))
from mdcv import config as mdcv_config  # noqa: E402  (pure Python, no torch)
from mdcv.workflow import resources as mdcv_resources  # noqa: E402


# Validate, fill defaults and check once, before any job; a bad config ends the run with
# one line naming the key and the fix (sys.exit: no traceback).
try:
    mdcv_config.prepare(config, base_dir=workflow.basedir,
                        sources="config/config.yaml or a --configfile overlay")
except mdcv_config.ConfigError as exc:
    sys.exit(f"mdcv: config error: {exc}")

TOY_SYSTEMS = mdcv_config.toy_systems(config)
MD_SYSTEMS = mdcv_config.md_systems(config)
ALL_SYSTEMS = TOY_SYSTEMS + MD_SYSTEMS


wildcard_constraints:
    system="|".join(ALL_SYSTEMS) or "__none__",
    toy="|".join(TOY_SYSTEMS) or "__none__",
    md_system="|".join(MD_SYSTEMS) or "__none__",
    learner="[A-Za-z0-9_-]+",
    fold="[0-9]+",
    dataset="biased|unbiased",


def toy_settings(wildcards):
    """Merged settings (defaults + per-system overrides) of the toy system in the wildcards."""
    return mdcv_config.toy_settings(config, wildcards.toy)


def toy_step_settings(step):
    """Input function: the settings of one toy step (biased, unbiased, reference)."""
    return lambda wildcards: mdcv_config.toy_step_settings(config, wildcards.toy, step)


def learner_settings(wildcards):
    """Merged settings of one learner on one system."""
    return mdcv_config.learner_settings(config, wildcards.system, wildcards.learner)


def learner_settings_for(system, learner):
    return mdcv_config.learner_settings(config, system, learner)


def seed_for(*parts):
    """Input function giving a stable seed for a step (config seed + step name + wildcards)."""
    return lambda wildcards: mdcv_config.derived_seed(
        config["seed"], *parts, *[str(v) for v in wildcards]
    )


def toy_dataset_mem_mb(wildcards):
    return mdcv_resources.toy_dataset(toy_settings(wildcards)["sampling"])["mem_mb"]


def toy_dataset_runtime(wildcards):
    return mdcv_resources.toy_dataset(toy_settings(wildcards)["sampling"])["runtime"]


def _training_resources(wildcards):
    settings = learner_settings(wildcards)
    n, dim = mdcv_config.training_data_size(config, wildcards.system, wildcards.learner)
    if learner_folds(wildcards) and not hasattr(wildcards, "fold"):
        return mdcv_resources.averaging(settings, n, dim)  # `train` of a cross-fitted learner
    return mdcv_resources.training(settings, n, dim)


def train_threads(wildcards):
    """Torch CPU threads of a training job: the learner's `threads`, else 1 (small nets)."""
    return int(learner_settings(wildcards).get("threads") or 1)


def train_mem_mb(wildcards):
    return _training_resources(wildcards)["mem_mb"]


def train_runtime(wildcards):
    return _training_resources(wildcards)["runtime"]


def learner_dataset(wildcards):
    """The dataset file a learner trains on (biased for generator-type, unbiased for transfer)."""
    kind = mdcv_config.learner_settings(config, wildcards.system, wildcards.learner)["dataset"]
    return f"results/{wildcards.system}/dataset/{kind}.npz"


def learner_folds(wildcards):
    """Cross-fitting members of a learner (its `folds` setting; 0 when off)."""
    folds = int(learner_settings(wildcards).get("folds") or 0)
    return folds if folds > 1 else 0


def fold_models(wildcards):
    """The members' model files a cross-fitted learner averages (none for other learners)."""
    return [f"results/{wildcards.system}/models/{wildcards.learner}/folds/{j}/model.pt"
            for j in range(learner_folds(wildcards))]


def fold_seed(wildcards):
    """Seed of one cross-fitting member (config seed + system, learner, fold)."""
    return mdcv_config.derived_seed(config["seed"], "train_fold", wildcards.system,
                                    wildcards.learner, wildcards.fold)


def model_files(system, learner):
    return [f"results/{system}/models/{learner}/{name}" for name in mdcv_config.MODEL_FILES]


def toy_learner_models(wildcards):
    return [
        f"results/{wildcards.toy}/models/{learner}/model.pt"
        for learner in mdcv_config.toy_learners(config, wildcards.toy)
    ]


def all_targets():
    targets = ["results/tables/toy_spectrum.csv"]
    for toy in TOY_SYSTEMS:
        targets += [
            f"results/figures/toy_{toy}_eigenfunctions.png",
            f"results/figures/toy_{toy}_training.png",
        ]
    targets += toycv.figure_targets(config, TOY_SYSTEMS)  # autoencoder figures, CV quality
    targets += md_targets()
    targets += alanine_targets()
    return targets
