"""Differentiable Kabsch alignment: the first layer of a molecular CV model.

A molecule's CV must not change under rigid rotations and translations of the whole
molecule. The datasets already hold aligned coordinates (:mod:`mdcv.md.features`), but
the generator loss needs ∇f with respect to the *simulated* Cartesian coordinates:
the alignment has to be part of the model, so that autograd carries the derivative
of the rotation. :class:`KabschAlign` selects atoms (``all`` or ``heavy``), removes
their centroid and rotates them onto a fixed reference by the Kabsch (SVD) solution,
vectorized over frames and differentiable (proper rotations only, no reflection).

Units: nm in and out. Input (n, 3·a) over the a atoms of the dataset; output
(n, 3·m) over the m selected atoms, in the reference's frame (centred at the origin).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from mdcv.errors import ConfigError, DataError
from mdcv.md.molecule import atom_set


def atom_selection(atoms: str, masses=None, n_atoms: int | None = None) -> np.ndarray:
    """Indices of the atoms in set ``atoms`` (:func:`mdcv.md.molecule.atom_set`: ``all``,
    or ``heavy``: mass > 1.5 amu); without ``masses`` only ``all`` of ``n_atoms``."""
    if masses is None and atoms == "heavy":
        raise DataError("atoms 'heavy' needs the dataset's 'masses' (amu)")
    return atom_set(atoms, np.zeros(int(n_atoms)) if masses is None else masses)


class KabschAlign(nn.Module):
    """x (n, 3a) ↦ selected atoms, centred and rotated onto ``ref``, flattened (n, 3m).

    ``ref`` (m, 3) nm: reference positions of the selected atoms (centred here);
    ``select`` (m,) indices into the input's a atoms. The rotation R(x) minimizes
    Σ_j |R (x_j - x̄) - r_j|² and is differentiated through the SVD, so the output is
    invariant to rigid motions of the input and so is every CV built on it.
    """

    def __init__(self, ref, select, n_atoms: int):
        super().__init__()
        ref = torch.as_tensor(np.asarray(ref, dtype=np.float64), dtype=torch.float32)
        select = torch.as_tensor(np.asarray(select, dtype=np.int64))
        if ref.shape != (len(select), 3):
            raise DataError(f"reference has shape {tuple(ref.shape)}; expected ({len(select)}, 3)")
        if len(select) < 3:
            raise DataError(f"alignment needs at least 3 atoms, got {len(select)}")
        self.n_atoms = int(n_atoms)
        self.out_dim = 3 * len(select)
        self.register_buffer("ref", ref - ref.mean(0))
        self.register_buffer("select", select)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        xyz = x.reshape(x.shape[0], self.n_atoms, 3)[:, self.select]
        centred = xyz - xyz.mean(dim=1, keepdim=True)
        h = torch.einsum("nai,aj->nij", centred, self.ref)  # (n, 3, 3) covariance
        u, _, vt = torch.linalg.svd(h)
        d = torch.sign(torch.linalg.det(u @ vt))
        # Flip the last singular direction where the optimum would be a reflection.
        flip = torch.ones_like(u[:, 0, :])
        flip = torch.cat([flip[:, :2], d[:, None]], dim=1)
        rot = (u * flip[:, None, :]) @ vt  # row vectors: x_aligned = x_centred @ rot
        return (centred @ rot).reshape(x.shape[0], -1)


def from_dataset(dataset, atoms: str = "all", ref=None) -> KabschAlign:
    """An alignment layer for ``dataset`` (keys ``ref``, ``masses``) on atom set ``atoms``.

    The reference is the dataset's ``ref`` (the structure the frames were aligned to),
    else the weighted mean structure of the (already aligned) data.
    """
    dim = dataset.dim
    if dim % 3:
        raise DataError(f"alignment needs Cartesian coordinates (3 per atom); dataset has d = {dim}")
    n_atoms = dim // 3
    sel = atom_selection(atoms, dataset.get("masses"), n_atoms)
    if ref is None:
        ref = dataset.get("ref")
    if ref is None:
        xyz = dataset.x.reshape(dataset.n, n_atoms, 3).astype(np.float64)
        ref = np.average(xyz, axis=0, weights=dataset.w)
    ref = np.asarray(ref, dtype=np.float64).reshape(-1, 3)
    if len(ref) != n_atoms:
        raise DataError(f"dataset 'ref' has {len(ref)} atoms, x has {n_atoms}")
    return KabschAlign(ref[sel], sel, n_atoms)


def from_settings(dataset, settings: dict) -> KabschAlign | None:
    """The ``pre`` layer a learner's settings ask for: ``align`` (bool) and ``atoms``."""
    if not settings.get("align", False):
        if settings.get("atoms", "all") != "all":
            raise ConfigError("atoms 'heavy' selects atoms inside the alignment layer: set align: true")
        return None
    return from_dataset(dataset, settings.get("atoms", "all"))
