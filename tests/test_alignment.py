"""Differentiable Kabsch alignment, diffusion conventions on molecules, a tiny alanine run."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from mdcv.data import Dataset
from mdcv.errors import ConfigError
from mdcv.learn import alignment
from mdcv.learn.diffusion import coefficients
from mdcv.learn.learners import learner_class
from mdcv.learn.learners.base import train_and_save
from mdcv.learn.models import EigenfunctionModel, values_and_gradients
from mdcv.md import molecule

MASSES = np.array([{"H": 1.008, "C": 12.011, "N": 14.007, "O": 15.999}[a[3]] for a in molecule.ATOMS])


def random_rotations(n: int, gen: torch.Generator) -> torch.Tensor:
    q = torch.randn(n, 3, 3, generator=gen, dtype=torch.float64)
    rot, r = torch.linalg.qr(q)
    rot = rot * torch.sign(torch.diagonal(r, dim1=1, dim2=2))[:, None, :]
    det = torch.linalg.det(rot)
    rot[:, :, 0] *= det[:, None]  # proper rotations
    return rot


def synthetic_alanine(n: int = 600, seed: int = 0) -> Dataset:
    """Two conformers (C7eq, C7ax) of the built molecule plus noise: 22 atoms, d = 66."""
    rng = np.random.default_rng(seed)
    a = molecule.build_coordinates(-80.0, 75.0)
    b = molecule.build_coordinates(70.0, -70.0)
    pick = rng.random(n) < 0.3
    xyz = np.where(pick[:, None, None], b, a) + 0.01 * rng.standard_normal((n, 22, 3))
    ref = a - a.mean(0)
    w = np.where(pick, 0.5, 1.2)
    return Dataset(x=xyz.reshape(n, -1), w=w / w.mean(), t=np.arange(n, dtype=float),
                   traj=np.zeros(n, int),
                   extra={"masses": MASSES, "kT": np.float64(2.494), "ref": ref,
                          "phi": np.where(pick, 1.2, -1.4)})


def test_heavy_selection_has_ten_atoms():
    assert len(alignment.atom_selection("heavy", MASSES)) == 10
    assert len(alignment.atom_selection("all", MASSES)) == 22
    with pytest.raises(ConfigError, match="atoms must be one of"):
        alignment.atom_selection("backbone", MASSES)


@pytest.mark.parametrize("atoms, dim", [("all", 66), ("heavy", 30)])
def test_alignment_makes_the_cv_invariant_to_rigid_motions(atoms, dim):
    ds = synthetic_alanine(50)
    layer = alignment.from_dataset(ds, atoms).double()
    assert layer.out_dim == dim
    model = EigenfunctionModel(dim, 2, [16, 16], pre=layer).double()
    x = torch.as_tensor(ds.x, dtype=torch.float64)
    gen = torch.Generator().manual_seed(1)
    rot = random_rotations(len(x), gen)
    shift = torch.randn(len(x), 1, 3, generator=gen, dtype=torch.float64)
    moved = (x.reshape(-1, 22, 3) @ rot + shift).reshape(len(x), -1)
    torch.testing.assert_close(layer(moved), layer(x), atol=1e-9, rtol=0)
    torch.testing.assert_close(model(moved), model(x), atol=1e-9, rtol=0)
    # ∇f is w.r.t. the simulated coordinates: it has no component along rigid motions,
    # e.g. a translation of the whole molecule, and none on atoms outside the selection.
    _, grad = values_and_gradients(model, x)
    per_atom = grad.reshape(len(x), 2, 22, 3)
    torch.testing.assert_close(per_atom.sum(2), torch.zeros(len(x), 2, 3, dtype=torch.float64),
                               atol=1e-8, rtol=0)
    if atoms == "heavy":
        hydrogens = np.flatnonzero(MASSES < 1.5)
        assert per_atom[:, :, hydrogens].abs().max() == 0


def test_alignment_matches_the_numpy_kabsch_of_the_features():
    from mdcv.md.features import kabsch_align

    ds = synthetic_alanine(20)
    layer = alignment.from_dataset(ds, "all").double()
    ours = layer(torch.as_tensor(ds.x, dtype=torch.float64)).numpy().reshape(-1, 22, 3)
    theirs = kabsch_align(ds.x.reshape(-1, 22, 3), ds["ref"])
    np.testing.assert_allclose(ours, theirs - ds["ref"].mean(0), atol=1e-5)


def test_both_conventions_reduce_to_the_toy_formula_for_unit_masses():
    """uniform with D = k_BT/γ and mass_weighted with m = 1 amu both give D_i = 1/(βγ)."""
    kt, gamma = 2.494, 2.0  # kJ/mol, 1/ps
    ds = synthetic_alanine(10)
    ds.extra.update(masses=np.ones(22), kT=np.float64(kt), beta=np.float64(1.0 / kt))
    d_toy = np.full(66, kt / gamma) * 1000.0  # nm²/ns: (kJ/mol)/(amu/ps) = nm²/ps
    uniform, unit_u = coefficients(ds, {"diffusion": "uniform", "diffusion_constant": kt / gamma * 1000})
    weighted, unit_w = coefficients(ds, {"diffusion": "mass_weighted", "friction": gamma})
    beta_conv, _ = coefficients(ds, {"diffusion": "beta"})
    np.testing.assert_allclose(uniform, d_toy)
    np.testing.assert_allclose(weighted, d_toy)
    np.testing.assert_allclose(beta_conv * 1000.0 / gamma, d_toy)  # toy: D = 1/β at γ = 1
    assert unit_u == unit_w == "1/ns"


@pytest.mark.slow  # a tiny real run: seconds
@pytest.mark.parametrize("diffusion, atoms", [("uniform", "all"), ("mass_weighted", "heavy")])
def test_tiny_generator_run_on_a_22_atom_dataset(tmp_path, diffusion, atoms):
    ds = synthetic_alanine(400)
    settings = {
        "kind": "generator", "k": 2, "layers": [8, 8], "activation": "tanh", "architecture": "separate",
        "bounded_first": True, "deflation": True, "init": "random", "anneal_steps": 0, "alpha": 20.0,
        "readout": "galerkin", "galerkin_cells": 4, "galerkin_cells_rest": 2, "diffusion": diffusion,
        "diffusion_constant": 1.0, "friction": 1.0, "align": True, "atoms": atoms, "lr": 3e-3,
        "lr_final": 1e-3, "batch_size": 200, "steps": 30, "log_every": 10, "checkpoint_every": 30,
        "average_last": 10, "max_loss": 1e8, "device": "cpu", "threads": 1}
    readout = train_and_save(learner_class("generator"), ds, settings, tmp_path / "m",
                             tmp_path / "ck.pt", seed=3)
    table = pd.read_csv(tmp_path / "m" / "eigenvalues.csv")
    assert list(table["unit"]) == ["1/ns", "1/ns"]
    assert np.isfinite(table["eigenvalue"]).all() and (table["eigenvalue"] > 0).all()
    assert set(readout.readouts["readout"]) == {"rayleigh", "ritz", "galerkin"}
    scripted = torch.jit.load(str(tmp_path / "m" / "model.ts"))
    x = torch.as_tensor(ds.x[:5])
    gen = torch.Generator().manual_seed(0)
    moved = (x.reshape(-1, 22, 3).double() @ random_rotations(5, gen)).float().reshape(5, -1)
    torch.testing.assert_close(scripted(moved), scripted(x), atol=2e-4, rtol=1e-4)
