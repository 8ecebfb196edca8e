"""Autoencoder and regularized autoencoder: losses, gradients, training contract."""

import numpy as np
import pandas as pd
import pytest
import torch

from mdcv.data import Dataset
from mdcv.learn.learners.autoencoder import AutoencoderLearner, RegularizedAutoencoderLearner
from mdcv.learn.learners.base import train_and_save
from mdcv.learn.losses import reconstruction_loss

BASE = {"k": 1, "encoder_layers": [16, 16], "decoder_layers": [16, 16], "activation": "tanh",
        "lr": 5e-3, "lr_final": 1e-3, "batch_size": 1000, "steps": 40, "log_every": 10,
        "checkpoint_every": 20, "average_last": 10, "max_loss": 1e8, "device": "cpu",
        "threads": 1, "dataset": "biased"}
REG = {**BASE, "kind": "regularized_autoencoder", "gamma1": 0.1, "gamma2": 1.0, "alpha": 20.0,
       "diffusion": "beta", "diffusion_constant": 1.0, "friction": 1.0}
PLAIN = {**BASE, "kind": "autoencoder"}


def ou_dataset(n=3000, a=1.0, b=4.0, seed=0, weights=False):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 2)) / np.sqrt([a, b])
    w = rng.uniform(0.5, 1.5, n) if weights else np.ones(n)
    return Dataset(x=x, w=w / w.mean(), t=np.zeros(n), traj=np.arange(n),
                   extra={"beta": np.float64(1.0)})


def grad_norms(module):
    return [0.0 if p.grad is None else float(p.grad.abs().sum()) for p in module.parameters()]


def test_reconstruction_loss_is_weighted():
    x = torch.tensor([[0.0, 0.0], [1.0, 0.0]])
    xh = torch.zeros(2, 2)
    assert float(reconstruction_loss(x, xh, torch.tensor([1.0, 1.0]))) == 0.5
    assert float(reconstruction_loss(x, xh, torch.tensor([1.0, 3.0]))) == 0.75


def test_gradients_flow_to_encoder_and_decoder():
    for settings, cls in ((PLAIN, AutoencoderLearner), (REG, RegularizedAutoencoderLearner)):
        learner = cls(ou_dataset(200), dict(settings), torch.device("cpu"))
        loss, _, _ = learner.batch_loss(torch.arange(200))
        loss.backward()
        assert all(g > 0 for g in grad_norms(learner.model.encoder))
        assert all(g > 0 for g in grad_norms(learner.model.decoder))


def test_gamma1_zero_keeps_reconstruction_out_of_the_encoder():
    learner = RegularizedAutoencoderLearner(ou_dataset(200), {**REG, "gamma1": 0.0, "gamma2": 0.0},
                                            torch.device("cpu"))
    loss, _, _ = learner.batch_loss(torch.arange(200))
    loss.backward()
    assert all(g == 0 for g in grad_norms(learner.model.encoder))
    assert all(g > 0 for g in grad_norms(learner.model.decoder))


@pytest.mark.slow  # over 5 s: left out of make test-fast
def test_regularizer_drives_the_cv_to_unit_variance_and_the_slow_direction(tmp_path):
    ds = ou_dataset(4000, weights=True)
    settings = {**REG, "gamma1": 0.0, "steps": 400, "batch_size": 2000, "lr": 1e-2,
                "lr_final": 2e-3}
    train_and_save(RegularizedAutoencoderLearner, ds, settings, tmp_path / "m",
                   tmp_path / "c.pt", seed=0)
    z = np.load(tmp_path / "m" / "cv.npz")["cv"][:, 0].astype(float)
    w = ds.w / ds.w.sum()
    var = (w * (z - (w * z).sum()) ** 2).sum()
    assert abs(var - 1.0) < 0.05
    corr = np.corrcoef(z, ds.x[:, 0])[0, 1]
    assert abs(corr) > 0.98  # the slowest OU eigenfunction is x (λ1 = 1 < 4)


@pytest.mark.slow  # a tiny real run: seconds
def test_autoencoder_learns_a_curve_and_writes_the_contract(tmp_path):
    rng = np.random.default_rng(1)
    s = rng.uniform(-1, 1, 3000)
    x = np.stack([s, s**2], 1) + 0.01 * rng.standard_normal((3000, 2))
    ds = Dataset(x=x, w=np.ones(3000), t=np.zeros(3000), traj=np.arange(3000))
    readout = train_and_save(AutoencoderLearner, ds, {**PLAIN, "steps": 600, "lr": 1e-2},
                             tmp_path / "m", tmp_path / "c.pt", seed=0)
    assert readout.info["reconstruction"] < 0.02 * x.var(0).sum()
    eig = pd.read_csv(tmp_path / "m" / "eigenvalues.csv")
    assert eig.empty and list(eig.columns) == ["index", "eigenvalue", "std", "timescale", "unit"]
    cv = np.load(tmp_path / "m" / "cv.npz")
    assert cv["cv"].shape == (3000, 1)
    assert cv["decoder_x"].shape == (len(cv["decoder_z"]), 2)
    ts = torch.jit.load(str(tmp_path / "m" / "model.ts"))
    assert ts(torch.zeros(5, 2)).shape == (5, 1)
