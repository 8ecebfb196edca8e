"""Dihedral features: the angles, ∇ through the map, the learner option ``features: dihedrals``."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from mdcv.config import learner_defaults
from mdcv.data import Dataset
from mdcv.errors import ConfigError, DataError
from mdcv.learn.learners import learner_class
from mdcv.learn.learners.base import train_and_save
from mdcv.learn.losses import generator_loss
from mdcv.learn.models import EigenfunctionModel, values_and_gradients
from mdcv.md import dihedrals, molecule

MASSES = np.array([{"H": 1.008, "C": 12.011, "N": 14.007, "O": 15.999}[a[3]]
                   for a in molecule.ATOMS])


def frames(n: int = 300, seed: int = 0, noise: float = 0.01) -> np.ndarray:
    """(n, 22, 3) nm: the built molecule at random (φ, ψ), plus Gaussian noise."""
    rng = np.random.default_rng(seed)
    angles = rng.uniform(-180.0, 180.0, (n, 2))
    xyz = np.stack([molecule.build_coordinates(p, s) for p, s in angles])
    return xyz + noise * rng.standard_normal(xyz.shape)


def dataset(n: int = 300, atoms: str = "all") -> Dataset:
    xyz = frames(n)
    keep = molecule.atom_set(atoms, MASSES)
    w = np.random.default_rng(1).uniform(0.5, 1.5, n)
    return Dataset(x=xyz[:, keep].reshape(n, -1), w=w / w.mean(), t=np.arange(n, dtype=float),
                   traj=np.zeros(n, int),
                   extra={"masses": MASSES[keep], "kT": np.float64(2.494), "atom_indices": keep})


def test_angles_match_the_built_molecule_and_mdtraj():
    exact = np.stack([molecule.build_coordinates(-80.0, 75.0), molecule.build_coordinates(60, -50)])
    names, quads = dihedrals.resolve(["phi", "psi"])
    theta = dihedrals.angles(torch.as_tensor(exact), torch.as_tensor(quads)).numpy()
    np.testing.assert_allclose(np.degrees(theta), [[-80.0, 75.0], [60.0, -50.0]], atol=1e-9)
    assert tuple(dihedrals.NAMED["phi"]) == molecule.PHI_ATOMS
    assert tuple(dihedrals.NAMED["psi"]) == molecule.PSI_ATOMS

    md = pytest.importorskip("mdtraj")
    xyz = frames(50)
    _, quads = dihedrals.resolve(sorted(dihedrals.NAMED))
    theirs = md.compute_dihedrals(md.Trajectory(xyz, None), quads, periodic=False)
    ours = dihedrals.angles(torch.as_tensor(xyz), torch.as_tensor(quads)).numpy()
    np.testing.assert_allclose(ours, theirs, atol=1e-5)


def test_features_are_sin_cos_invariant_to_rigid_motions_with_exact_gradients():
    ds = dataset(40)
    layer = dihedrals.from_dataset(ds).double()
    assert layer.out_dim == 2 * len(dihedrals.DEFAULT) == 12
    x = torch.as_tensor(ds.x, dtype=torch.float64)
    feats = layer(x)
    theta = layer.angles(x)
    torch.testing.assert_close(feats[:, 0::2], torch.sin(theta))
    torch.testing.assert_close(feats[:, 1::2], torch.cos(theta))
    q, _ = torch.linalg.qr(torch.randn(3, 3, dtype=torch.float64,
                                       generator=torch.Generator().manual_seed(2)))
    q = q * torch.sign(torch.linalg.det(q))  # a proper rotation
    moved = (x.reshape(-1, 22, 3) @ q + 0.7).reshape(len(x), -1)
    torch.testing.assert_close(layer(moved), feats, atol=1e-10, rtol=0)
    # ∇f w.r.t. the Cartesian coordinates, through the dihedral map, against central
    # differences; no component along a translation of the whole molecule.
    model = EigenfunctionModel(12, 2, [8], pre=layer).double()
    f, grad = values_and_gradients(model, x[:3])
    assert grad.shape == (3, 2, 66)
    h = 1e-6
    for j in (0, 13, 25, 40, 55):
        e = torch.zeros(66, dtype=torch.float64)
        e[j] = h
        fd = (model(x[:3] + e) - model(x[:3] - e)) / (2 * h)
        torch.testing.assert_close(grad[:, :, j], fd, atol=1e-6, rtol=1e-5)
    torch.testing.assert_close(grad.reshape(3, 2, 22, 3).sum(2),
                               torch.zeros(3, 2, 3, dtype=torch.float64), atol=1e-9, rtol=0)
    # Hydrogens carry no dihedral of the default list: no gradient on them.
    hydrogens = np.flatnonzero(MASSES < 1.5)
    assert grad.reshape(3, 2, 22, 3)[:, :, hydrogens].abs().max() == 0


def test_heavy_atom_datasets_map_the_dihedrals_to_their_columns():
    full, heavy = dataset(20), dataset(20, "heavy")
    assert heavy.dim == 30
    a = dihedrals.from_dataset(full).double()(torch.as_tensor(full.x, dtype=torch.float64))
    b = dihedrals.from_dataset(heavy).double()(torch.as_tensor(heavy.x, dtype=torch.float64))
    torch.testing.assert_close(a, b)
    with pytest.raises(DataError, match=r"dihedral atoms \[9\] are not in the dataset"):
        dihedrals.from_dataset(heavy, [(4, 6, 8, 9)])  # HA is a hydrogen


def test_bad_settings_name_the_problem():
    ds = dataset(10)
    with pytest.raises(ConfigError, match="unknown dihedral 'chi'"):
        dihedrals.from_settings(ds, {"features": "dihedrals", "dihedrals": ["phi", "chi"]})
    with pytest.raises(ConfigError, match="four distinct atom indices"):
        dihedrals.resolve([(1, 2, 3)])
    with pytest.raises(ConfigError, match="remove align and atoms"):
        dihedrals.from_settings(ds, {"features": "dihedrals", "align": True})
    with pytest.raises(ConfigError, match="features must be one of"):
        dihedrals.from_settings(ds, {"features": "internal"})
    assert dihedrals.from_settings(ds, {}) is None  # absent: Cartesian, today's models
    assert dihedrals.from_settings(ds, {"features": "dihedrals", "dihedrals": ["phi", [4, 6, 8, 10]]}
                                   ).names == ["phi", "4-6-8-10"]


def test_the_schema_takes_the_option_and_rejects_a_bad_one():
    import jsonschema

    from mdcv.config import learner_kind_schema

    validator = jsonschema.Draft202012Validator(learner_kind_schema("generator"))
    good = {"kind": "generator", "features": "dihedrals", "dihedrals": ["phi", [4, 6, 8, 10]]}
    assert not list(validator.iter_errors(good))
    assert not list(validator.iter_errors({"kind": "generator"}))  # absent: cartesian
    assert "features" not in learner_defaults("generator")  # no default: settings unchanged
    bad = [e.path[0] for e in validator.iter_errors({"kind": "generator", "features": "internal",
                                                     "dihedrals": [[4, 6, 8]]})]
    assert sorted(bad) == ["dihedrals", "features"]


@pytest.mark.slow  # a tiny real run: seconds
def test_generator_on_dihedrals_trains_with_the_unchanged_loss(tmp_path):
    ds = dataset(400)
    s = learner_defaults("generator")
    s.update(kind="generator", name="g", k=2, layers=[8, 8], steps=20, batch_size=200,
             log_every=10, checkpoint_every=20, average_last=10, galerkin_cells=4,
             galerkin_cells_rest=2, threads=1, device="cpu", diffusion="uniform",
             features="dihedrals")
    learner = learner_class("generator")(ds, s, torch.device("cpu"))
    assert isinstance(learner.model.pre, dihedrals.DihedralFeatures)
    idx = torch.arange(200)
    loss, _, rayleigh = learner.batch_loss(idx)
    # The same loss as on any model: generator_loss of ∇f w.r.t. the 66 Cartesian coordinates.
    f, grad = values_and_gradients(learner.model, learner.x[idx], create_graph=True)
    assert grad.shape == (200, 2, 66)
    expected, parts = generator_loss(f, grad, learner.w[idx], learner.diffusion, learner.omega,
                                     s["alpha"], s["deflation"])
    torch.testing.assert_close(loss, expected)
    torch.testing.assert_close(rayleigh, parts["rayleigh"].detach())
    train_and_save(learner_class("generator"), ds, s, tmp_path / "m", tmp_path / "ck.pt", seed=3)
    table = pd.read_csv(tmp_path / "m" / "eigenvalues.csv")
    assert np.isfinite(table["eigenvalue"]).all() and (table["eigenvalue"] > 0).all()
    scripted = torch.jit.load(str(tmp_path / "m" / "model.ts"))
    assert scripted(torch.as_tensor(ds.x[:5])).shape == (5, 2)


def test_the_config_check_catches_bad_dihedral_learners(root):
    import copy

    from mdcv.config import load
    from mdcv.config.checks import check

    base = load(base_dir=root)
    base["learners"]["gd"] = {"kind": "generator", "features": "dihedrals"}
    check(base, root)
    bad = {"align": ({"align": True}, "remove align and atoms"),
           "name": ({"dihedrals": ["phi", "chi"]}, "unknown dihedral 'chi'"),
           "list": ({"features": "cartesian", "dihedrals": ["phi"]}, "set that or remove")}
    for change, message in bad.values():
        cfg = copy.deepcopy(base)
        cfg["learners"]["gd"].update(change)
        with pytest.raises(ConfigError, match=f"learner 'gd' on system 'ala2-vacuum': .*{message}"):
            check(cfg, root)
    cfg = copy.deepcopy(base)
    cfg["md"]["features"]["atoms"] = "heavy"
    check(cfg, root)  # the default dihedrals are heavy-atom dihedrals
    cfg["learners"]["gd"]["dihedrals"] = [[4, 6, 8, 9]]
    with pytest.raises(ConfigError, match=r"hydrogen atoms \[9\], but md.features.atoms is heavy"):
        check(cfg, root)
    cfg = copy.deepcopy(base)
    cfg["toy"]["learners"].append("gd")
    with pytest.raises(ConfigError, match="on toy system .*needs a molecule"):
        check(cfg, root)
