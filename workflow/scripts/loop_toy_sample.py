"""Rule loop_toy_sample: a toy loop round's samples (mdcv.loop.steps.toy_sample)."""

from mdcv.logs import setup
from mdcv.loop.steps import toy_sample
from mdcv.workflow.paths import model_dirs

setup(snakemake.log[0])
previous = None
if snakemake.input.get("torchscript"):
    previous = (model_dirs([snakemake.input.torchscript])[0], snakemake.input.profile)
toy_sample(snakemake.params.system, snakemake.params.seed, snakemake.output.samples,
           snakemake.output.stats, previous, base_dir=snakemake.params.base_dir)
