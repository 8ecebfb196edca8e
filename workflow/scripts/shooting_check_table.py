"""Rule shooting_check_table: the toy shooting check's rows, one per system and seed."""

import pandas as pd

from mdcv.logs import setup

setup(snakemake.log[0])
pd.concat([pd.read_csv(f) for f in snakemake.input], ignore_index=True).to_csv(
    snakemake.output[0], index=False)
