"""Dihedral features of alanine dipeptide: sin and cos of a list of dihedrals, in torch.

A CV built on dihedrals can be handed to GROMACS as a pull coordinate of geometry
``transformation`` (:mod:`mdcv.md.pullcv`), which a CV of aligned Cartesian
coordinates cannot. Sine and cosine make the features continuous across ±180°.
:class:`DihedralFeatures` is a model's first layer (the ``pre`` of
:class:`mdcv.learn.models.EigenfunctionModel`): it maps Cartesian coordinates to the
features differentiably, so ∇f in the generator loss is still taken with respect to
the Cartesian coordinates, through the dihedral map.

Units: nm in; angles in radians (IUPAC sign convention, as GROMACS and mdtraj).
Atom indices are 0-based over the 22 solute atoms of :data:`mdcv.md.molecule.ATOMS`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from mdcv.errors import ConfigError, DataError
from mdcv.md import molecule

#: Proper dihedrals along the heavy-atom bonds of ACE-ALA-NME (0-based solute atoms).
NAMED = {
    "phi": (4, 6, 8, 14),        # C(ACE)-N-CA-C
    "psi": (6, 8, 14, 16),       # N-CA-C-N(NME)
    "omega1": (1, 4, 6, 8),      # CH3(ACE)-C-N-CA, first peptide bond
    "omega2": (8, 14, 16, 18),   # CA-C-N-CH3(NME), second peptide bond
    "phi_cb": (4, 6, 8, 10),     # C(ACE)-N-CA-CB
    "psi_cb": (10, 8, 14, 16),   # CB-CA-C-N(NME)
    "o1": (5, 4, 6, 8),          # O(ACE)-C-N-CA
    "o2": (15, 14, 16, 18),      # O-C-N-CH3(NME)
    "psi_o": (6, 8, 14, 15),     # N-CA-C-O
    "cb_o": (10, 8, 14, 15),     # CB-CA-C-O
}
#: The default list: φ, ψ, both peptide bonds and the two dihedrals through CB (the
#: four ``o`` dihedrals are nearly those of the planar peptide groups plus 180°).
DEFAULT = ("phi", "psi", "omega1", "omega2", "phi_cb", "psi_cb")
#: Learner input options (``features`` in the learners' schema; absent: cartesian).
FEATURES = ("cartesian", "dihedrals")


def resolve(dihedrals: Sequence | None = None) -> tuple[list[str], np.ndarray]:
    """Names and solute atom indices (m, 4) of a dihedral list.

    Each entry is a name of :data:`NAMED` or four 0-based solute atom indices; None
    gives :data:`DEFAULT`.
    """
    names, quads = [], []
    for entry in DEFAULT if dihedrals is None else dihedrals:
        if isinstance(entry, str):
            if entry not in NAMED:
                raise ConfigError(f"unknown dihedral {entry!r}; named ones: {sorted(NAMED)}, "
                                  "or give four 0-based atom indices")
            names.append(entry)
            quads.append(NAMED[entry])
            continue
        quad = [int(a) for a in entry]
        if len(quad) != 4 or len(set(quad)) != 4 or not all(0 <= a < len(molecule.ATOMS)
                                                              for a in quad):
            raise ConfigError(f"a dihedral needs four distinct atom indices in "
                              f"[0, {len(molecule.ATOMS)}), got {list(entry)!r}")
        names.append("-".join(map(str, quad)))
        quads.append(tuple(quad))
    if not quads:
        raise ConfigError("the dihedral list is empty; leave it out for the default "
                          f"{list(DEFAULT)}")
    return names, np.array(quads, dtype=np.int64)


def angles(xyz: torch.Tensor, quads: torch.Tensor) -> torch.Tensor:
    """Dihedrals (n, m) in radians, in (-π, π], of frames ``xyz`` (n, a, 3) nm.

    ``quads`` (m, 4) indexes the a atoms. IUPAC sign (GROMACS, mdtraj): looking along
    the central bond, clockwise rotation of the far bond is positive.
    """
    p = xyz[:, quads]  # (n, m, 4, 3)
    b1, b2, b3 = p[:, :, 1] - p[:, :, 0], p[:, :, 2] - p[:, :, 1], p[:, :, 3] - p[:, :, 2]
    n1, n2 = torch.cross(b1, b2, dim=-1), torch.cross(b2, b3, dim=-1)
    y = (torch.cross(n1, n2, dim=-1) * b2).sum(-1) / b2.norm(dim=-1)
    x = (n1 * n2).sum(-1)
    return torch.atan2(y, x)


class DihedralFeatures(nn.Module):
    """x (n, 3a) nm ↦ (sin θ_1, cos θ_1, …, sin θ_m, cos θ_m) (n, 2m).

    ``quads`` (m, 4): indices into the a atoms of the input; ``solute_quads`` the same
    dihedrals as solute atoms (the exporter's index groups); ``names`` label them.
    """

    def __init__(self, quads, n_atoms: int, names: Sequence[str], solute_quads=None):
        super().__init__()
        quads = torch.as_tensor(np.asarray(quads, dtype=np.int64))
        if quads.ndim != 2 or quads.shape[1] != 4 or int(quads.max()) >= n_atoms:
            raise DataError(f"dihedral atom indices must be (m, 4) below {n_atoms}, got "
                            f"{quads.tolist()}")
        self.n_atoms = int(n_atoms)
        self.names = list(names)
        self.out_dim = 2 * len(quads)
        self.register_buffer("quads", quads)
        solute = quads if solute_quads is None else np.asarray(solute_quads, dtype=np.int64)
        self.register_buffer("solute_quads", torch.as_tensor(solute))

    def angles(self, x: torch.Tensor) -> torch.Tensor:
        """Dihedrals (n, m) in radians."""
        return angles(x.reshape(x.shape[0], self.n_atoms, 3), self.quads)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        theta = self.angles(x)
        return torch.stack([torch.sin(theta), torch.cos(theta)], dim=-1).reshape(x.shape[0], -1)


def from_dataset(dataset, dihedrals: Sequence | None = None) -> DihedralFeatures:
    """A feature layer on the dataset's atoms (``atom_indices`` into the solute, else all 22)."""
    dim = dataset.dim
    if dim % 3:
        raise DataError(f"dihedral features need Cartesian coordinates (3 per atom); dataset "
                        f"has d = {dim}")
    names, solute = resolve(dihedrals)
    present = dataset.get("atom_indices")
    if present is None:
        if dim != 3 * len(molecule.ATOMS):
            raise DataError(f"dataset has {dim // 3} atoms and no 'atom_indices'; dihedral "
                            f"features need all {len(molecule.ATOMS)} solute atoms or the "
                            "indices of those present")
        present = np.arange(len(molecule.ATOMS))
    column = {int(a): i for i, a in enumerate(np.asarray(present))}
    missing = sorted({int(a) for a in solute.ravel()} - set(column))
    if missing:
        raise DataError(f"dihedral atoms {missing} are not in the dataset (atoms "
                        f"{sorted(column)}); featurize with md.features.atoms: all, or "
                        "choose heavy-atom dihedrals")
    quads = np.vectorize(column.get)(solute)
    return DihedralFeatures(quads, dim // 3, names, solute)


def check_settings(settings: dict, key: str = "learner", atoms: str = "all") -> None:
    """Check a learner's ``features`` and ``dihedrals`` before any job (``key`` names it).

    ``atoms``: the atom set of the MD datasets (``md.features.atoms``): with ``heavy`` a
    dihedral through a hydrogen has no coordinates to be computed from.
    """
    features = settings.get("features", "cartesian")
    if features not in FEATURES:
        raise ConfigError(f"{key}: features must be one of {list(FEATURES)}, got {features!r}")
    if features == "cartesian":
        if settings.get("dihedrals") is not None:
            raise ConfigError(f"{key}: 'dihedrals' lists the inputs of features: dihedrals; set "
                              "that or remove the list")
        return
    if settings.get("align", False) or settings.get("atoms", "all") != "all":
        raise ConfigError(f"{key}: features: dihedrals are invariant to rigid motions already; "
                          "remove align and atoms from this learner")
    try:
        names, quads = resolve(settings.get("dihedrals"))
    except ConfigError as exc:
        raise ConfigError(f"{key}: {exc}") from None
    if atoms == "heavy":
        light = sorted({int(a) for a in quads.ravel() if molecule.ATOMS[a][3] == "H"})
        if light:
            raise ConfigError(f"{key}: dihedrals {names} use hydrogen atoms {light}, but "
                              "md.features.atoms is heavy: choose heavy-atom dihedrals or "
                              "featurize all atoms")


def from_settings(dataset, settings: dict) -> DihedralFeatures | None:
    """The feature layer a learner's ``features`` setting asks for (None: cartesian)."""
    check_settings(settings)
    if settings.get("features", "cartesian") == "cartesian":
        return None
    return from_dataset(dataset, settings.get("dihedrals"))
