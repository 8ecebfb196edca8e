"""Rule train: fit a learner on a dataset (or average its cross-fitting members) and
write the model directory contract."""

from mdcv.data import load
from mdcv.learn.crossfit import combine
from mdcv.learn.learners import learner_class
from mdcv.learn.learners.base import train_and_save
from mdcv.learn.modeldir import ModelDir
from mdcv.logs import setup

setup(snakemake.log[0])
settings = dict(snakemake.params.settings)
if not settings.get("threads"):
    settings["threads"] = snakemake.threads
model_dir = ModelDir.of(snakemake.output.model)
if snakemake.input.members:
    combine(learner_class(settings["kind"]), load(snakemake.input.dataset), settings,
            [ModelDir.of(p) for p in snakemake.input.members], model_dir)
else:
    train_and_save(learner_class(settings["kind"]), load(snakemake.input.dataset), settings,
                   model_dir, snakemake.params.checkpoint, snakemake.params.seed)
