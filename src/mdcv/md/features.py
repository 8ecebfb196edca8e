"""Featurization of GROMACS trajectories with mdtraj: aligned solute coordinates, φ/ψ, weights.

Coordinates in nm, angles in radians, time in ps, energies in kJ/mol. The solute is
made whole across the periodic box, then every frame is Kabsch-aligned (rotation and
translation, no scaling) to a reference on the chosen atoms (``all`` or ``heavy``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np

from mdcv import data
from mdcv.errors import DataError
from mdcv.md import molecule

log = logging.getLogger(__name__)


def select_atoms(topology, atoms: str) -> np.ndarray:
    """Indices of the atoms in set ``atoms`` of an mdtraj topology (``all``, or ``heavy``:
    mass > 1.5 amu, as :func:`mdcv.md.molecule.atom_set` selects them everywhere)."""
    masses = [a.element.mass for a in topology.atoms]
    return molecule.atom_set(atoms, masses, "md.features.atoms")


def atom_labels(topology, indices) -> np.ndarray:
    """Fixed-width string labels such as ``ALA2-CA`` (no object dtype: npz-safe)."""
    return np.array([str(topology.atom(i)) for i in indices]).astype("U16")


def kabsch_align(xyz: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """Frames ``xyz`` (n, a, 3) rotated and translated onto ``ref`` (a, 3), least squares."""
    return align(xyz, ref, np.arange(np.asarray(ref).shape[0]))


def align(xyz: np.ndarray, ref: np.ndarray, fit: np.ndarray) -> np.ndarray:
    """All atoms of ``xyz`` (n, a, 3) moved by the Kabsch fit of atoms ``fit`` onto ``ref``.

    ``ref`` is (a, 3) over all atoms; only its ``fit`` rows enter the fit. Proper
    rotations only (no reflection); vectorized over frames.
    """
    xyz = np.asarray(xyz, dtype=np.float64)
    sub = xyz[:, fit]
    centre = sub.mean(axis=1, keepdims=True)
    ref_fit = np.asarray(ref, dtype=np.float64)[fit]
    ref_centre = ref_fit.mean(axis=0)
    h = np.einsum("nai,aj->nij", sub - centre, ref_fit - ref_centre)
    u, _, vt = np.linalg.svd(h)
    d = np.sign(np.linalg.det(np.einsum("nij,njk->nik", u, vt)))
    u[:, :, -1] *= d[:, None]
    rot = np.einsum("nij,njk->nik", u, vt)
    return np.einsum("nai,nij->naj", xyz - centre, rot) + ref_centre


def load_solute(xtc: str, topology_file: str):
    """A solute trajectory (mdtraj) made whole across the periodic box."""
    import mdtraj as md

    traj = md.load(str(xtc), top=str(topology_file))
    if traj.n_atoms != len(molecule.ATOMS):
        raise DataError(f"{xtc}: expected {len(molecule.ATOMS)} solute atoms, got {traj.n_atoms}")
    if traj.unitcell_vectors is not None:
        traj.make_molecules_whole(inplace=True)
    return traj


def dihedrals(traj) -> tuple[np.ndarray, np.ndarray]:
    """Backbone dihedrals φ (C-N-CA-C) and ψ (N-CA-C-N) in radians, each (n,).

    ``traj`` must hold whole molecules (:func:`load_solute` makes them whole), so the
    angles come from the raw coordinates: mdtraj's minimum-image path would give the
    same values at ~300 × the cost (24 ms per 1000-frame run, which adds up over the
    paper config's 13,000 shooting runs).
    """
    import mdtraj as md

    angles = md.compute_dihedrals(traj, np.array([molecule.PHI_ATOMS, molecule.PSI_ATOMS]),
                                  periodic=False)
    return angles[:, 0].astype(np.float64), angles[:, 1].astype(np.float64)


def reference_structure(gro: str, topology_file: str) -> np.ndarray:
    """Solute coordinates (22, 3) nm of ``gro`` (solute first), centred at the origin."""
    import mdtraj as md

    ref = md.load(str(gro)).atom_slice(np.arange(len(molecule.ATOMS)))
    ref.topology = md.load_topology(str(topology_file))
    ref.make_molecules_whole(inplace=True)
    xyz = ref.xyz[0].astype(np.float64)
    return xyz - xyz.mean(axis=0)


def featurize(xtcs: Sequence[str], topology_file: str, reference: np.ndarray, atoms: str,
              discard_ps: float = 0.0) -> dict:
    """Aligned coordinates and angles of one or more trajectories, frames in time order.

    Returns a dict with ``x`` (n, 3·n_sel) float32, ``t`` (ps), ``traj`` ids, ``phi``,
    ``psi`` (radians), ``atoms`` (labels), ``ref`` (n_sel, 3), ``masses`` (amu) and
    ``atom_indices`` (into the 22 solute atoms). Frames with t < ``discard_ps`` are
    dropped from each trajectory.
    """
    parts = []
    for i, xtc in enumerate(xtcs):
        traj = load_solute(xtc, topology_file)
        keep = traj.time >= discard_ps - 1e-9
        traj = traj[keep]
        if traj.n_frames == 0:
            raise DataError(f"{xtc}: no frame left after discarding the first {discard_ps} ps")
        parts.append((i, traj))
    top = parts[0][1].topology
    sel = select_atoms(top, atoms)
    xyz = np.concatenate([t.xyz for _, t in parts]).astype(np.float64)
    aligned = align(xyz, reference, sel)[:, sel]
    phi, psi = zip(*(dihedrals(t) for _, t in parts), strict=True)
    log.info("featurized %d frames of %d trajectories (%d atoms)", len(xyz), len(parts), len(sel))
    return {
        "x": aligned.reshape(len(aligned), -1).astype(np.float32),
        "t": np.concatenate([t.time for _, t in parts]).astype(np.float64),
        "traj": np.concatenate([np.full(t.n_frames, i) for i, t in parts]),
        "phi": np.concatenate(phi),
        "psi": np.concatenate(psi),
        "atoms": atom_labels(top, sel),
        "ref": reference[sel].astype(np.float32),
        "masses": np.array([top.atom(i).element.mass for i in sel]),
        "atom_indices": sel,
    }


def to_dataset(features: dict, kT: float, v_bias: np.ndarray | None = None,
               extra: dict | None = None) -> data.Dataset:
    """A :class:`mdcv.data.Dataset` with weights w ∝ exp(V_bias/kT) (ones without bias)."""
    n = len(features["x"])
    if v_bias is None:
        w = np.ones(n)
    else:
        w = data.log_weights_to_weights(np.asarray(v_bias) / kT)
    more = {k: v for k, v in features.items() if k not in ("x", "t", "traj")}
    more.update({"kT": np.float64(kT), "beta": np.float64(1.0 / kT)})
    if v_bias is not None:
        more["v_bias"] = np.asarray(v_bias, dtype=np.float64)
    more.update(extra or {})
    return data.Dataset(x=features["x"], w=w, t=features["t"], traj=features["traj"], extra=more)


def energy_terms(edr: str, names: Sequence[str]) -> dict[str, np.ndarray]:
    """Time (ps) and the named terms of a GROMACS energy file (pyedr)."""
    import pyedr

    terms = pyedr.edr_to_dict(str(edr))
    missing = [n for n in names if n not in terms]
    if missing:
        raise DataError(f"{edr}: energy term(s) {missing} not found; present: {sorted(terms)}")
    return {"Time": np.asarray(terms["Time"]), **{n: np.asarray(terms[n]) for n in names}}


def at_times(times: np.ndarray, source_times: np.ndarray, values: np.ndarray,
             source: str = "energy file") -> np.ndarray:
    """``values`` at ``times`` (ps), matched to ``source_times`` within 1e-3 ps."""
    idx = np.clip(np.searchsorted(source_times, times - 1e-3), 0, len(source_times) - 1)
    if not np.allclose(source_times[idx], times, atol=1e-3):
        raise DataError(f"{source}: frames at {times[~np.isclose(source_times[idx], times)][:3]}"
                        " ps have no energy frame; nstenergy must equal nstxout-compressed")
    return values[idx]


def check_bias(edr: str, times: np.ndarray, v_bias: np.ndarray, tolerance: float,
               logfile: str = "the rule's log") -> np.ndarray:
    """The CMAP energy GROMACS applied at each frame; raise if it differs from ``v_bias``.

    Compares the bias evaluated on the saved (φ, ψ) with the ``CMAP Dih.`` term of the
    energy file (kJ/mol); a difference above ``tolerance`` means the bias in the
    topology is not the one the weights assume.
    """
    terms = energy_terms(edr, ["CMAP Dih."])
    v_gmx = at_times(times, terms["Time"], terms["CMAP Dih."], str(edr))
    dev = np.abs(v_gmx - v_bias)
    log.info("bias check: max |V_bias(grid) - CMAP energy| = %.4g kJ/mol over %d frames "
             "(tolerance %.3g)", dev.max(), len(dev), tolerance)
    if dev.max() > tolerance:
        raise DataError(f"{edr}: the CMAP energy differs from the bias grid by up to "
                        f"{dev.max():.3g} kJ/mol (> {tolerance}); see {logfile}")
    return v_gmx
