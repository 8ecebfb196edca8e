"""Rule alanine_shooting: λ_1 of the BD dynamics and the per-start committors from the
committor-shooting runs."""

import numpy as np

from mdcv import data
from mdcv.analysis import alanine
from mdcv.logs import setup

setup(snakemake.log[0])
with np.load(snakemake.input.shots) as shots:
    shots = dict(shots)
row = alanine.shooting_reference(shots, data.load(snakemake.input.biased),
                                 snakemake.params.shooting, snakemake.params.seed)
row.to_csv(snakemake.output.rate, index=False)
alanine.shooting_committors(shots, snakemake.params.shooting).to_csv(
    snakemake.output.committors, index=False)
