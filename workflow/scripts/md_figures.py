"""Figures of one MD system: AWH PMF, biased samples in (φ, ψ), weights against the angles."""

from mdcv.logs import setup
from mdcv.plots import md as mdplots

setup(snakemake.log[0])
mdplots.system_figures(snakemake.input.pmf, snakemake.input.dataset, snakemake.params.system,
                       list(snakemake.output))
