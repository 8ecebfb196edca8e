"""Rule alanine_convergence_figure: eigenvalue estimates over training steps."""

from mdcv.logs import setup
from mdcv.plots import alanine as alaplots

setup(snakemake.log[0])
par = snakemake.params
alaplots.convergence_figure(list(snakemake.input.histories), par.labels, par.published, par.system,
                            [snakemake.output.png, snakemake.output.pdf])
