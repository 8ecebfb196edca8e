"""Rule loop_table: results/tables/cv_loop.csv from the round records (mdcv.loop.table)."""

from mdcv.logs import setup
from mdcv.loop.table import table

log = setup(snakemake.log[0])
df = table(snakemake.input.records)
df.to_csv(snakemake.output[0], index=False)
log.info("\n%s", df.to_string())
