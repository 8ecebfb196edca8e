"""Rule loop_md_round0: the study's biased dataset as round 0 of the loop (mdcv.loop.md)."""

from mdcv.logs import setup
from mdcv.loop import md

setup(snakemake.log[0])
md.round0(snakemake.input.dataset, snakemake.output.samples, snakemake.output.stats,
          snakemake.params.ns_simulated)
