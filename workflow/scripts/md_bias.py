"""CMAP bias grid V_bias = -c·min(F - min F, cap) from the (smoothed) AWH PMF, into the topology."""

import numpy as np

from mdcv.logs import setup
from mdcv.md import bias, pmf

setup(snakemake.log[0])
par = snakemake.params.bias
free = pmf.Pmf.load(snakemake.input.pmf)
grid = bias.bias_grid(free.phi, free.psi, free.f, par["grid"], par["fraction"], par["cap"],
                      smooth=np.radians(par["smooth_deg"]))
bias.write_biased_topology(snakemake.input.top, snakemake.output.top, grid)
np.savez(snakemake.output.grid, v=grid, axis=bias.grid_axis(par["grid"]))
