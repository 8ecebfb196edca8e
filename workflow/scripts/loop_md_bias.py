"""Rule loop_md_bias: F along the CV from the round's AWH run, and the fixed bias."""

from mdcv.logs import setup
from mdcv.loop import md

setup(snakemake.log[0])
inp, out = snakemake.input, snakemake.output
md.fixed_bias(inp.edr, inp.tpr, inp.span, out.xvg, out.pmf, out.bias, snakemake.log[0],
              snakemake.params.fit)
