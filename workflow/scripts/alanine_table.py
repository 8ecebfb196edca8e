"""Rule alanine_table: eigenvalues of every method (1/ns, convention named) and Spearman ρ."""

from mdcv.analysis import alanine
from mdcv.logs import setup

setup(snakemake.log[0])
table, spearman = alanine.build_table(snakemake.params.plan, snakemake.input, snakemake.params.published,
                                      snakemake.params.cells)
table.to_csv(snakemake.output.table, index=False)
spearman.to_csv(snakemake.output.spearman, index=False)
