"""Cross-fitting of a generator learner: K members on K folds, the CV their average.

With ``folds`` K > 1 the frames outside the held-out block (the last ``holdout``
fraction) are cut into K contiguous folds. Member j trains on the other K − 1 folds
and chooses its model on fold j (the validation score of
:class:`mdcv.learn.learners.generator.GeneratorLearner`; the fold's share replaces the
``validation`` setting), so every frame outside the held-out block takes part in
choosing a model, and no choice rests on one block alone. Members are independent
trainings (:func:`train_member`, one ``train_fold`` job each, with its own seed,
checkpoint and model directory under ``folds/<j>/``).

:func:`combine` then makes one CV of them. Each member's K functions are whitened by its
own Rayleigh–Ritz solve on its training frames (centred, unit variance, ordered by Ritz
value: u_j = (f_j − c_j) V_j), each u_j's signs are matched to member 0's on the frames
outside the held-out block, and the CV is their average (:class:`EnsembleModel`),
read out like any learner's model: in-sample on the frames outside the held-out block
(each member trained on (K − 1)/K of them) and out of sample on the held-out block,
which no member saw.

Why: on 1e5 alanine frames one network overfits the few hundred barrier frames it
trains on, with sharp steps of f1 between them, and a validation score on one 20 %
block often chooses a model after that began. Members trained on different frames put
their steps in different places, so their average is smooth where each is not
(README, "At the paper's sample size").
"""

from __future__ import annotations

import copy
import logging
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from torch import nn

from mdcv.data import Dataset, take
from mdcv.learn import spectral
from mdcv.learn.learners.base import EIGEN_COLUMNS, Readout, block_frames, save_model_dir, train_and_save
from mdcv.learn.modeldir import ModelDir
from mdcv.learn.models import evaluate_in_chunks
from mdcv.learn.train import TrainingResult, pick_device
from mdcv.stats import weighted_corr

log = logging.getLogger(__name__)

# Members whose whitened functions correlate less than this with member 0's (on the
# frames outside the held-out block) draw a warning: they learned something else.
MIN_AGREEMENT = 0.8


def n_holdout(settings: dict, n: int) -> int:
    """Frames in the held-out block (the last ones), as the learners count them."""
    return block_frames(settings, "holdout", n)


def fold_blocks(n: int, settings: dict) -> list[np.ndarray]:
    """The K contiguous folds of the frames before the held-out block (frame indices)."""
    folds = int(settings["folds"])
    pool = n - n_holdout(settings, n)
    if pool < 2 * folds:
        raise ValueError(f"folds {folds}: only {pool} frames outside the held-out block; "
                         "lower 'folds' or 'holdout'")
    return np.array_split(np.arange(pool), folds)


def fold_order(n: int, settings: dict, fold: int) -> np.ndarray:
    """Frame order of member ``fold``: its training frames, its fold, the held-out block.

    That is the order the learners expect (train, validation, hold-out), so a member
    is an ordinary learner on :func:`mdcv.data.take` of the dataset in this order.
    """
    blocks = fold_blocks(n, settings)
    if not 0 <= fold < len(blocks):
        raise ValueError(f"fold {fold} out of range: folds are 0..{len(blocks) - 1}")
    training = np.concatenate([b for j, b in enumerate(blocks) if j != fold])
    held_out = np.arange(n - n_holdout(settings, n), n)
    return np.concatenate([training, blocks[fold], held_out])


def member_settings(settings: dict, n: int, fold: int) -> dict:
    """A member's settings: no ``folds``, ``validation`` = its fold's share of the frames."""
    block = fold_blocks(n, settings)[fold]
    out = {k: v for k, v in settings.items() if k != "folds"}
    out["validation"] = len(block) / n
    return out


def train_member(learner_cls, dataset: Dataset, settings: dict, outdir: str | Path,
                 checkpoint: str | Path, seed: int, fold: int) -> Readout:
    """Train member ``fold`` and write its model directory (cv.npz in the dataset's frame order).

    Its read-outs (readouts.csv) are on its own blocks: in-sample on its training frames,
    ``-validation`` on its fold, ``-holdout`` on the held-out block.
    """
    order = fold_order(dataset.n, settings, fold)
    readout = train_and_save(learner_cls, take(dataset, order),
                             member_settings(settings, dataset.n, fold), outdir, checkpoint, seed)
    md = ModelDir(outdir)
    inverse = np.argsort(order)
    md.write_cv({k: np.asarray(v)[inverse] for k, v in readout.cv.items()})
    block = fold_blocks(dataset.n, settings)[fold]
    md.update_run(fold=fold, folds=int(settings["folds"]), seed=seed,
                  validation_frames=[int(block[0]), int(block[-1]) + 1])
    return readout


