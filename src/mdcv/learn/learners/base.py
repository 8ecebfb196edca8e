"""The learner contract (:class:`BaseLearner`) and the model directory a trained learner writes."""

from __future__ import annotations

import abc
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import numpy as np
import pandas as pd
import torch

from mdcv.data import Dataset
from mdcv.learn.modeldir import ModelDir
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


class BaseLearner(abc.ABC):
    """The learner contract: everything :func:`mdcv.learn.train.fit` and
    :func:`train_and_save` use. To add a learner, subclass this and

    1. in ``__init__(dataset, settings, device)`` call ``super().__init__`` first, then set
       ``model`` (an ``nn.Module`` on ``device``, inputs (n, d) → CVs (n, k), calibrated);
       redefine ``n`` when minibatches index something other than frames (e.g. lagged
       pairs);
    2. implement :meth:`batch_loss` and :meth:`readout` (abstract);
    3. override the hooks whose default does not fit: :meth:`prepare` (default: nothing),
       :attr:`selects_model` with :meth:`validation_score` (default: no model selection),
       :meth:`hyperparameters`;
    4. register the class in :data:`mdcv.learn.learners.KINDS` and its settings in
       ``src/mdcv/schemas/learners.schema.yaml``.

    What fit reads: ``model``, ``n``, :attr:`n_train`, ``n_validation``, ``data_digest``
    (with ``n`` and the settings in the checkpoint's fingerprint). What fit sets:
    ``rng``, the loop's checkpointed CPU generator (draw training noise from it, so a
    resumed run repeats it), before :meth:`prepare`; ``step``, the 0-based step, before
    each :meth:`batch_loss`.

    Frames are ordered train, validation, hold-out: the first :attr:`n_train` train;
    ``n_validation`` (setting ``validation``, a fraction) choose the model; the last
    ``n_holdout`` (setting ``holdout``) give out-of-sample read-outs. Neither of the last
    two blocks trains.
    """

    #: True when :meth:`validation_score` is implemented: with ``validation`` > 0 and
    #: ``validate_every`` > 0, fit then scores the model and keeps the best one.
    selects_model: ClassVar[bool] = False
    #: The network being trained (set by the subclass's ``__init__``).
    model: torch.nn.Module
    #: How a loss that needs ∂f/∂x computes it (setting ``grad_mode``,
    #: :data:`mdcv.learn.gradients.GRAD_MODES`); None for losses without input gradients.
    #: Recorded in run.json.
    grad_mode: str | None = None

    def __init__(self, dataset: Dataset, settings: dict, device: torch.device):
        self.dataset = dataset
        self.settings = settings
        self.device = device
        self.x = torch.as_tensor(dataset.x, dtype=torch.float32, device=device)
        self.w = torch.as_tensor(dataset.w, dtype=torch.float32, device=device)
        #: Samples minibatch indices run over (frames unless a subclass redefines it).
        self.n = dataset.n
        self.n_holdout = block_frames(settings, "holdout", self.n)
        self.n_validation = block_frames(settings, "validation", self.n)
        if self.n_train < 2:
            raise ValueError(f"holdout {settings.get('holdout')} and validation "
                             f"{settings.get('validation')} leave {self.n_train} training samples; "
                             "lower them")
        #: Hash of the data, part of the checkpoint's fingerprint.
        self.data_digest = data_digest(dataset.x, dataset.w, dataset.traj)
        #: The current training step (set by fit before each batch_loss).
        self.step = 0
        #: Generator for training noise (replaced by fit's checkpointed one).
        self.rng = torch.Generator().manual_seed(0)

    @property
    def n_train(self) -> int:
        """Training samples: the first n - n_validation - n_holdout (``n`` may be redefined,
        e.g. pairs)."""
        return self.n - self.n_validation - self.n_holdout

    @abc.abstractmethod
    def batch_loss(self, idx: torch.Tensor) -> tuple[torch.Tensor, dict, torch.Tensor | None]:
        """Loss of the minibatch ``idx`` (indices into the first :attr:`n_train` samples).

        Returns the scalar loss to minimize (with its graph), the loss terms to log
        (name → float or 0-d tensor: history.csv columns, means over ``log_every`` steps)
        and the step's estimates (1D tensor, e.g. Rayleigh quotients: history.csv
        ``estimate_i`` and ``TrainingResult.step_estimates``) or None.
        """

    @abc.abstractmethod
    def readout(self, result: TrainingResult) -> Readout:
        """The trained model's numbers: eigenvalues, all read-outs, cv.npz arrays, run info."""

    def prepare(self, gen: torch.Generator) -> None:
        """Run once before the first step of a fresh run (not on resumption), e.g. a
        pre-training; draw random numbers from ``gen``. Default: nothing."""
        return None

    def validation_score(self) -> float:
        """Model-selection score of the current model on the validation frames (lower is
        better; not finite: training stops with an error). Only called when
        :attr:`selects_model` is True."""
        raise NotImplementedError(f"{type(self).__name__} has no validation score; set "
                                  "selects_model = True only with validation_score")

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
        """What model.pt stores beside the state dict: the settings and the input dimension."""
        return {"settings": self.settings, "dim": self.dataset.dim}


