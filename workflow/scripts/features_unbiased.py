"""Unbiased dataset: aligned coordinates and φ/ψ of the unbiased runs, one id per run."""

from mdcv import data
from mdcv.logs import setup
from mdcv.md import features, mdp

setup(snakemake.log[0])
inp, par = snakemake.input, snakemake.params.features
ref = features.reference_structure(inp.reference, inp.solute)
feats = features.featurize(list(inp.xtc), inp.solute, ref, par["atoms"], par["discard_ps"])
data.save(features.to_dataset(feats, mdp.kT(par["temperature"])), snakemake.output.dataset)
