"""The learner contract (mdcv.learn.learners.base.BaseLearner), checked on every kind."""

import numpy as np
import pytest
import torch

from mdcv.config import learner_defaults
from mdcv.data import Dataset
from mdcv.learn.learners import KINDS
from mdcv.learn.learners.base import BaseLearner, save_model_dir
from mdcv.learn.modeldir import SELECTING_KINDS, ModelDir, written
from mdcv.learn.train import fit

CPU = torch.device("cpu")


def trajectories(n_traj=4, length=250, seed=0):
    """OU-like frames in short trajectories (t, traj), β = 1: every kind can train on it."""
    rng = np.random.default_rng(seed)
    n = n_traj * length
    x = rng.normal(size=(n, 2)) / np.sqrt([1.0, 1.5])
    w = rng.uniform(0.5, 1.5, n)
    return Dataset(x=x, w=w / w.mean(), t=np.tile(np.arange(length) * 0.01, n_traj),
                   traj=np.repeat(np.arange(n_traj), length), extra={"beta": np.float64(1.0)})


def tiny(kind: str, **kw) -> dict:
    s = learner_defaults(kind)
    s.update(kind=kind, name=kind, steps=12, batch_size=64, log_every=5, checkpoint_every=5,
             average_last=5, threads=1, galerkin_cells=5, galerkin_cells_rest=2, lag=0.02,
             anneal_steps=0)
    for key in ("layers", "encoder_layers", "decoder_layers"):
        if key in s:
            s[key] = [8]
    s.update(kw)
    return s


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_kind_fits_saves_and_reloads_with_equal_outputs(kind, tmp_path):
    ds, s = trajectories(), tiny(kind)
    learner = KINDS[kind](ds, s, CPU)
    assert isinstance(learner, BaseLearner)
    result = fit(learner, s, tmp_path / "ck.pt", seed=1)
    assert learner.rng is not None and learner.step == s["steps"] - 1
    assert list(result.history["step"]) == [5, 10, 12]
    readout = learner.readout(result)
    md = save_model_dir(tmp_path / "m", learner.model, ds, learner.hyperparameters(),
                        result.history, readout, {"device": result.device})
    assert sorted(p.name for p in md.root.iterdir()) == sorted(
        md.files()[key].name for key in written(s))
    x = torch.as_tensor(ds.x[:50], dtype=torch.float32)
    with torch.no_grad():
        expected = learner.model(x)
        torch.testing.assert_close(md.load_torchscript()(x), expected, rtol=0, atol=0)
        fresh = KINDS[kind](ds, s, CPU)
        fresh.model.load_state_dict(md.load_state()["state_dict"])
        torch.testing.assert_close(fresh.model.eval()(x), expected, rtol=0, atol=0)
    cv = md.read_cv()["cv"]
    assert cv.shape == (ds.n, expected.shape[1])
    np.testing.assert_allclose(cv[:50], expected.numpy(), rtol=1e-5, atol=1e-5)
    assert list(md.read_table("history")["step"]) == [5, 10, 12]
    assert md.read_run() == {"device": "cpu"}


def test_the_base_cannot_be_built_without_its_abstract_parts():
    ds, s = trajectories(), tiny("generator")
    with pytest.raises(TypeError, match="abstract"):
        BaseLearner(ds, s, CPU)

    class LossOnly(BaseLearner):
        def batch_loss(self, idx):
            return torch.zeros(()), {}, None

    with pytest.raises(TypeError, match="readout"):
        LossOnly(ds, s, CPU)

    class Minimal(LossOnly):
        def readout(self, result):
            return None

    # The hooks' documented defaults: no preparation, no model selection.
    learner = Minimal(ds, s, CPU)
    assert learner.prepare(torch.Generator()) is None
    assert not learner.selects_model
    with pytest.raises(NotImplementedError, match="no validation score"):
        learner.validation_score()


def test_the_kinds_that_select_models_are_those_the_planning_layer_names():
    assert {k for k, cls in KINDS.items() if cls.selects_model} == set(SELECTING_KINDS)
    assert "validation" in written(tiny("generator", validation=0.2))
    assert "validation" not in written(tiny("generator"))
    assert "validation" not in written(tiny("transfer", validation=0.2))
    cross = tiny("generator", folds=3, holdout=0.2)
    assert written(cross)[-2:] == ("validation", "members")
    assert written(cross, member=True)[-1] == "validation"


def test_a_model_dir_names_reads_and_writes_its_files(tmp_path):
    md = ModelDir.of(tmp_path / "m" / "model.pt")
    assert md == ModelDir(tmp_path / "m") and md.fold(2).run == tmp_path / "m/folds/2/run.json"
    md.write_run({"a": 1})
    md.update_run(b=2)
    assert md.read_run() == {"a": 1, "b": 2}
    md.write_cv({"cv": np.ones((3, 1), dtype=np.float32)})
    assert md.read_cv()["cv"].shape == (3, 1)
    with pytest.raises(KeyError, match="not a table"):
        md.read_table("cv")
