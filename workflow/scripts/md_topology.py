"""Topology, box (and water) of one system; index groups; solute PDB for mdtraj."""

from mdcv.logs import setup
from mdcv.md import topology

setup(snakemake.log[0])
out = snakemake.output
topology.build_system(snakemake.input.pdb, out.gro, out.top, snakemake.log[0],
                      snakemake.params.settings)
topology.write_index(out.index, topology.count_atoms(out.gro))
topology.write_solute_pdb(out.gro, snakemake.input.pdb, out.solute)
