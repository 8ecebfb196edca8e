"""Rule alanine_shooting_runs: short BD runs from biased frames between the φ cores."""

from mdcv.logs import setup
from mdcv.reference import runs as refruns

setup(snakemake.log[0])
inp, par = snakemake.input, snakemake.params
settings = {**par.settings, "threads": snakemake.threads}
refruns.make_shooting_runs(inp.biased, inp.xtc, inp.solute, inp.gro, inp.top, inp.index,
                           par.template_dir, settings, par.reference, par.seed, par.workdir,
                           snakemake.output.shots)
