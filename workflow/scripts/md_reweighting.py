"""Reweighted free energy of each biased run against its AWH PMF, |ΔF| in kT per system."""

from mdcv.logs import setup
from mdcv.md import pmf

setup(snakemake.log[0])
par = snakemake.params
rows = [pmf.reweighting_check(system, ds, pm, par.bins, par.min_count)
        for system, ds, pm in zip(par.systems, snakemake.input.datasets, snakemake.input.pmfs,
                                  strict=True)]
pmf.write_table(rows, snakemake.output.table)
