"""The AWH PMF at half of each system's AWH run against the final one, |ΔF| in kT."""

from mdcv.logs import setup
from mdcv.md import convergence, mdp, pmf

setup(snakemake.log[0])
par = snakemake.params
rows = [convergence.halves_row(system, edr, tpr, workdir, snakemake.log[0], length_ps, par.bins,
                               mdp.kT(par.temperature), par.max_kJ_mol)
        for system, edr, tpr, workdir, length_ps in zip(
            par.systems, snakemake.input.edr, snakemake.input.tpr, par.workdirs, par.length_ps,
            strict=True)]
pmf.write_table(rows, snakemake.output.table)
