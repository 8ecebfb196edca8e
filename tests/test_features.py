"""Featurization: Kabsch alignment, atom sets, angles, weights, energy matching."""

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from mdcv import data
from mdcv.errors import ConfigError, DataError
from mdcv.md import features, molecule


def _random_poses(ref, n, seed=0):
    rng = np.random.default_rng(seed)
    rot = Rotation.random(n, random_state=seed).as_matrix()
    return np.einsum("aj,nij->nai", ref, rot) + rng.normal(scale=2.0, size=(n, 1, 3))


def test_kabsch_removes_rotation_and_translation():
    ref = molecule.build_coordinates()
    poses = _random_poses(ref, 7)
    np.testing.assert_allclose(features.kabsch_align(poses, ref), np.repeat(ref[None], 7, 0),
                               atol=1e-10)


def test_alignment_is_invariant_to_rigid_motions_of_the_input():
    ref = molecule.build_coordinates()
    rng = np.random.default_rng(1)
    noisy = ref + rng.normal(scale=0.02, size=(5, 22, 3))
    fit = np.arange(22)[::2]
    a = features.align(noisy, ref, fit)
    moved = np.einsum("nai,ij->naj", noisy, Rotation.random(random_state=3).as_matrix()) + 1.5
    np.testing.assert_allclose(features.align(moved, ref, fit), a, atol=1e-9)


def test_no_reflection():
    ref = molecule.build_coordinates()
    mirrored = ref * np.array([-1.0, 1.0, 1.0])
    out = features.kabsch_align(mirrored[None], ref)[0]
    # a proper rotation cannot superpose a chiral molecule on its mirror image
    assert np.abs(out - ref).max() > 0.05


def test_atom_sets():
    top = molecule.topology()
    assert len(features.select_atoms(top, "all")) == 22
    heavy = features.select_atoms(top, "heavy")
    assert len(heavy) == 10
    assert all(top.atom(i).element.symbol != "H" for i in heavy)
    labels = features.atom_labels(top, heavy)
    assert labels.dtype.kind == "U" and labels[0] == "ACE1-CH3"
    with pytest.raises(ConfigError, match="heavy"):
        features.select_atoms(top, "backbone")


@pytest.mark.parametrize("atoms", ["all", "heavy"])
def test_featurize_a_written_trajectory(tmp_path, atoms):
    md = pytest.importorskip("mdtraj")
    ref = molecule.build_coordinates()
    xyz = np.stack([molecule.build_coordinates(p, s) for p, s in [(-80, 75), (60, -60),
                                                                  (-150, 160), (179, 0)]])
    moved = _random_poses(ref, 4, seed=5)  # rigid motions of frame 0 only, for the box
    xyz = xyz - xyz.mean(axis=1, keepdims=True) + moved.mean(axis=1, keepdims=True) + 2.5
    top = molecule.topology()
    traj = md.Trajectory(xyz.astype(np.float32), top, time=np.arange(4) * 2.0,
                         unitcell_lengths=np.full((4, 3), 5.0),
                         unitcell_angles=np.full((4, 3), 90.0))
    traj.save_xtc(str(tmp_path / "t.xtc"))
    molecule.write_pdb(tmp_path / "solute.pdb")
    feats = features.featurize([str(tmp_path / "t.xtc")] * 2, str(tmp_path / "solute.pdb"),
                               ref, atoms, discard_ps=1.0)
    n_sel = 22 if atoms == "all" else 10
    assert feats["x"].shape == (6, 3 * n_sel) and feats["x"].dtype == np.float32
    np.testing.assert_array_equal(feats["traj"], [0, 0, 0, 1, 1, 1])
    np.testing.assert_allclose(feats["t"], [2, 4, 6, 2, 4, 6])
    np.testing.assert_allclose(np.degrees(feats["phi"][:3]), [60, -150, 179], atol=0.5)
    np.testing.assert_allclose(np.degrees(feats["psi"][:3]), [-60, 160, 0], atol=0.5)
    assert feats["ref"].shape == (n_sel, 3) and feats["masses"].shape == (n_sel,)
    ds = features.to_dataset(feats, kT=2.5, v_bias=np.linspace(-10, 0, 6))
    assert ds.w.mean() == pytest.approx(1.0)
    np.testing.assert_allclose(np.log(ds.w[1:] / ds.w[:-1]), 2.0 / 2.5)
    data.save(ds, tmp_path / "ds.npz")
    back = data.load(tmp_path / "ds.npz")
    assert back["atoms"].dtype.kind == "U"


def test_angles_of_a_molecule_split_by_the_periodic_box(tmp_path):
    """A solute wrapped across the box edge is made whole before its angles are taken."""
    md = pytest.importorskip("mdtraj")
    angles = [(-80, 75), (60, -60), (-150, 160)]
    xyz = np.stack([molecule.build_coordinates(p, s) for p, s in angles])
    xyz = xyz - xyz.mean(axis=1, keepdims=True)  # centred on a box corner: split 8 ways
    traj = md.Trajectory((xyz % 3.0).astype(np.float32), molecule.topology(),
                         time=np.arange(3) * 1.0, unitcell_lengths=np.full((3, 3), 3.0),
                         unitcell_angles=np.full((3, 3), 90.0))
    spans = np.ptp(traj.xyz, axis=1).max()
    assert spans > 2.0  # the saved frames are really split
    traj.save_xtc(str(tmp_path / "t.xtc"))
    molecule.write_pdb(tmp_path / "solute.pdb")
    phi, psi = features.dihedrals(features.load_solute(str(tmp_path / "t.xtc"),
                                                       str(tmp_path / "solute.pdb")))
    np.testing.assert_allclose(np.degrees(phi), [a for a, _ in angles], atol=1.5)
    np.testing.assert_allclose(np.degrees(psi), [b for _, b in angles], atol=1.5)  # xtc: 1e-3 nm


def test_energy_times_must_match_frames():
    src = np.array([0.0, 1.0, 2.0, 3.0])
    vals = np.array([10.0, 11.0, 12.0, 13.0])
    np.testing.assert_allclose(features.at_times(np.array([1.0, 3.0]), src, vals), [11, 13])
    with pytest.raises(DataError, match="nstenergy"):
        features.at_times(np.array([1.5]), src, vals)
