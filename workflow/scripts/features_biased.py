"""Biased dataset: aligned coordinates, φ/ψ and weights exp(β V_bias), bias checked vs GROMACS.

V_bias per frame is the CMAP energy GROMACS applied (energy file, saved with every
frame); the bias grid evaluated at the frame's (φ, ψ) must agree within the tolerance.
"""

import numpy as np

from mdcv import data
from mdcv.logs import setup
from mdcv.md import bias, features, mdp

setup(snakemake.log[0])
inp, par = snakemake.input, snakemake.params.features
ref = features.reference_structure(inp.reference, inp.solute)
feats = features.featurize([inp.xtc], inp.solute, ref, par["atoms"], par["discard_ps"])
v_grid = bias.evaluate(np.load(inp.grid)["v"], feats["phi"], feats["psi"])
v_bias = features.check_bias(inp.edr, feats["t"], v_grid, par["tolerance"], snakemake.log[0])
data.save(features.to_dataset(feats, mdp.kT(par["temperature"]), v_bias,
                              extra={"v_bias_grid": v_grid}), snakemake.output.dataset)
