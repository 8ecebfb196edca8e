"""Rule toy_evaluate: learned eigenvalues/eigenfunctions against the grid reference."""

from mdcv.analysis.evaluate import spectrum_table
from mdcv.data import load
from mdcv.logs import setup
from mdcv.toy.reference import Spectrum
from mdcv.workflow.paths import model_dirs

log = setup(snakemake.log[0])
table = spectrum_table(
    snakemake.params.system,
    Spectrum.load(snakemake.input.spectrum),
    load(snakemake.input.dataset),
    snakemake.params.learners,
    snakemake.params.default_readouts,
    model_dirs(snakemake.input.torchscripts),
)
table.to_csv(snakemake.output[0], index=False)
log.info("\n%s", table.to_string())
