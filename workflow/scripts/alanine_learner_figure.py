"""Rule alanine_learner_figure: each learned function (or encoder output) over (φ, ψ)."""

from mdcv import data
from mdcv.logs import setup
from mdcv.plots import alanine as alaplots

setup(snakemake.log[0])
alaplots.learner_figure(data.load(snakemake.input.dataset), snakemake.input.cv,
                        snakemake.params.title, [snakemake.output.png, snakemake.output.pdf])
