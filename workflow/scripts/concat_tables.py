"""Concatenate CSV tables with the same columns into one."""

import pandas as pd

from mdcv.logs import setup

log = setup(snakemake.log[0])
table = pd.concat([pd.read_csv(path) for path in snakemake.input], ignore_index=True)
table.to_csv(snakemake.output[0], index=False)
log.info("wrote %d rows to %s", len(table), snakemake.output[0])
