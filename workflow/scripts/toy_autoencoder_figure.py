"""Rules toy_autoencoder_panel / toy_autoencoder_figure: potential, data, encoder, decoder."""

from pathlib import Path

from mdcv.data import load
from mdcv.logs import setup
from mdcv.plots.cv import autoencoder_figure
from mdcv.toy.reference import Spectrum

setup(snakemake.log[0])
autoencoder_figure(Spectrum.load(snakemake.input.spectrum), load(snakemake.input.dataset),
                   [Path(p).parent for p in snakemake.input.models], snakemake.params.titles,
                   snakemake.output.png, snakemake.output.pdf, snakemake.params.system)
