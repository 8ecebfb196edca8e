"""Checkpoint loop_round: read out a loop round, decide whether the loop goes on, and
write F along its CV (mdcv.loop.steps.round_status)."""

from mdcv.logs import setup
from mdcv.loop.steps import round_status
from mdcv.workflow.paths import model_dirs

setup(snakemake.log[0])
reference = ()
if snakemake.input.get("spectrum"):
    from mdcv.toy.reference import Spectrum

    reference = tuple(Spectrum.load(snakemake.input.spectrum).eigenvalues[1:3])
round_status(snakemake.wildcards.system, int(snakemake.wildcards.round), snakemake.input.samples,
             snakemake.input.stats, model_dirs([snakemake.input.torchscript])[0],
             dict(snakemake.params.settings), snakemake.params.loop, snakemake.params.seed,
             snakemake.output.status, snakemake.output.profile,
             previous=snakemake.input.get("previous"), reference=reference)