class EnsembleModel(nn.Module):
    """The average of K members' whitened, sign-matched functions.

    forward(x) = (1/K) Σ_j (f_j(x) − centre_j) @ mixing_j, with ``mixing_j`` (k, k) member
    j's Ritz vectors times its signs. Inputs (n, d) → CVs (n, k), like every model.
    """

    def __init__(self, members: list[nn.Module], centre: torch.Tensor, mixing: torch.Tensor):
        super().__init__()
        self.members = nn.ModuleList(members)
        self.k = int(centre.shape[1])
        self.register_buffer("centre", centre.clone())
        self.register_buffer("mixing", mixing.clone())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = [(member(x) - self.centre[j]) @ self.mixing[j] for j, member in enumerate(self.members)]
        return torch.stack(out).mean(0)


def combine(learner_cls, dataset: Dataset, settings: dict, member_dirs: list[str | Path],
            outdir: str | Path) -> Readout:
    """Average the members in ``member_dirs`` (fold order) into one CV; write its model directory.

    Files as :func:`mdcv.learn.learners.base.train_and_save` writes them; history.csv and
    validation.csv hold every member's rows with a ``fold`` column; run.json lists the
    members (chosen step, agreement with member 0); members.csv (with a held-out block)
    the held-out read-outs of each member, of all but each one, and of all
    (:func:`member_subsets`). The ``rayleigh`` read-out, which
    averages minibatch quotients over a run's last steps, has no meaning for an average
    of runs: it is the mean of the members' ones (std: their spread).
    """
    t0 = time.perf_counter()
    folds = int(settings["folds"])
    if len(member_dirs) != folds:
        raise ValueError(f"folds {folds} but {len(member_dirs)} member directories given")
    threads = int(settings.get("threads") or 0)
    if threads > 0:
        torch.set_num_threads(threads)
    device = pick_device(settings.get("device", "auto"))
    plain = {k: v for k, v in settings.items() if k != "folds"}
    plain["validation"] = 0.0
    learner = learner_cls(dataset, plain, device)
    members, centres, mixings, info = _whitened_members(learner, dataset, settings, member_dirs)
    learner.model = EnsembleModel(
        members, torch.as_tensor(np.array(centres), dtype=torch.float32, device=device),
        torch.as_tensor(np.array(mixings), dtype=torch.float32, device=device))
    history, validation = [], []
    for fold, member in enumerate(map(ModelDir, member_dirs)):
        history.append(member.read_table("history").assign(fold=fold))
        if member.validation.is_file():
            validation.append(member.read_table("validation").assign(fold=fold))
    result = TrainingResult(history=pd.concat(history, ignore_index=True),
                            step_estimates=np.empty((0, 0)), device=str(device), wall_s=0.0)
    readout = learner.readout(result)
    readout.readouts = pd.concat([_members_rayleigh(member_dirs), readout.readouts],
                                 ignore_index=True)
    readout.eigenvalues = readout.readouts.loc[readout.readouts["readout"] == settings["readout"],
                                               EIGEN_COLUMNS].reset_index(drop=True)
    run_info = {"device": str(device), "grad_mode": learner.grad_mode,
                "wall_s": time.perf_counter() - t0, "folds": folds,
                "members": info, "torch": torch.__version__, "threads": torch.get_num_threads(),
                **readout.info}
    md = save_model_dir(outdir, learner.model, dataset,
                        {"settings": settings, "dim": dataset.dim, "folds": folds},
                        result.history, readout, run_info,
                        pd.concat(validation, ignore_index=True) if validation else None)
    if learner.n_holdout:
        md.write_table("members", member_subsets(learner, dataset, members, centres, mixings))
    return readout


