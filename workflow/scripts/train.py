"""Rule train: fit a learner on a dataset and write the model directory contract."""

from pathlib import Path

from mdcv.data import load
from mdcv.learners import learner_class
from mdcv.learners.base import train_and_save
from mdcv.logs import setup

setup(snakemake.log[0])
settings = dict(snakemake.params.settings)
if not settings.get("threads"):
    settings["threads"] = snakemake.threads
train_and_save(learner_class(settings["kind"]), load(snakemake.input.dataset), settings,
               Path(snakemake.output.model).parent, snakemake.params.checkpoint,
               snakemake.params.seed)
