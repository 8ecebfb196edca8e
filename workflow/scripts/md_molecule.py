"""Write ACE-ALA-NME built from internal coordinates (PDB)."""

from mdcv.logs import setup
from mdcv.md import molecule

setup(snakemake.log[0])
molecule.write_pdb(snakemake.output.pdb, *snakemake.params.dihedrals)