def train_and_save(learner_cls, dataset: Dataset, settings: dict, outdir: str | Path | ModelDir,
                   checkpoint: str | Path, seed: int) -> Readout:
    """Build, train and read out a learner; write the model directory contract.

    Files (:class:`mdcv.learn.modeldir.ModelDir`): model.pt (state dict +
    hyper-parameters), model.ts (TorchScript), history.csv, eigenvalues.csv,
    readouts.csv, cv.npz, run.json (device, grad_mode, wall time; the selected step with
    model selection) and, with model selection, validation.csv (step, score); which of them
    a job writes: :func:`mdcv.learn.modeldir.written`.
    """
    Path(outdir).mkdir(parents=True, exist_ok=True)
    threads = int(settings.get("threads") or 0)
    if threads > 0:
        torch.set_num_threads(threads)
    seed_everything(seed)
    device = pick_device(settings.get("device", "auto"))
    learner = learner_cls(dataset, settings, device)
    result = fit(learner, settings, checkpoint, seed)
    readout = learner.readout(result)
    info = {"device": result.device, "grad_mode": learner.grad_mode, "wall_s": result.wall_s,
            "resumed_from_step": result.resumed_from, "torch": torch.__version__,
            "threads": torch.get_num_threads(), **readout.info,
            **{k: v for k, v in result.extra.items() if k != "validation"}}
    md = save_model_dir(outdir, learner.model, dataset, learner.hyperparameters(),
                        result.history, readout, info, result.extra.get("validation"))
    log.info("wrote %s (device %s, %.1f s)", md.root, result.device, result.wall_s)
    return readout


def save_model_dir(outdir: str | Path | ModelDir, model: torch.nn.Module, dataset: Dataset,
                   hyperparameters: dict, history: pd.DataFrame, readout: Readout, info: dict,
                   validation: pd.DataFrame | None = None) -> ModelDir:
    """Write the model-directory contract (see :func:`train_and_save`) for a trained ``model``."""
    md = ModelDir(outdir)
    md.root.mkdir(parents=True, exist_ok=True)
    model = model.to("cpu").eval()
    torch.save({"state_dict": model.state_dict(), "class": type(model).__name__,
                "hyperparameters": hyperparameters}, md.model)
    export_torchscript(model, torch.as_tensor(dataset.x[:8], dtype=torch.float32), md.torchscript)
    md.write_table("history", history)
    if validation is not None:
        md.write_table("validation", validation)
    md.write_table("eigenvalues", readout.eigenvalues)
    md.write_table("readouts", readout.readouts)
    md.write_cv(readout.cv)
    md.write_run(info)
    return md
