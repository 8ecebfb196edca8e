"""Rule toy_cv_quality: λ̃1 of the effective dynamics along each learner's CV."""

import numpy as np

from mdcv.analysis.effective import quality_rows
from mdcv.data import load
from mdcv.logs import setup
from mdcv.toy.reference import Spectrum
from mdcv.workflow.paths import model_dirs

log = setup(snakemake.log[0])
ds = load(snakemake.input.dataset)
spectrum = Spectrum.load(snakemake.input.spectrum)
table = quality_rows(snakemake.params.system, snakemake.params.learners, snakemake.params.kinds,
                     model_dirs(snakemake.input.torchscripts), ds.x, ds.w,
                     np.full(ds.dim, 1.0 / spectrum.beta), spectrum.eigenvalues,
                     n_cells=snakemake.params.n_cells)
table.to_csv(snakemake.output[0], index=False)
log.info("\n%s", table.to_string())
