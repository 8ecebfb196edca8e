"""One dynamics stage of one system (equilibration, AWH or production), restartable."""

from mdcv.logs import setup
from mdcv.md import simulate

setup(snakemake.log[0])
inp, out, par = snakemake.input, snakemake.output, snakemake.params
settings = {**par.settings, "threads": snakemake.threads}
simulate.dynamics(settings, par.stage, par.length_ps, par.template_dir, inp.gro, inp.top,
                  inp.index, out.tpr, par.workdir, snakemake.log[0],
                  outputs={"gro": out.gro, "cpt": out.cpt, "edr": out.edr, "xtc": out.xtc,
                           "log": out.md_log},
                  checkpoint=inp.get("cpt"), run=par.run)
