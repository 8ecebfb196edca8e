"""Figures of one MD system: AWH PMF, biased samples in (φ, ψ), weights against the angles."""

from mdcv import mdplots
from mdcv.runlog import to_file

to_file(snakemake.log[0])
mdplots.system_figures(snakemake.input.pmf, snakemake.input.dataset, snakemake.params.system,
                       list(snakemake.output))
