"""Rule alanine_shooting: λ_1 of the BD dynamics from the committor-shooting runs."""

import numpy as np

from mdcv import alanine, data
from mdcv.logs import setup

setup(snakemake.log[0])
with np.load(snakemake.input.shots) as shots:
    row = alanine.shooting_reference(dict(shots), data.load(snakemake.input.biased),
                                     snakemake.params.shooting, snakemake.params.seed)
row.to_csv(snakemake.output.rate, index=False)
