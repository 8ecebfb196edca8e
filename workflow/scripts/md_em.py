"""Energy minimization of one system."""

from mdcv.logs import setup
from mdcv.md import simulate

setup(snakemake.log[0])
inp, out = snakemake.input, snakemake.output
settings = {**snakemake.params.settings, "threads": snakemake.threads}
simulate.minimize(settings, snakemake.params.template_dir, inp.gro, inp.top,
                  inp.index, out.tpr, snakemake.params.workdir, snakemake.log[0],
                  outputs={"gro": out.gro, "edr": out.edr, "log": out.md_log})
