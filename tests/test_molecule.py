"""ACE-ALA-NME built from internal coordinates."""

import numpy as np
import pytest

from mdcv.md import molecule


def _dihedral(p):
    b0, b1, b2 = p[0] - p[1], p[2] - p[1], p[3] - p[2]
    b1 = b1 / np.linalg.norm(b1)
    v = b0 - b0 @ b1 * b1
    w = b2 - b2 @ b1 * b1
    return np.degrees(np.arctan2(np.cross(b1, v) @ w, v @ w))


@pytest.mark.parametrize(("phi", "psi"), [(-80.0, 75.0), (60.0, -60.0), (-150.0, 160.0)])
def test_backbone_dihedrals_are_the_requested_ones(phi, psi):
    xyz = molecule.build_coordinates(phi, psi)
    assert xyz.shape == (22, 3)
    assert _dihedral(xyz[list(molecule.PHI_ATOMS)]) == pytest.approx(phi, abs=1e-6)
    assert _dihedral(xyz[list(molecule.PSI_ATOMS)]) == pytest.approx(psi, abs=1e-6)


def test_geometry_is_sane_and_l_alanine():
    xyz = molecule.build_coordinates()
    d = np.linalg.norm(xyz[:, None] - xyz[None], axis=-1)
    np.fill_diagonal(d, np.inf)
    assert d.min() > 0.095  # nm: shortest is N-H 0.101
    ca, n, c, ha = xyz[8], xyz[6], xyz[14], xyz[9]
    # S configuration at CA (L-alanine): N -> C -> CB counter-clockwise seen against H.
    assert np.cross(n - ca, c - ca) @ (ha - ca) < 0


def test_pdb_has_amber_names_and_bonds(tmp_path):
    md = pytest.importorskip("mdtraj")
    path = molecule.write_pdb(tmp_path / "ala2.pdb")
    traj = md.load(str(path))
    assert traj.n_atoms == 22
    assert traj.topology.n_bonds == 21
    assert [r.name for r in traj.topology.residues] == ["ACE", "ALA", "NME"]
    text = path.read_text()
    for name in ("HH31", "CH3", "HB3", "CA"):
        assert f" {name} " in text
    phi = md.compute_dihedrals(traj, [molecule.PHI_ATOMS])[0, 0]
    assert np.degrees(phi) == pytest.approx(-80.0, abs=0.1)


def test_one_heavy_atom_set_for_features_and_alignment():
    """Featurization (mdtraj topology) and the CV's alignment (dataset masses) select the
    heavy atoms with the same mass test, which for alanine dipeptide picks exactly the
    10 atoms whose element is not hydrogen."""
    from mdcv.errors import ConfigError
    from mdcv.learn import alignment
    from mdcv.md import features

    by_element = [i for i, (_, _, _, element) in enumerate(molecule.ATOMS) if element != "H"]
    top = molecule.topology()
    masses = np.array([a.element.mass for a in top.atoms])  # as featurize stores them
    assert list(features.select_atoms(top, "heavy")) == by_element
    assert list(alignment.atom_selection("heavy", masses)) == by_element
    assert list(molecule.atom_set("heavy", masses)) == by_element and len(by_element) == 10
    assert list(molecule.atom_set("all", masses)) == list(range(22))
    with pytest.raises(ConfigError, match=r"md.features.atoms must be one of \['all', 'heavy'\]"):
        features.select_atoms(top, "backbone")
