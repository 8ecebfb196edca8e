"""Rule alanine_msm_figure: implied timescales over lags and run counts; CK test."""

from mdcv.analysis.alanine import REFERENCE_METHODS
from mdcv.logs import setup
from mdcv.plots import alanine as alaplots

setup(snakemake.log[0])
title = f"{snakemake.params.system}: MSM of {REFERENCE_METHODS[snakemake.wildcards.dyn]} runs"
alaplots.msm_figure(snakemake.input.scan, snakemake.input.ck, title,
                    [snakemake.output.png, snakemake.output.pdf],
                    shooting_file=snakemake.input.get("shooting") or None)  # none for langevin