def _whitened_members(learner, dataset: Dataset, settings: dict, member_dirs: list) -> tuple:
    """Load the members into copies of ``learner``'s model; whiten and sign-match each.

    Returns the models, their centres (K, k) and mixings (K, k, k: Ritz vectors times
    signs) and per-member info (chosen step, training Ritz values, agreement).
    """
    device = next(learner.model.parameters()).device
    d = learner.diffusion.double().cpu().numpy()
    n, pool = dataset.n, learner.n_train  # the frames before the held-out block
    members, centres, mixings, whitened, info = [], [], [], [], []
    for fold, member in enumerate(map(ModelDir, member_dirs)):
        model = copy.deepcopy(learner.model)  # the members' architecture; weights loaded next
        model.load_state_dict(member.load_state(device)["state_dict"])
        model.eval()
        f, g = evaluate_in_chunks(model, learner.x[:pool])
        f, g = f.double().cpu().numpy(), g.double().cpu().numpy()
        train = fold_order(n, settings, fold)[: pool - len(fold_blocks(n, settings)[fold])]
        vals, vecs = spectral.ritz(f[train], g[train], dataset.w[train], d)
        centre = np.average(f[train], 0, dataset.w[train])
        u = (f - centre) @ vecs
        agreement = np.ones(u.shape[1]) if fold == 0 else weighted_corr(u, whitened[0],
                                                                        dataset.w[:pool])
        signs = np.where(agreement < 0, -1.0, 1.0)
        if np.any(np.abs(agreement) < MIN_AGREEMENT):
            log.warning("member %d's whitened functions correlate %s with member 0's: the "
                        "members learned different functions and their average mixes them "
                        "(train longer, or check each member's readouts.csv)",
                        fold, np.array2string(np.abs(agreement), precision=3))
        members.append(model)
        centres.append(centre)
        mixings.append(vecs * signs)
        whitened.append(u * signs)
        run = member.read_run()
        info.append({"fold": fold, "selected_step": run.get("selected_step"),
                     "wall_s": run.get("wall_s"), "training_ritz": vals.tolist(),
                     "agreement": np.abs(agreement).tolist()})
    return members, centres, mixings, info


def member_subsets(learner, dataset: Dataset, members: list, centres: list,
                   mixings: list) -> pd.DataFrame:
    """Held-out read-outs of the average of each member alone, of all but one, and of all.

    How much one member moves the CV: the whitened functions of a subset are averaged as
    :class:`EnsembleModel` averages all of them, and read out (ritz, galerkin, bootstrap
    stds) on the held-out block. Column ``members``: the folds averaged, e.g. ``0+2+3``.
    """
    d = learner.diffusion.double().cpu().numpy()
    held_out = slice(learner.n_train, dataset.n)
    w = dataset.w[held_out]
    u, gu = [], []
    for model, centre, mixing in zip(members, centres, mixings, strict=True):
        f, g = evaluate_in_chunks(model, learner.x[held_out])
        f, g = f.double().cpu().numpy(), g.double().cpu().numpy()
        u.append((f - centre) @ mixing)
        gu.append(np.einsum("nkd,kj->njd", g, mixing))
    k = len(members)
    subsets = [(j,) for j in range(k)]
    if k > 2:
        subsets += [tuple(i for i in range(k) if i != j) for j in range(k)]
    subsets.append(tuple(range(k)))
    tables = []
    for subset in subsets:
        f = np.mean([u[j] for j in subset], 0)
        g = np.mean([gu[j] for j in subset], 0)
        rows, _ = learner.spectral_rows(f, g, w, d, "-holdout")
        for table in rows:
            table.insert(0, "members", "+".join(map(str, subset)))
            tables.append(table)
    return pd.concat(tables, ignore_index=True)


def _members_rayleigh(member_dirs) -> pd.DataFrame:
    """The ``rayleigh`` rows of the members' readouts.csv: their mean, and their spread as std."""
    tables = [ModelDir(m).read_table("readouts") for m in member_dirs]
    rows = [t[t["readout"] == "rayleigh"].set_index("index") for t in tables]
    values = pd.concat([r["eigenvalue"] for r in rows], axis=1)
    out = pd.DataFrame({"readout": "rayleigh", "index": values.index,
                        "eigenvalue": values.mean(axis=1).to_numpy(),
                        "std": values.std(axis=1, ddof=0).to_numpy()})
    with np.errstate(divide="ignore"):
        out["timescale"] = np.where(out["eigenvalue"] > 0, 1.0 / out["eigenvalue"], np.inf)
    out["unit"] = rows[0]["unit"].to_numpy()
    return out.reset_index(drop=True)
