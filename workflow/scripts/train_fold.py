"""Rule train_fold: train one cross-fitting member of a learner (mdcv.learn.crossfit)."""

from mdcv.data import load
from mdcv.learn.crossfit import train_member
from mdcv.learn.learners import learner_class
from mdcv.learn.modeldir import ModelDir
from mdcv.logs import setup

setup(snakemake.log[0])
settings = dict(snakemake.params.settings)
if not settings.get("threads"):
    settings["threads"] = snakemake.threads
train_member(learner_class(settings["kind"]), load(snakemake.input.dataset), settings,
             ModelDir.of(snakemake.output.model), snakemake.params.checkpoint,
             snakemake.params.seed, int(snakemake.wildcards.fold))
