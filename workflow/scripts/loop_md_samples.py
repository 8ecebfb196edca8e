"""Rule loop_md_samples: the production's frames, reweighted, as the round's samples."""

from mdcv.logs import setup
from mdcv.loop import md
from mdcv.workflow.paths import model_dirs

setup(snakemake.log[0])
inp, out, par = snakemake.input, snakemake.output, snakemake.params.features
md.production_samples(inp.xtc, inp.edr, inp.solute, inp.reference, model_dirs([inp.model])[0],
                      inp.bias, par, par["ns_simulated"], out.samples, out.stats)
