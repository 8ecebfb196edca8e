"""Rule toy_shooting_check: one seed of the committor-shooting check on one toy system."""

import pandas as pd

from mdcv.logs import setup
from mdcv.toy import shooting

setup(snakemake.log[0])
row = shooting.check_step(snakemake.params.check, snakemake.params.seed, snakemake.params.base_dir)
pd.DataFrame([{**row, "seed": int(snakemake.wildcards.rep), "rng_seed": row["seed"]}]).to_csv(
    snakemake.output[0], index=False)
