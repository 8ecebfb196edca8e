"""Rule alanine_msm: reversible MSM of the reference runs (deeptime), scans and CK test."""

import numpy as np

from mdcv import data
from mdcv.analysis import alanine
from mdcv.logs import setup

setup(snakemake.log[0])
out = snakemake.output
result = alanine.msm_reference(data.load(snakemake.input.runs), data.load(snakemake.input.biased),
                               snakemake.params.reference, snakemake.params.seed)
result["eigenvalues"].to_csv(out.eigenvalues, index=False)
result["scan"].to_csv(out.scan, index=False)
result["ck"].to_csv(out.ck, index=False)
np.savez(out.eigenvector, eigenvector=result["eigenvector"])
