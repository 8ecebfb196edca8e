"""Rule alanine_msm_figure: implied timescales over lags and run counts; CK test."""

from mdcv import alaplots
from mdcv.logs import setup

setup(snakemake.log[0])
alaplots.msm_figure(snakemake.input.scan, snakemake.input.ck, snakemake.params.title,
                    [snakemake.output.png, snakemake.output.pdf],
                    shooting_file=snakemake.input.get("shooting") or None)  # none for langevin
