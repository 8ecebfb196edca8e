"""Rule loop_figure: λ1 per round with the reference, transitions per time, the bias per
round (mdcv.plots.loop)."""

from mdcv.logs import setup
from mdcv.plots.loop import loop_figure

setup(snakemake.log[0])
loop_figure(snakemake.input.table, snakemake.input.profiles,
            [snakemake.output.png, snakemake.output.pdf])
