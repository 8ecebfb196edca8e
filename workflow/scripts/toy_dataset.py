"""Rule toy_dataset_{biased,unbiased}: sample a toy system (see mdcv.toy.steps.make_dataset)."""

from mdcv.logs import setup
from mdcv.toy.steps import make_dataset

setup(snakemake.log[0])
make_dataset(snakemake.params.system, snakemake.params.kind, snakemake.params.seed,
             snakemake.output.dataset, snakemake.output.stats, base_dir=snakemake.params.base_dir)
