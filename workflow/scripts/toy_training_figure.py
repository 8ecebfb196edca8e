"""Rule toy_training_figure: loss and eigenvalue estimates over training steps."""

import pandas as pd

from mdcv.logs import setup
from mdcv.plots import toy as plots
from mdcv.toy.reference import Spectrum

setup(snakemake.log[0])
spectrum = Spectrum.load(snakemake.input.spectrum)
histories = {name: pd.read_csv(p)
             for name, p in zip(snakemake.params.learners, snakemake.input.histories, strict=True)}
k = max(sum(c.startswith("estimate_") for c in h.columns) for h in histories.values())
plots.training_curves(histories, spectrum.eigenvalues[1:k + 1], snakemake.output.png,
                      snakemake.output.pdf, snakemake.params.system)
