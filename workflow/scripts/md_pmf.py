"""Extract the AWH PMF on (φ, ψ) with gmx awh and store it in radians and kJ/mol."""

from mdcv.logs import setup
from mdcv.md import gromacs, pmf

setup(snakemake.log[0])
gromacs.awh_pmf(snakemake.input.edr, snakemake.input.tpr, snakemake.output.xvg, snakemake.log[0])
pmf.read_awh_xvg(snakemake.output.xvg).save(snakemake.output.npz)
