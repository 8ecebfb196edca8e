"""Rule alanine_study_figure: the study's water row (encoder, φ1..φ3, PMF)."""

from mdcv import data
from mdcv.logs import setup
from mdcv.plots import alanine as alaplots

setup(snakemake.log[0])
inp = snakemake.input
alaplots.study_figure(data.load(inp.dataset), inp.encoder, inp.eigen, inp.pmf,
                      snakemake.params.system, [snakemake.output.png, snakemake.output.pdf],
                      snakemake.params.k)
