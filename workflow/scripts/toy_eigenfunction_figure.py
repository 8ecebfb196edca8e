"""Rule toy_eigenfunction_figure: potential, samples, reference and learned eigenfunctions."""

from mdcv.data import load
from mdcv.logs import setup
from mdcv.plots import toy as plots
from mdcv.toy.reference import Spectrum
from mdcv.toy.steps import learned_on_grid
from mdcv.workflow.paths import model_dirs

setup(snakemake.log[0])
spectrum = Spectrum.load(snakemake.input.spectrum)
learned, k = learned_on_grid(spectrum, snakemake.params.learners,
                             model_dirs(snakemake.input.torchscripts))
plots.toy_eigenfunctions(spectrum, load(snakemake.input.dataset).x, learned, k,
                         snakemake.output.png, snakemake.output.pdf, snakemake.params.system)
