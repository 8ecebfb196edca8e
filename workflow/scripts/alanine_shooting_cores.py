"""Rule alanine_shooting_cores: the shooting λ_1 re-read with each core choice."""

import numpy as np
import pandas as pd

from mdcv import data
from mdcv.analysis import alanine
from mdcv.logs import setup

setup(snakemake.log[0])
tables = []
for system, shots, biased in zip(snakemake.params.systems, snakemake.input.shots,
                                 snakemake.input.biased, strict=True):
    with np.load(shots) as f:
        arrays = dict(f)
    tables.append(alanine.shooting_cores(system, arrays, data.load(biased),
                                         snakemake.params.shooting, snakemake.params.seed))
pd.concat(tables, ignore_index=True).to_csv(snakemake.output[0], index=False)
