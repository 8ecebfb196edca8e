# Validation, wildcard constraints and the input/param helpers shared by every stage.
import sys
from pathlib import Path

from snakemake.utils import validate

sys.path.insert(0, str(Path(workflow.basedir) / "src"))
from mdcv import config as mdcv_config  # noqa: E402  (pure Python, no torch)


validate(config, schema="../schemas/config.schema.yaml")
mdcv_config.check(config, base_dir=workflow.basedir)

TOY_SYSTEMS = list(config["toy"]["systems"])
ALL_SYSTEMS = TOY_SYSTEMS + mdcv_config.md_systems(config)


wildcard_constraints:
    system="|".join(ALL_SYSTEMS) or "__none__",
    toy="|".join(TOY_SYSTEMS) or "__none__",
    learner="[A-Za-z0-9_-]+",
    dataset="biased|unbiased",


def toy_settings(wildcards):
    """Merged settings (defaults + per-system overrides) of the toy system in the wildcards."""
    return mdcv_config.toy_settings(config, wildcards.toy)


def learner_settings(wildcards):
    """Merged settings of one learner on one system."""
    return mdcv_config.learner_settings(config, wildcards.system, wildcards.learner)


def learner_dataset(wildcards):
    """The dataset file a learner trains on (biased for generator-type, unbiased for transfer)."""
    kind = mdcv_config.learner_settings(config, wildcards.system, wildcards.learner)["dataset"]
    return f"results/{wildcards.system}/dataset/{kind}.npz"


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
    targets += md_targets()
    return targets
