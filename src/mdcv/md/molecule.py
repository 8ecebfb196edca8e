"""Alanine dipeptide (ACE-ALA-NME, 22 atoms) built from internal coordinates.

The molecule is generated in code, nothing is downloaded: atoms are placed one at a
time from a bond length (nm), a bond angle and a dihedral (degrees) to three atoms
already placed (the natural extension reference frame, NeRF). Atom names and order
follow the AMBER residue templates of GROMACS (``aminoacids.rtp``), so the PDB goes
straight into ``gmx pdb2gmx`` without renaming.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from mdcv.errors import ConfigError

# (residue index, residue name, atom name, element) in the AMBER template order.
ATOMS = (
    (0, "ACE", "HH31", "H"), (0, "ACE", "CH3", "C"), (0, "ACE", "HH32", "H"),
    (0, "ACE", "HH33", "H"), (0, "ACE", "C", "C"), (0, "ACE", "O", "O"),
    (1, "ALA", "N", "N"), (1, "ALA", "H", "H"), (1, "ALA", "CA", "C"), (1, "ALA", "HA", "H"),
    (1, "ALA", "CB", "C"), (1, "ALA", "HB1", "H"), (1, "ALA", "HB2", "H"),
    (1, "ALA", "HB3", "H"), (1, "ALA", "C", "C"), (1, "ALA", "O", "O"),
    (2, "NME", "N", "N"), (2, "NME", "H", "H"), (2, "NME", "CH3", "C"),
    (2, "NME", "HH31", "H"), (2, "NME", "HH32", "H"), (2, "NME", "HH33", "H"),
)
#: 0-based indices of the backbone atoms C(ACE), N, CA, C, N(NME): φ = 0-1-2-3, ψ = 1-2-3-4.
BACKBONE = (4, 6, 8, 14, 16)
PHI_ATOMS = BACKBONE[:4]
PSI_ATOMS = BACKBONE[1:]
#: Atom sets that a featurization or a CV's alignment may use.
ATOM_SETS = ("all", "heavy")
#: Heavy atoms weigh more than this (amu): every atom but hydrogen (1.008 amu).
HEAVY_MASS = 1.5


def atom_set(atoms: str, masses, what: str = "atoms") -> np.ndarray:
    """Indices of the atoms in set ``atoms`` among atoms of ``masses`` (amu): ``all``,
    or ``heavy`` (mass > :data:`HEAVY_MASS`). ``what`` names the setting in errors."""
    if atoms not in ATOM_SETS:
        raise ConfigError(f"{what} must be one of {list(ATOM_SETS)}, got {atoms!r}")
    masses = np.asarray(masses, dtype=np.float64)
    if atoms == "all":
        return np.arange(len(masses))
    return np.flatnonzero(masses > HEAVY_MASS)


def _key(res: int, name: str) -> str:
    return f"{res}:{name}"


def _place(a: np.ndarray, b: np.ndarray, c: np.ndarray, bond: float, angle: float,
           dihedral: float) -> np.ndarray:
    """Position of d with |cd| = bond (nm), angle b-c-d and dihedral a-b-c-d (degrees)."""
    theta, chi = np.radians(angle), np.radians(dihedral)
    bc = (c - b) / np.linalg.norm(c - b)
    n = np.cross(b - a, bc)
    n /= np.linalg.norm(n)
    m = np.cross(n, bc)
    d_local = bond * np.array([-np.cos(theta), np.sin(theta) * np.cos(chi),
                               np.sin(theta) * np.sin(chi)])
    return c + d_local[0] * bc + d_local[1] * m + d_local[2] * n


def _zmatrix(phi: float, psi: float, omega: float) -> list[tuple]:
    """(atom, a, b, c, bond nm, angle deg, dihedral deg) in build order (after 3 seeds)."""
    ch, ca_, n1, ca, c1, n2, ch2 = ("0:CH3", "0:C", "1:N", "1:CA", "1:C", "2:N", "2:CH3")
    return [
        (ca, ch, ca_, n1, 0.146, 121.9, omega),
        (c1, ca_, n1, ca, 0.152, 110.1, phi),
        (n2, n1, ca, c1, 0.133, 116.6, psi),
        (ch2, ca, c1, n2, 0.146, 121.9, omega),
        ("0:O", ca, n1, ca_, 0.123, 122.9, 0.0),
        ("1:O", ch2, n2, c1, 0.123, 122.9, 0.0),
        ("1:H", "0:O", ca_, n1, 0.101, 119.8, 180.0),
        ("2:H", "1:O", c1, n2, 0.101, 119.8, 180.0),
        # L-alanine: CB and HA on the sides that give the S configuration at CA.
        ("1:CB", n1, c1, ca, 0.153, 110.1, 122.6),
        ("1:HA", n1, c1, ca, 0.109, 109.5, -117.9),
        *[(f"1:HB{i + 1}", n1, ca, "1:CB", 0.109, 109.5, 60.0 + 120.0 * i) for i in range(3)],
        *[(f"0:HH3{i + 1}", n1, ca_, ch, 0.109, 109.5, 120.0 * i) for i in range(3)],
        *[(f"2:HH3{i + 1}", c1, n2, ch2, 0.109, 109.5, 120.0 * i) for i in range(3)],
    ]


def build_coordinates(phi: float = -80.0, psi: float = 75.0, omega: float = 180.0) -> np.ndarray:
    """Coordinates (22, 3) in nm of ACE-ALA-NME with backbone dihedrals in degrees.

    The default (φ, ψ) = (-80°, 75°) is the C7eq basin; ω is both peptide bonds.
    """
    pos = {
        "0:CH3": np.zeros(3),
        "0:C": np.array([0.152, 0.0, 0.0]),
    }
    pos["1:N"] = _place(np.array([0.0, 1.0, 0.0]), pos["0:CH3"], pos["0:C"], 0.133, 116.6, 0.0)
    for name, a, b, c, bond, angle, dihedral in _zmatrix(phi, psi, omega):
        pos[name] = _place(pos[a], pos[b], pos[c], bond, angle, dihedral)
    xyz = np.array([pos[_key(res, name)] for res, _, name, _ in ATOMS])
    return xyz - xyz.mean(axis=0)


def topology():
    """The mdtraj Topology of ACE-ALA-NME (names, elements and standard bonds)."""
    import mdtraj as md

    top = md.Topology()
    chain = top.add_chain()
    residues = {}
    for res, resname, name, element in ATOMS:
        if res not in residues:
            residues[res] = top.add_residue(resname, chain, resSeq=res + 1)
        top.add_atom(name, md.element.get_by_symbol(element), residues[res])
    top.create_standard_bonds()
    return top


def write_pdb(path: str | Path, phi: float = -80.0, psi: float = 75.0) -> Path:
    """Write ACE-ALA-NME to a PDB file (coordinates from :func:`build_coordinates`)."""
    import mdtraj as md

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    traj = md.Trajectory(build_coordinates(phi, psi)[None], topology())
    traj.save_pdb(str(path))
    return path
