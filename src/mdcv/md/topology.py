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

from mdcv.errors import ConfigError
from mdcv.md import gromacs, molecule

log = logging.getLogger(__name__)

N_SOLUTE = len(molecule.ATOMS)
PULL_GROUPS = ("bb_C0", "bb_N", "bb_CA", "bb_C", "bb_N1")
#: nm kept free beyond the cut-off conditions of :func:`check_box` (conformational
#: change of the solute, box fluctuations under pressure coupling).
BOX_MARGIN = 0.2


def build_system(pdb, gro, top, logfile, settings: Mapping) -> None:
    """Topology ``top`` and coordinates ``gro`` of the system described by ``settings``.

    Uses ``forcefield``, ``water`` (model, ignored in vacuum), ``solvent``
    (``vacuum``: cubic box of edge ``box`` nm; ``water``: ``box_type`` with solute-wall
    distance ``box_distance`` nm, filled with water), ``heavy_hydrogens`` (pdb2gmx
    -heavyh). The box is checked against ``cutoff`` (:func:`check_box`). ``top``
    includes ``posre.itp`` written beside it.
    """
    gro, top = Path(gro).resolve(), Path(top).resolve()
    work = top.parent
    work.mkdir(parents=True, exist_ok=True)
    water = settings["water"] if settings["solvent"] == "water" else "none"
    gromacs.pdb2gmx(pdb, "solute.gro", top.name, logfile, settings["forcefield"], water, cwd=work,
                    heavy_hydrogens=settings.get("heavy_hydrogens", False))
    if settings["solvent"] == "vacuum":
        edge = settings["box"]
        gromacs.editconf("solute.gro", gro.name, logfile, box=(edge, edge, edge), cwd=work)
    else:
        gromacs.editconf("solute.gro", "boxed.gro", logfile, distance=settings["box_distance"],
                         box_type=settings["box_type"], cwd=work)
        check_box(read_box(work / "boxed.gro"), solute_diameter(work / "solute.gro"),
                  settings["cutoff"], settings.get("name", "?"))
        gromacs.solvate("boxed.gro", gro.name, top.name, logfile, cwd=work)
    if gro.parent != work:
        shutil.move(work / gro.name, gro)


def read_box(gro) -> np.ndarray:
    """Box vectors (3, 3) in nm, one per row, from the last line of a .gro file."""
    numbers = [float(v) for v in Path(gro).read_text().splitlines()[-1].split()]
    box = np.zeros((3, 3))
    box[[0, 1, 2], [0, 1, 2]] = numbers[:3]
    if len(numbers) == 9:  # v1(y) v1(z) v2(x) v2(z) v3(x) v3(y)
        box[[0, 0, 1, 1, 2, 2], [1, 2, 0, 2, 0, 1]] = numbers[3:]
    return box


def solute_diameter(gro) -> float:
    """Largest distance (nm) between two atoms of the solute (first 22 atoms of ``gro``)."""
    lines = Path(gro).read_text().splitlines()[2:2 + N_SOLUTE]
    xyz = np.array([[float(line[20 + 8 * i:28 + 8 * i]) for i in range(3)] for line in lines])
    return float(np.linalg.norm(xyz[:, None] - xyz[None], axis=-1).max())


def shortest_image(box) -> float:
    """Length (nm) of the shortest nonzero lattice vector of a (triclinic) box."""
    shifts = np.stack(np.meshgrid(*[np.arange(-1, 2)] * 3, indexing="ij"), -1).reshape(-1, 3)
    lengths = np.linalg.norm(shifts[np.any(shifts != 0, axis=1)] @ np.asarray(box), axis=1)
    return float(lengths.min())


def check_box(box, diameter: float, cutoff: float, system: str = "?") -> None:
    """Refuse a periodic box too small for the cut-off (all lengths nm).

    The shortest image distance L must reach 2·cutoff (minimum image) and cutoff +
    ``diameter`` (no solute atom within the cut-off of its own image), each plus
    :data:`BOX_MARGIN`.
    """
    length = shortest_image(box)
    need = max(2.0 * cutoff, cutoff + diameter) + BOX_MARGIN
    if length < need:
        raise ConfigError(
            f"md.systems.{system}: the box's shortest periodic image distance is {length:.3f} nm,"
            f" below max(2 × cutoff, cutoff + solute diameter {diameter:.3f}) + {BOX_MARGIN}"
            f" = {need:.3f} nm for cutoff {cutoff} nm; raise box_distance (water) or box "
            f"(vacuum), or lower cutoff")


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
