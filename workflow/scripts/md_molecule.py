"""Write ACE-ALA-NME built from internal coordinates (PDB)."""

from mdcv import molecule
from mdcv.runlog import to_file

to_file(snakemake.log[0])
molecule.write_pdb(snakemake.output.pdb, *snakemake.params.dihedrals)
