"""Rule alanine_data_figure: the training data in (φ, ψ) coloured by weight."""

from mdcv import data
from mdcv.logs import setup
from mdcv.plots import alanine as alaplots

setup(snakemake.log[0])
alaplots.data_figure(data.load(snakemake.input.dataset), snakemake.params.system,
                     [snakemake.output.png, snakemake.output.pdf])
