"""Rule alanine_reference_runs: many short unbiased runs (bd or sd) from biased frames."""

from mdcv.logs import setup
from mdcv.reference import runs as refruns

setup(snakemake.log[0])
inp, par = snakemake.input, snakemake.params
settings = {**par.settings, "threads": snakemake.threads}
refruns.make_runs(inp.biased, inp.xtc, inp.solute, inp.gro, inp.reference, inp.top, inp.index,
                  par.template_dir, settings, par.reference, par.dynamics, par.atoms, par.seed,
                  par.workdir, snakemake.output.runs)
