"""Rule loop_md_awh: AWH along the previous round's CV (mdcv.loop.md.awh_run)."""

from mdcv.logs import setup
from mdcv.loop import md
from mdcv.workflow.paths import model_dirs

setup(snakemake.log[0])
inp, out, par = snakemake.input, snakemake.output, snakemake.params
settings = {**par.settings, "threads": snakemake.threads}
md.awh_run(settings, par.template_dir, model_dirs([inp.model])[0], inp.samples, inp.gro,
           inp.top, inp.index, inp.cpt, int(snakemake.wildcards.next_round), settings["length_ps"],
           work={"tpr": out.tpr, "index": out.index, "workdir": par.workdir,
                 "log": snakemake.log[0], "range": out.span},
           outputs={"gro": out.gro, "cpt": out.cpt, "edr": out.edr, "log": out.md_log},
           layout=settings["layout"], margin=settings["margin"])
