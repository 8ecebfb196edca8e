"""Rule alanine_convergence_figure: eigenvalue estimates over training steps."""

from mdcv import alaplots
from mdcv.logs import setup

setup(snakemake.log[0])
par = snakemake.params
alaplots.convergence_figure(list(snakemake.input.histories), par.labels, par.published, par.system,
                            [snakemake.output.png, snakemake.output.pdf])
