"""What every learner shares: settings, device, model directory output."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from mdcv.data import Dataset
from mdcv.learn.models import export_torchscript
from mdcv.learn.train import TrainingResult, data_digest, fit, make_optimizer, pick_device, seed_everything

log = logging.getLogger(__name__)


@dataclass
class Readout:
    """The numbers a trained learner reports.

    ``eigenvalues``: DataFrame with columns index, eigenvalue, std, timescale, unit
    (the default read-out; empty for learners without eigenvalues); ``readouts``:
    the same columns plus ``readout`` for every read-out computed; ``cv``: arrays for
    cv.npz (at least ``cv`` (n, k), the CV values on the training data).
    """

    eigenvalues: pd.DataFrame
    readouts: pd.DataFrame
    cv: dict
    info: dict = field(default_factory=dict)


# The columns of eigenvalues.csv (the model-directory contract).
EIGEN_COLUMNS = ["index", "eigenvalue", "std", "timescale", "unit"]


def eigen_table(values, stds, unit: str) -> pd.DataFrame:
    values = np.asarray(values, dtype=float)
    stds = np.asarray(stds, dtype=float)
    with np.errstate(divide="ignore"):
        timescale = np.where(values > 0, 1.0 / values, np.inf)
    return pd.DataFrame({"index": np.arange(1, len(values) + 1), "eigenvalue": values,
                         "std": stds, "timescale": timescale, "unit": unit})[EIGEN_COLUMNS]


def block_frames(settings: dict, key: str, n: int) -> int:
    """Frames in the ``holdout`` or ``validation`` block: that setting's fraction of n."""
    return int(round(float(settings.get(key) or 0.0) * n))


class BaseLearner:
    """Holds the dataset on the training device and writes the model directory."""

    def __init__(self, dataset: Dataset, settings: dict, device: torch.device):
        self.dataset = dataset
        self.settings = settings
        self.device = device
        self.x = torch.as_tensor(dataset.x, dtype=torch.float32, device=device)
        self.w = torch.as_tensor(dataset.w, dtype=torch.float32, device=device)
        self.n = dataset.n
        # Generator learners: frames [n_train, n_train + n_validation) choose the model
        # (``validation``), the last n_holdout frames give out-of-sample read-outs
        # (``holdout``); neither block trains, nor enters the spectral init.
        self.n_holdout = block_frames(settings, "holdout", self.n)
        self.n_validation = block_frames(settings, "validation", self.n)
        if self.n_train < 2:
            raise ValueError(f"holdout {settings.get('holdout')} and validation "
                             f"{settings.get('validation')} leave {self.n_train} training samples; "
                             "lower them")
        self.data_digest = data_digest(dataset.x, dataset.w, dataset.traj)
        self.model: torch.nn.Module

    @property
    def n_train(self) -> int:
        """Training samples: the first n - n_validation - n_holdout (``n`` may be redefined,
        e.g. pairs)."""
        return self.n - self.n_validation - self.n_holdout

    def batch_loss(self, idx: torch.Tensor):
        raise NotImplementedError

    def readout(self, result: TrainingResult) -> Readout:
        raise NotImplementedError

    def regress_on(self, sub: np.ndarray, target: np.ndarray, gen: torch.Generator) -> float:
        """Fit the model's outputs on the samples ``sub`` to ``target`` (len(sub), k).

        Each target column is first standardized with the weights (mean 0, variance 1,
        as the penalty wants), then the model is regressed on it, unweighted, for
        ``init_steps`` Adam steps at ``lr`` (with the run's ``weight_decay``). Returns the
        last mean squared error.
        """
        w = self.dataset.w[sub]
        mean = np.average(target, 0, w)
        target = (target - mean) / np.sqrt(np.average((target - mean) ** 2, 0, w))
        x = self.x[torch.as_tensor(sub, device=self.device)]
        y = torch.as_tensor(target, dtype=torch.float32, device=self.device)
        opt = make_optimizer(self.model.parameters(), self.settings)
        batch = min(len(sub), int(self.settings["batch_size"]))
        loss = torch.zeros(())
        for _ in range(int(self.settings["init_steps"])):
            idx = torch.randint(0, len(sub), (batch,), generator=gen).to(self.device)
            loss = ((self.model(x[idx]) - y[idx]) ** 2).mean()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        log.info("spectral initialization: regression loss %.3g after %d steps", loss.item(),
                 self.settings["init_steps"])
        return float(loss.item())

    def hyperparameters(self) -> dict:
        return {"settings": self.settings, "dim": self.dataset.dim}


def train_and_save(learner_cls, dataset: Dataset, settings: dict, outdir: str | Path,
                   checkpoint: str | Path, seed: int) -> Readout:
    """Build, train and read out a learner; write the model directory contract.

    Files: model.pt (state dict + hyper-parameters), model.ts (TorchScript),
    history.csv, eigenvalues.csv, readouts.csv, cv.npz, run.json (device, wall time;
    the selected step with model selection) and, with model selection, validation.csv
    (step, score).
    """
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    threads = int(settings.get("threads") or 0)
    if threads > 0:
        torch.set_num_threads(threads)
    seed_everything(seed)
    device = pick_device(settings.get("device", "auto"))
    learner = learner_cls(dataset, settings, device)
    result = fit(learner, settings, checkpoint, seed)
    readout = learner.readout(result)
    info = {"device": result.device, "wall_s": result.wall_s, "resumed_from_step": result.resumed_from,
            "torch": torch.__version__, "threads": torch.get_num_threads(), **readout.info,
            **{k: v for k, v in result.extra.items() if k != "validation"}}
    save_model_dir(outdir, learner.model, dataset, learner.hyperparameters(), result.history,
                   readout, info, result.extra.get("validation"))
    log.info("wrote %s (device %s, %.1f s)", outdir, result.device, result.wall_s)
    return readout


def save_model_dir(outdir: str | Path, model: torch.nn.Module, dataset: Dataset,
                   hyperparameters: dict, history: pd.DataFrame, readout: Readout, info: dict,
                   validation: pd.DataFrame | None = None) -> None:
    """Write the model-directory contract (see :func:`train_and_save`) for a trained ``model``."""
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    model = model.to("cpu").eval()
    torch.save({"state_dict": model.state_dict(), "class": type(model).__name__,
                "hyperparameters": hyperparameters}, outdir / "model.pt")
    export_torchscript(model, torch.as_tensor(dataset.x[:8], dtype=torch.float32),
                       outdir / "model.ts")
    history.to_csv(outdir / "history.csv", index=False)
    if validation is not None:
        validation.to_csv(outdir / "validation.csv", index=False)
    readout.eigenvalues.to_csv(outdir / "eigenvalues.csv", index=False)
    readout.readouts.to_csv(outdir / "readouts.csv", index=False)
    np.savez(outdir / "cv.npz", **readout.cv)
    (outdir / "run.json").write_text(json.dumps(info, indent=2, default=float))
