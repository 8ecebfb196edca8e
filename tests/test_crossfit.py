"""Cross-fitting (mdcv.learn.crossfit): folds, members, and their average."""

import json

import numpy as np
import pandas as pd
import pytest
import torch
from test_train import ou_dataset, settings

from mdcv.config import ConfigError, learner_settings
from mdcv.data import take
from mdcv.learn import crossfit
from mdcv.learn.learners import learner_class
from mdcv.learn.models import values_and_gradients

GENERATOR = learner_class("generator")


def test_folds_cut_the_frames_before_the_held_out_block():
    s = settings(folds=4, holdout=0.2, validation=0.3)
    blocks = crossfit.fold_blocks(1000, s)
    np.testing.assert_array_equal(np.concatenate(blocks), np.arange(800))
    assert [len(b) for b in blocks] == [200] * 4
    for fold in range(4):
        order = crossfit.fold_order(1000, s, fold)
        np.testing.assert_array_equal(np.sort(order), np.arange(1000))
        np.testing.assert_array_equal(order[600:800], blocks[fold])  # its validation block
        np.testing.assert_array_equal(order[800:], np.arange(800, 1000))  # held out, untouched
        member = crossfit.member_settings(s, 1000, fold)
        assert "folds" not in member
        learner = GENERATOR(take(ou_dataset(1000), order), member, torch.device("cpu"))
        assert (learner.n_train, learner.n_validation, learner.n_holdout) == (600, 200, 200)
    with pytest.raises(ValueError, match="fold 4 out of range"):
        crossfit.fold_order(1000, s, 4)
    with pytest.raises(ValueError, match="lower 'folds'"):
        crossfit.fold_blocks(10, settings(folds=8, holdout=0.5))


def test_folds_are_a_generator_setting_only():
    config = {"learners": {"tr": {"kind": "transfer", "lag": 1.0, "folds": 3}}}
    with pytest.raises(ConfigError, match="folds"):
        learner_settings(config, "sys", "tr")


def _negate_member(model_dir):
    """Flip the sign of every output of a saved member (its ``mix`` buffer)."""
    saved = torch.load(model_dir / "model.pt", weights_only=False)
    saved["state_dict"]["mix"] = -saved["state_dict"]["mix"]
    torch.save(saved, model_dir / "model.pt")


@pytest.mark.slow  # over 5 s: left out of make test-fast
def test_members_train_on_their_folds_and_average_to_one_cv(tmp_path):
    ds = ou_dataset(3000)
    s = settings(steps=800, folds=3, holdout=0.2, validate_every=200)
    dirs = [tmp_path / "folds" / str(j) for j in range(3)]
    for fold, member_dir in enumerate(dirs):
        crossfit.train_member(GENERATOR, ds, s, member_dir, tmp_path / f"ck{fold}.pt", seed=fold,
                              fold=fold)
        run = json.loads((member_dir / "run.json").read_text())
        assert run["fold"] == fold and run["validation_frames"] == [800 * fold, 800 * (fold + 1)]
        assert run["selected_step"] in (200, 400, 600, 800)
        # cv.npz is in the dataset's frame order, whatever order the member trained in
        member = torch.jit.load(str(member_dir / "model.ts"))
        cv = np.load(member_dir / "cv.npz")["cv"]
        np.testing.assert_allclose(cv, member(torch.as_tensor(ds.x)).detach().numpy(), atol=1e-5)

    readout = crossfit.combine(GENERATOR, ds, s, dirs, tmp_path / "model")
    out = tmp_path / "model"
    for name in ("model.pt", "model.ts", "history.csv", "eigenvalues.csv", "readouts.csv",
                 "cv.npz", "run.json", "validation.csv"):
        assert (out / name).stat().st_size > 0, name
    run = json.loads((out / "run.json").read_text())
    assert run["folds"] == 3 and [m["fold"] for m in run["members"]] == [0, 1, 2]
    assert set(pd.read_csv(out / "history.csv")["fold"]) == {0, 1, 2}
    # OU's eigenvalues (1, 1.5) on frames no member saw
    holdout = readout.readouts.query("readout == 'ritz-holdout'")["eigenvalue"].to_numpy()
    np.testing.assert_allclose(holdout, [1.0, 1.5], rtol=0.25)
    rayleigh = readout.readouts.query("readout == 'rayleigh'")
    members_rayleigh = [pd.read_csv(d / "readouts.csv").query("readout == 'rayleigh'")
                        for d in dirs]
    np.testing.assert_allclose(rayleigh["eigenvalue"],
                               np.mean([m["eigenvalue"] for m in members_rayleigh], 0))
    # members.csv: each member alone, all but each one, and all, read on the held-out block
    subsets = pd.read_csv(out / "members.csv", dtype={"members": str})
    assert list(dict.fromkeys(subsets["members"])) == ["0", "1", "2", "1+2", "0+2", "0+1", "0+1+2"]
    for fold, member_dir in enumerate(dirs):  # Ritz values do not see the whitening
        own = pd.read_csv(member_dir / "readouts.csv").query("readout == 'ritz-holdout'")
        alone = subsets.query(f"members == '{fold}' and readout == 'ritz-holdout'")
        np.testing.assert_allclose(alone["eigenvalue"], own["eigenvalue"], rtol=1e-3)
    for name in ("ritz-holdout", "galerkin-holdout"):  # all of them: the CV's own read-out
        np.testing.assert_allclose(
            subsets.query(f"members == '0+1+2' and readout == '{name}'")["eigenvalue"],
            readout.readouts.query(f"readout == '{name}'")["eigenvalue"], rtol=1e-3)
    # the average is whitened on the training frames: variance ≈ 1 where the members agree
    x = torch.as_tensor(ds.x[:2400])
    cv = torch.jit.load(str(out / "model.ts"))(x).detach().numpy()
    assert np.all(np.abs(cv.var(0) - 1.0) < 0.2)
    np.testing.assert_allclose(np.load(out / "cv.npz")["cv"], np.vstack(
        [cv, torch.jit.load(str(out / "model.ts"))(torch.as_tensor(ds.x[2400:])).detach().numpy()]),
        atol=1e-5)
    # gradients flow through the average (the generator read-outs need them)
    f, g = values_and_gradients(torch.jit.load(str(out / "model.ts")), x[:5])
    assert g.shape == (5, 2, 2) and torch.isfinite(g).all()

    # signs are matched to member 0: a member with flipped outputs gives the same CV
    _negate_member(dirs[1])
    crossfit.combine(GENERATOR, ds, s, dirs, tmp_path / "flipped")
    flipped = torch.jit.load(str(tmp_path / "flipped" / "model.ts"))(x).detach().numpy()
    np.testing.assert_allclose(flipped, cv, atol=1e-4)
    with pytest.raises(ValueError, match="folds 3 but 2 member"):
        crossfit.combine(GENERATOR, ds, s, dirs[:2], tmp_path / "bad")
