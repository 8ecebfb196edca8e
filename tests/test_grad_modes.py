"""Every grad_mode gives plain double backward's values, gradients and loss gradients."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from mdcv.data import Dataset
from mdcv.errors import ConfigError
from mdcv.learn import gradients
from mdcv.learn.learners import learner_class
from mdcv.learn.learners.base import train_and_save
from mdcv.learn.modeldir import ModelDir
from mdcv.learn.models import EigenfunctionModel, values_and_gradients
from mdcv.learn.train import fingerprint
from mdcv.md import molecule

MASSES = np.array([{"H": 1.008, "C": 12.011, "N": 14.007, "O": 15.999}[a[3]] for a in molecule.ATOMS])
MODES = ["forward_jacobian", "reverse_jacobian", "torch_func",
         pytest.param("compile", marks=pytest.mark.slow)]  # compiling takes ~1 min per model


def toy_dataset(n: int = 300, seed: int = 0) -> Dataset:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 2)) * [1.0, 0.5] + np.where(rng.random((n, 1)) < 0.4, -1.0, 1.0)
    w = rng.uniform(0.5, 1.5, n)
    return Dataset(x=x, w=w / w.mean(), t=np.arange(n, dtype=float), traj=np.zeros(n, int),
                   extra={"beta": np.float64(1.0)})


def alanine_dataset(n: int = 120, seed: int = 0) -> Dataset:
    """Two conformers of the built molecule plus noise, randomly rotated: 22 atoms, d = 66."""
    rng = np.random.default_rng(seed)
    a, b = molecule.build_coordinates(-80.0, 75.0), molecule.build_coordinates(70.0, -70.0)
    xyz = np.where(rng.random((n, 1, 1)) < 0.3, b, a) + 0.01 * rng.standard_normal((n, 22, 3))
    q, _ = np.linalg.qr(rng.normal(size=(n, 3, 3)))
    xyz = xyz @ (q * np.linalg.det(q)[:, None, None])  # proper rotations
    w = rng.uniform(0.5, 1.5, n)
    return Dataset(x=xyz.reshape(n, -1), w=w / w.mean(), t=np.arange(n, dtype=float),
                   traj=np.zeros(n, int),
                   extra={"masses": MASSES, "kT": np.float64(2.494), "ref": a - a.mean(0)})


SETTINGS = {
    "generator": {"kind": "generator", "k": 2, "layers": [12, 12], "activation": "tanh",
                  "architecture": "separate", "bounded_first": True, "deflation": True,
                  "alpha": 20.0, "readout": "ritz", "steps": 20, "batch_size": 64, "lr": 3e-3,
                  "lr_final": 3e-4, "log_every": 10, "checkpoint_every": 10, "average_last": 5,
                  "max_loss": 1e8, "init": "random", "galerkin_cells": 5,
                  "galerkin_cells_rest": 2, "diffusion": "beta"},
    "regularized_autoencoder": {"kind": "regularized_autoencoder", "k": 2, "encoder_layers": [12, 10],
                                "decoder_layers": [10], "activation": "softplus", "gamma1": 0.1,
                                "gamma2": 1.0, "alpha": 20.0, "diffusion": "beta", "steps": 20,
                                "batch_size": 64, "lr": 3e-3, "lr_final": 3e-4, "log_every": 10,
                                "checkpoint_every": 10, "average_last": 5, "max_loss": 1e8},
}
MOLECULE = {"align": True, "atoms": "heavy", "diffusion": "uniform", "diffusion_constant": 1.0}


def float64_learner(kind: str, system: str):
    """A learner of ``kind`` on a toy or an aligned molecular dataset, moved to float64."""
    settings = dict(SETTINGS[kind])
    if system == "molecule":
        settings.update(MOLECULE)
    ds = toy_dataset() if system == "toy" else alanine_dataset()
    torch.manual_seed(0)
    learner = learner_class(kind)(ds, settings, torch.device("cpu"))
    learner.model.double()
    for name in ("x", "w", "diffusion", "omega"):
        setattr(learner, name, getattr(learner, name).double())
    return learner


def loss_and_parameter_gradients(learner, idx):
    learner.model.zero_grad(set_to_none=True)
    loss = learner.batch_loss(idx)[0]
    loss.backward()
    return loss.detach(), {k: p.grad.clone() for k, p in learner.model.named_parameters()
                           if p.grad is not None}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("system", ["toy", "molecule"])
@pytest.mark.parametrize("kind", ["generator", "regularized_autoencoder"])
def test_mode_equals_double_backward_in_float64(kind, system, mode):
    learner = float64_learner(kind, system)
    model, x = learner.model, learner.x[:50]
    f0, g0 = values_and_gradients(model, x)
    f1, g1 = values_and_gradients(model, x, mode=mode)
    assert g1.shape == (50, learner.model.k, learner.dataset.dim)
    torch.testing.assert_close(f1, f0, rtol=0, atol=1e-8)
    torch.testing.assert_close(g1, g0, rtol=0, atol=1e-8)
    assert g0.abs().max() > 1e-3  # the gradients compared are not trivially zero

    idx = torch.arange(64)
    learner.grad_mode = "double_backward"
    loss0, grads0 = loss_and_parameter_gradients(learner, idx)
    learner.grad_mode = mode
    loss1, grads1 = loss_and_parameter_gradients(learner, idx)
    torch.testing.assert_close(loss1, loss0, rtol=1e-10, atol=1e-8)
    assert set(grads1) == set(grads0)
    for name in grads0:
        torch.testing.assert_close(grads1[name], grads0[name], rtol=0, atol=1e-8, msg=name)
    assert max(float(g.abs().max()) for g in grads0.values()) > 1e-3


@pytest.mark.parametrize("mode", ["forward_jacobian", "reverse_jacobian"])
@pytest.mark.parametrize("activation", sorted(["tanh", "softplus", "silu", "elu", "relu"]))
def test_explicit_jacobian_through_every_activation(activation, mode):
    torch.manual_seed(1)
    model = EigenfunctionModel(3, 2, [8, 8], activation, "shared", bounded_first=True).double()
    x = torch.randn(40, 3, dtype=torch.float64)
    model.calibrate(x, torch.ones(40, dtype=torch.float64))
    f0, g0 = values_and_gradients(model, x)
    f1, g1 = values_and_gradients(model, x, mode=mode)
    torch.testing.assert_close(f1, f0, rtol=0, atol=1e-12)
    torch.testing.assert_close(g1, g0, rtol=0, atol=1e-12)


def test_unknown_mode_is_named():
    settings = {**SETTINGS["generator"], "grad_mode": "finite_differences"}
    with pytest.raises(ConfigError, match="grad_mode must be one of .*forward_jacobian"):
        learner_class("generator")(toy_dataset(), settings, torch.device("cpu"))
    with pytest.raises(TypeError, match="needs a model with explicit_jacobian"):
        values_and_gradients(torch.nn.Linear(2, 2), torch.zeros(3, 2), mode="forward_jacobian")


def test_default_mode_keeps_checkpoints_valid():
    settings = SETTINGS["generator"]
    assert gradients.DEFAULT_MODE == "double_backward"
    assert (fingerprint({**settings, "grad_mode": "double_backward"}, 10, 0)
            == fingerprint(settings, 10, 0))
    assert fingerprint({**settings, "grad_mode": "forward_jacobian"}, 10, 0) != fingerprint(
        settings, 10, 0)


def test_run_json_records_device_and_mode(tmp_path):
    settings = {**SETTINGS["generator"], "grad_mode": "forward_jacobian"}
    train_and_save(learner_class("generator"), toy_dataset(), settings, tmp_path / "m",
                   tmp_path / "ckpt.pt", seed=3)
    run = ModelDir(tmp_path / "m").read_run()
    assert run["grad_mode"] == "forward_jacobian"
    assert run["device"] == "cpu"
    assert np.isfinite(ModelDir(tmp_path / "m").read_table("eigenvalues")["eigenvalue"]).all()
