"""System set-up: topology and box of alanine dipeptide in vacuum or water, index groups.

The solute always comes first in the coordinate file, so atom indices of the molecule
(:data:`mdcv.md.molecule.BACKBONE`) hold in both systems.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from mdcv.md import gromacs, molecule

log = logging.getLogger(__name__)

N_SOLUTE = len(molecule.ATOMS)
PULL_GROUPS = ("bb_C0", "bb_N", "bb_CA", "bb_C", "bb_N1")


def build_system(pdb, gro, top, logfile, settings: Mapping) -> None:
    """Topology ``top`` and coordinates ``gro`` of the system described by ``settings``.

    Uses ``forcefield``, ``water`` (model, ignored in vacuum), ``solvent``
    (``vacuum``: cubic box of edge ``box`` nm; ``water``: ``box_type`` with solute-wall
    distance ``box_distance`` nm, filled with water). ``top`` includes ``posre.itp``
    written beside it.
    """
    gro, top = Path(gro).resolve(), Path(top).resolve()
    work = top.parent
    work.mkdir(parents=True, exist_ok=True)
    water = settings["water"] if settings["solvent"] == "water" else "none"
    gromacs.pdb2gmx(pdb, "solute.gro", top.name, logfile, settings["forcefield"], water, cwd=work)
    if settings["solvent"] == "vacuum":
        edge = settings["box"]
        gromacs.editconf("solute.gro", gro.name, logfile, box=(edge, edge, edge), cwd=work)
    else:
        gromacs.editconf("solute.gro", "boxed.gro", logfile, distance=settings["box_distance"],
                         box_type=settings["box_type"], cwd=work)
        gromacs.solvate("boxed.gro", gro.name, top.name, logfile, cwd=work)
    if gro.parent != work:
        shutil.move(work / gro.name, gro)


def count_atoms(gro) -> int:
    """Number of atoms in a .gro file (its second line)."""
    with open(gro) as fh:
        fh.readline()
        return int(fh.readline())


def index_groups(n_atoms: int) -> dict[str, np.ndarray]:
    """Index groups (1-based atom numbers): System, Protein, Solvent and the pull groups."""
    groups = {"System": np.arange(1, n_atoms + 1), "Protein": np.arange(1, N_SOLUTE + 1)}
    if n_atoms > N_SOLUTE:
        groups["Solvent"] = np.arange(N_SOLUTE + 1, n_atoms + 1)
    for name, atom in zip(PULL_GROUPS, molecule.BACKBONE, strict=True):
        groups[name] = np.array([atom + 1])
    return groups


def write_index(path, n_atoms: int) -> Path:
    """Write the GROMACS index file of :func:`index_groups` (15 numbers a line)."""
    lines = []
    for name, atoms in index_groups(n_atoms).items():
        lines.append(f"[ {name} ]")
        lines += [" ".join(map(str, atoms[i:i + 15])) for i in range(0, len(atoms), 15)]
    path = Path(path)
    path.write_text("\n".join(lines) + "\n")
    return path


def write_solute_pdb(gro, pdb_in, pdb_out) -> Path:
    """The solute (first 22 atoms of ``gro``) as PDB, with the names and bonds of ``pdb_in``."""
    import mdtraj as md

    conf = md.load(str(gro))
    top = md.load_topology(str(pdb_in))
    traj = md.Trajectory(conf.xyz[:, :N_SOLUTE], top)
    traj.save_pdb(str(pdb_out))
    return Path(pdb_out)
