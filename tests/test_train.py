import json

import numpy as np
import pandas as pd
import pytest
import torch

from mdcv.config import learner_defaults
from mdcv.data import Dataset
from mdcv.errors import TrainingDivergedError
from mdcv.learn.learners import learner_class
from mdcv.learn.learners.base import BaseLearner, train_and_save
from mdcv.learn.train import fingerprint, fit, make_optimizer, seed_everything


def ou_dataset(n=6000, a=1.0, b=1.5, seed=0):
    """Exact samples of OU with β = 1: λ = n·a + m·b, so λ1 = 1, λ2 = 1.5 here."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 2)) / np.sqrt([a, b])
    return Dataset(x=x, w=np.ones(n), t=np.arange(n, dtype=float), traj=np.zeros(n, dtype=int),
                   extra={"beta": np.float64(1.0)})


def settings(**kw):
    s = learner_defaults("generator")
    s.update(kind="generator", name="generator", steps=300, batch_size=1000, layers=[16, 16],
             lr=1e-2, lr_final=1e-3, log_every=50, checkpoint_every=100, average_last=50,
             anneal_steps=0, galerkin_cells=20, galerkin_cells_rest=5, threads=1)
    s.update(kw)
    return s


@pytest.mark.slow  # over 5 s: left out of make test-fast
def test_training_learns_ou_eigenvalues_and_writes_the_model_contract(tmp_path):
    out = tmp_path / "model"
    readout = train_and_save(learner_class("generator"), ou_dataset(), settings(steps=1000), out,
                             tmp_path / "ck.pt", seed=1)
    for name in ("model.pt", "model.ts", "history.csv", "eigenvalues.csv", "readouts.csv", "cv.npz",
                 "run.json"):
        assert (out / name).stat().st_size > 0, name
    eig = pd.read_csv(out / "eigenvalues.csv")
    assert list(eig.columns) == ["index", "eigenvalue", "std", "timescale", "unit"]
    ritz = readout.readouts.query("readout == 'ritz'")["eigenvalue"].to_numpy()
    np.testing.assert_allclose(ritz, [1.0, 1.5], rtol=0.1)
    ts = torch.jit.load(str(out / "model.ts"))
    assert ts(torch.zeros(3, 2)).shape == (3, 2)
    assert json.loads((out / "run.json").read_text())["device"] == "cpu"


@pytest.mark.slow  # a tiny real run: seconds
def test_training_resumes_from_its_checkpoint(tmp_path):
    ck = tmp_path / "ck.pt"
    ds = ou_dataset(2000)
    train_and_save(learner_class("generator"), ds, settings(steps=100), tmp_path / "a", ck, seed=1)
    # A longer run with the same checkpoint continues at step 100 instead of starting over.
    train_and_save(learner_class("generator"), ds, settings(steps=200), tmp_path / "b", ck, seed=1)
    info = json.loads((tmp_path / "b" / "run.json").read_text())
    assert info["resumed_from_step"] == 100
    hist = pd.read_csv(tmp_path / "b" / "history.csv")
    assert hist["step"].tolist() == [50, 100, 150, 200]


def test_divergence_stops_with_a_clear_message_and_keeps_the_checkpoint(tmp_path):
    ds = ou_dataset(2000)
    ck = tmp_path / "ck.pt"
    # Diverging after a checkpoint: the checkpoint stays and the message points to it.
    train_and_save(learner_class("generator"), ds, settings(steps=100), tmp_path / "m", ck, seed=1)
    saved = torch.load(ck, weights_only=False)["step"]
    with pytest.raises(TrainingDivergedError, match=r"diverged at step 100.*ck.pt \(step 100\)"):
        train_and_save(learner_class("generator"), ds, settings(steps=200, max_loss=1e-6),
                       tmp_path / "m", ck, seed=1)
    assert torch.load(ck, weights_only=False)["step"] == saved == 100
    bad = ou_dataset(2000)
    bad.x[5] = 1e30  # finite input that overflows float32 inside the network
    with pytest.raises(TrainingDivergedError):
        train_and_save(learner_class("generator"), bad, settings(steps=150), tmp_path / "n",
                       tmp_path / "ck2.pt", seed=1)


@pytest.mark.slow  # a tiny real run: seconds
def test_shared_architecture_and_rayleigh_readout(tmp_path):
    s = settings(architecture="shared", bounded_first=False, deflation=False, readout="rayleigh")
    readout = train_and_save(learner_class("generator"), ou_dataset(), s, tmp_path / "m",
                             tmp_path / "ck.pt", seed=2)
    assert (readout.eigenvalues["eigenvalue"].diff().dropna() >= 0).all()
    assert readout.eigenvalues["std"].ge(0).all()


def test_checkpoint_of_other_settings_is_not_resumed(tmp_path):
    ck = tmp_path / "ck.pt"
    ds = ou_dataset(2000)
    train_and_save(learner_class("generator"), ds, settings(steps=100), tmp_path / "a", ck, seed=1)
    train_and_save(learner_class("generator"), ds, settings(steps=100, alpha=3.0), tmp_path / "b",
                   ck, seed=1)
    assert json.loads((tmp_path / "b" / "run.json").read_text())["resumed_from_step"] == 0
    assert (tmp_path / "ck.stale.pt").exists()


def test_checkpoint_of_other_data_is_not_resumed(tmp_path):
    ck = tmp_path / "ck.pt"
    train_and_save(learner_class("generator"), ou_dataset(2000, seed=0), settings(steps=100),
                   tmp_path / "a", ck, seed=1)
    train_and_save(learner_class("generator"), ou_dataset(2000, seed=9), settings(steps=100),
                   tmp_path / "b", ck, seed=1)
    assert json.loads((tmp_path / "b" / "run.json").read_text())["resumed_from_step"] == 0


def test_checkpoint_past_the_steps_asked_for_is_not_resumed(tmp_path):
    ck = tmp_path / "ck.pt"
    train_and_save(learner_class("generator"), ou_dataset(2000), settings(steps=100),
                   tmp_path / "a", ck, seed=1)
    train_and_save(learner_class("generator"), ou_dataset(2000), settings(steps=50),
                   tmp_path / "b", ck, seed=1)
    run = json.loads((tmp_path / "b" / "run.json").read_text())
    assert run["resumed_from_step"] == 0 and len(pd.read_csv(tmp_path / "b" / "history.csv")) == 1


@pytest.mark.slow  # over 5 s: left out of make test-fast
def test_holdout_frames_never_touch_training_and_get_their_own_readouts(tmp_path):
    ds = ou_dataset(3000)
    other = ou_dataset(3000, seed=5)
    # the same first 2000 frames; the held-out last third differs
    mixed = Dataset(x=np.concatenate([ds.x[:2000], other.x[2000:]]), w=ds.w, t=ds.t,
                    traj=ds.traj, extra=ds.extra)
    s = settings(holdout=1 / 3, init="spectral", init_samples=500, init_steps=20)
    a = train_and_save(learner_class("generator"), ds, s, tmp_path / "a", tmp_path / "a.pt", seed=1)
    b = train_and_save(learner_class("generator"), mixed, s, tmp_path / "b", tmp_path / "b.pt", seed=1)
    ra, rb = a.readouts.set_index(["readout", "index"]), b.readouts.set_index(["readout", "index"])
    assert {"ritz-holdout", "galerkin-holdout"} <= set(ra.index.get_level_values(0))
    for readout in ("rayleigh", "ritz", "galerkin"):  # trained and read on the first 2000 only
        np.testing.assert_allclose(ra.loc[readout, "eigenvalue"], rb.loc[readout, "eigenvalue"])
    assert not np.allclose(ra.loc["ritz-holdout", "eigenvalue"], rb.loc["ritz-holdout", "eigenvalue"])
    np.testing.assert_allclose(ra.loc["ritz-holdout", "eigenvalue"], [1.0, 1.5], rtol=0.25)
    assert np.load(tmp_path / "a" / "cv.npz")["cv"].shape == (3000, 2)  # every frame
    with pytest.raises(ValueError, match="needs holdout"):
        learner_class("generator")(ds, settings(readout="ritz-holdout"), torch.device("cpu"))


class ScriptedLearner(BaseLearner):
    """A one-parameter model whose validation scores follow a script (lower is better)."""

    selects_model = True

    def __init__(self, scores):
        super().__init__(ou_dataset(100), {"validation": 0.2}, torch.device("cpu"))
        self.model = torch.nn.Linear(1, 1)
        self.scores = iter(scores)
        self.states = {}  # step of each validation -> the model's weight then

    def batch_loss(self, idx):
        loss = (self.model(torch.ones(len(idx), 1)) - 5.0).pow(2).mean()
        return loss, {}, None

    def readout(self, result):
        raise NotImplementedError

    def validation_score(self):
        self.states[len(self.states)] = self.model.weight.detach().clone()
        return next(self.scores)


def test_model_selection_restores_the_best_validated_model_and_stops_on_patience(tmp_path):
    s = settings(steps=1000, validate_every=10, patience=2, checkpoint_every=1000)
    learner = ScriptedLearner([3.0, 1.0, 2.0, 1.5, 0.5])
    assert (learner.n_train, learner.n_validation) == (80, 20)
    result = fit(learner, s, tmp_path / "ck.pt", seed=1)
    # scores 3, 1 (best, step 20), 2, 1.5: two without improvement, so it stops at step 40
    assert result.extra["selected_step"] == 20 and result.extra["stopped_at"] == 40
    assert list(result.extra["validation"]["score"]) == [3.0, 1.0, 2.0, 1.5]
    torch.testing.assert_close(learner.model.weight.detach(), learner.states[1])
    # a rerun finds the stopped run in its checkpoint: no more steps, the same model
    again = ScriptedLearner([9.0])
    result = fit(again, s, tmp_path / "ck.pt", seed=1)
    assert result.extra["selected_step"] == 20 and again.states == {}
    torch.testing.assert_close(again.model.weight.detach(), learner.states[1])


def test_validation_frames_choose_the_model_and_get_their_own_readouts(tmp_path):
    s = settings(steps=200, validation=0.2, holdout=0.2, validate_every=50)
    ds = ou_dataset(3000)
    learner = learner_class("generator")(ds, s, torch.device("cpu"))
    assert (learner.n_train, learner.n_validation, learner.n_holdout) == (1800, 600, 600)
    readout = train_and_save(learner_class("generator"), ds, s, tmp_path / "m", tmp_path / "ck.pt",
                             seed=1)
    run = json.loads((tmp_path / "m" / "run.json").read_text())
    scores = pd.read_csv(tmp_path / "m" / "validation.csv")
    assert list(scores["step"]) == [50, 100, 150, 200]
    assert run["selected_step"] == scores["step"][scores["score"].idxmin()]
    # the read-out model is the chosen one: its Ritz values on the validation frames give
    # the recorded best score Σ ω_i log λ_i
    ritz = readout.readouts.query("readout == 'ritz-validation'")["eigenvalue"].to_numpy()
    omega = learner.omega.numpy()
    assert np.dot(omega, np.log(ritz)) == pytest.approx(scores["score"].min(), rel=1e-4)
    assert {"galerkin-validation", "galerkin-holdout"} <= set(readout.readouts["readout"])
    # an OU process has linear eigenfunctions: their energy is spread over the frames
    frames = readout.readouts.query("readout == 'ritz-holdout'")["frames_effective"]
    assert (frames > 0.3 * learner.n_holdout).all() and (frames <= learner.n_holdout).all()
    with pytest.raises(ValueError, match="leave 1 training samples"):
        learner_class("generator")(ou_dataset(10), settings(validation=0.5, holdout=0.4),
                                   torch.device("cpu"))


@pytest.mark.slow  # over 5 s: left out of make test-fast
def test_input_noise_perturbs_training_batches_only_and_repeats_on_resumption(tmp_path):
    ds = ou_dataset(2000)
    idx = torch.arange(2000)
    clean = learner_class("generator")(ds, settings(), torch.device("cpu"))
    torch.testing.assert_close(clean.batch_inputs(idx), clean.x)  # input_noise 0: the frames
    noisy = learner_class("generator")(ds, settings(input_noise=0.05), torch.device("cpu"))
    delta = (noisy.batch_inputs(idx) - noisy.x).numpy()
    assert delta.std() == pytest.approx(0.05, rel=0.05) and abs(delta.mean()) < 0.005
    assert not torch.equal(noisy.batch_inputs(idx), noisy.batch_inputs(idx))  # fresh each step

    # A run that fails at step 130 and is rerun resumes from its step-100 checkpoint and
    # ends with the weights of the uninterrupted run: the noise comes from the checkpoint.
    s = settings(steps=200, input_noise=0.05, checkpoint_every=100)
    seed_everything(3)
    whole = learner_class("generator")(ds, s, torch.device("cpu"))
    fit(whole, s, tmp_path / "whole.pt", seed=3)
    seed_everything(3)
    failing = learner_class("generator")(ds, s, torch.device("cpu"))
    loss_of = failing.batch_loss

    def fail_at_130(i):
        if failing.step == 130:
            raise RuntimeError("node lost")
        return loss_of(i)

    failing.batch_loss = fail_at_130
    with pytest.raises(RuntimeError, match="node lost"):
        fit(failing, s, tmp_path / "cut.pt", seed=3)
    resumed = learner_class("generator")(ds, s, torch.device("cpu"))
    result = fit(resumed, s, tmp_path / "cut.pt", seed=3)
    assert result.resumed_from == 100
    for name, value in whole.model.state_dict().items():
        torch.testing.assert_close(resumed.model.state_dict()[name], value, msg=name)


def test_weight_decay_shrinks_the_weights_by_lr_times_decay_each_step():
    # A loss without gradient leaves Adam's update at zero, so only the decay acts:
    # after n steps at a constant lr every weight is w0 (1 - lr wd)^n.
    model = torch.nn.Linear(3, 2)
    w0 = model.weight.detach().clone()
    opt = make_optimizer(model.parameters(), {"lr": 0.1, "weight_decay": 0.5})
    assert isinstance(opt, torch.optim.AdamW)
    for _ in range(10):
        opt.zero_grad()
        (0.0 * model(torch.ones(1, 3)).sum()).backward()
        opt.step()
    np.testing.assert_allclose(model.weight.detach(), w0 * 0.95**10, rtol=1e-6)
    plain = make_optimizer(model.parameters(), {"lr": 0.1, "weight_decay": 0.0})
    assert type(plain) is torch.optim.Adam


def test_weight_decay_at_zero_keeps_old_checkpoints_valid():
    # Runs written before the setting existed resume; any decay > 0 starts over.
    old = {k: v for k, v in settings().items() if k != "weight_decay"}
    assert fingerprint(settings(weight_decay=0.0), 10, 1) == fingerprint(old, 10, 1)
    assert fingerprint(settings(weight_decay=0.01), 10, 1) != fingerprint(old, 10, 1)
