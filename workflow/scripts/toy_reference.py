"""Rule toy_reference: exact grid spectrum of a toy system (see mdcv.toy.reference)."""

from mdcv.logs import setup
from mdcv.toy.steps import make_reference

setup(snakemake.log[0])
make_reference(snakemake.params.system, snakemake.output.spectrum, snakemake.output.convergence,
               base_dir=snakemake.params.base_dir)
