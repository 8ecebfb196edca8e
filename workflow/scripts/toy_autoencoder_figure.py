"""Rule toy_autoencoder_figure (one learner or the combined row): potential, data, encoder, decoder."""

from mdcv.data import load
from mdcv.logs import setup
from mdcv.plots.cv import autoencoder_figure
from mdcv.toy.reference import Spectrum
from mdcv.workflow.paths import model_dirs

setup(snakemake.log[0])
autoencoder_figure(Spectrum.load(snakemake.input.spectrum), load(snakemake.input.dataset),
                   model_dirs(snakemake.input.torchscripts), snakemake.params.titles,
                   snakemake.output.png, snakemake.output.pdf, snakemake.params.system)
