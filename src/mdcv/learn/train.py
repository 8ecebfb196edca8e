"""The training loop shared by every learner: minibatches, Adam, learning-rate decay,
history, checkpoints, model selection, divergence checks and device choice.

A learner (the contract: :class:`mdcv.learn.learners.base.BaseLearner`) supplies the model
and a ``batch_loss``; this module owns everything else, so a new loss gets
checkpoint/restart, NaN handling and logging for free. :class:`Trainer` splits a run
into its parts: resume, step (and record), validate, checkpoint. Checkpoints live outside
the rule's declared outputs (Snakemake deletes those on failure), so a killed or failed
run resumes where it stopped.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import torch

from mdcv.errors import TrainingDivergedError

if TYPE_CHECKING:
    from mdcv.learn.learners.base import BaseLearner

log = logging.getLogger(__name__)


def pick_device(setting: str = "auto") -> torch.device:
    """CUDA when requested or available (``auto``), CPU otherwise."""
    if setting == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("device 'cuda' requested but torch sees no CUDA device; use 'auto' or 'cpu'")
    if setting == "cpu" or not torch.cuda.is_available():
        return torch.device("cpu")
    return torch.device("cuda")


def seed_everything(seed: int) -> None:
    """Seed numpy's global RNG and torch (CPU and CUDA)."""
    np.random.seed(seed % 2**32)  # noqa: NPY002  (code that uses the global RNG)
    torch.manual_seed(seed)


@dataclass
class TrainingResult:
    """What a finished training run hands to the learner's read-out."""

    history: pd.DataFrame
    step_estimates: np.ndarray  # (steps, m) per-step estimates the learner reported
    device: str
    wall_s: float
    resumed_from: int = 0
    extra: dict = field(default_factory=dict)


# Settings that may change between a run and its resumption without invalidating it.
RESUMABLE_CHANGES = {"steps", "threads", "device", "log_every", "checkpoint_every", "average_last",
                     "readout", "galerkin_cells", "galerkin_cells_rest", "max_loss", "name",
                     "holdout_block", "holdout_draws", "holdout_level"}


def data_digest(*arrays) -> str:
    """Hash of ~1000 evenly spaced rows of each array (cheap, catches regenerated data)."""
    h = hashlib.sha256()
    for a in arrays:
        a = np.ascontiguousarray(np.asarray(a)[:: max(1, len(a) // 1000)])
        h.update(str(a.shape).encode())
        h.update(a.tobytes())
    return h.hexdigest()[:16]


# Settings added after checkpoints existed, with the value that reproduces the old runs:
# left out of the fingerprint at that value, so those checkpoints stay valid.
# (input_noise is not listed: checkpoints since it was added carry input_noise 0.0.)
NEUTRAL_SETTINGS = {"weight_decay": 0.0, "grad_mode": "double_backward"}


def fingerprint(settings: dict, n: int, seed: int, data: str = "") -> str:
    """Hash of what a checkpoint depends on: settings (less RESUMABLE_CHANGES and
    NEUTRAL_SETTINGS at their neutral value), data, seed."""
    core = {k: v for k, v in settings.items() if k not in RESUMABLE_CHANGES
            and not (k in NEUTRAL_SETTINGS and v == NEUTRAL_SETTINGS[k])}
    blob = json.dumps([core, n, seed, data], sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def make_optimizer(params, settings: dict) -> torch.optim.Optimizer:
    """Adam at ``lr``; AdamW with decoupled ``weight_decay`` (per step, × the learning
    rate: w ← w (1 − lr·wd) before the Adam update) when that setting is > 0."""
    wd = float(settings.get("weight_decay") or 0.0)
    if wd > 0:
        return torch.optim.AdamW(params, lr=settings["lr"], weight_decay=wd)
    return torch.optim.Adam(params, lr=settings["lr"])


def _lr_factor(step: int, steps: int, lr: float, lr_final: float) -> float:
    """Exponential decay from lr (step 0) to lr_final (last step), as a factor of lr."""
    if steps <= 1:
        return 1.0
    return (lr_final / lr) ** (step / (steps - 1))


def fit(learner: BaseLearner, settings: dict, checkpoint: str | Path, seed: int) -> TrainingResult:
    """Train ``learner.model`` by minimizing ``learner.batch_loss`` over minibatches.

    What the learner provides and what the loop sets on it is the contract of
    :class:`mdcv.learn.learners.base.BaseLearner`. Minibatches of ``batch_size`` indices
    are drawn from the first ``n_train`` samples with the loop's CPU generator (seeded
    with ``seed``), which the checkpoint keeps: random numbers a learner draws from it
    (``learner.rng``) repeat exactly on resumption. ``prepare`` runs once before the first
    step of a fresh (not resumed) run. Checkpoints go to ``checkpoint`` every
    ``checkpoint_every`` steps, at the last step and when training stops early; on
    divergence the last good one is kept.

    Model selection: when the learner selects models (``selects_model``), has
    ``n_validation`` > 0 frames and ``validate_every`` > 0, its ``validation_score()``
    (lower is better) is computed every ``validate_every`` steps and at the last step, and
    the best model is restored at the end; with ``patience`` p > 0 training stops after p
    scores without improvement. The scores, the chosen step and the stopping step are in
    ``TrainingResult.extra``.
    """
    return Trainer(learner, settings, checkpoint, seed).run()


@dataclass
class LoopState:
    """Everything of a run that a checkpoint keeps besides the torch objects."""

    history: list[dict] = field(default_factory=list)  # one row per logged step
    estimates: list[np.ndarray] = field(default_factory=list)  # per-step estimates
    step: int = 0  # steps done
    best: dict | None = None  # step, score and a CPU copy of the best model's state
    validation: list[dict] = field(default_factory=list)  # step, score
    stopped: bool = False  # patience ran out


class Trainer:
    """One training run: resume, step, validate and checkpoint (see :func:`fit`)."""

    def __init__(self, learner: BaseLearner, settings: dict, checkpoint: str | Path, seed: int):
        self.learner, self.settings = learner, settings
        self.checkpoint = Path(checkpoint)
        self.checkpoint.parent.mkdir(parents=True, exist_ok=True)
        self.model = learner.model
        self.steps, self.batch = int(settings["steps"]), int(settings["batch_size"])
        self.optimizer = make_optimizer(self.model.parameters(), settings)
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(
            self.optimizer,
            lambda s: _lr_factor(s, self.steps, settings["lr"], settings["lr_final"]))
        self.gen = torch.Generator().manual_seed(seed)
        self.fingerprint = fingerprint(settings, learner.n, seed, learner.data_digest)
        self.validate_every = int(settings.get("validate_every") or 0)
        self.selecting = (self.validate_every > 0 and learner.n_validation > 0
                          and learner.selects_model)
        self.patience_steps = int(settings.get("patience") or 0) * self.validate_every
        self.state = LoopState()
        self.saved_step = 0  # step of the last checkpoint written or resumed from

    # --- resume ---------------------------------------------------------------------------
    def load_checkpoint(self) -> dict | None:
        """The checkpoint's contents when it can be resumed; a stale one is moved aside."""
        if not self.checkpoint.is_file():
            return None
        saved = torch.load(self.checkpoint, map_location="cpu", weights_only=False)
        if saved.get("fingerprint") != self.fingerprint:
            unusable = "was made with other settings or data"
        elif saved["step"] > self.steps:
            unusable = f"is at step {saved['step']}, past the {self.steps} steps now asked for"
        else:
            return saved
        stale = self.checkpoint.with_suffix(".stale.pt")
        self.checkpoint.replace(stale)
        log.warning("checkpoint %s %s; moved to %s and training starts over",
                    self.checkpoint, unusable, stale)
        return None

    def resume(self) -> int:
        """Restore model, optimizer, schedule, generator and loop state from a usable
        checkpoint; returns the step the run continues from (0: a fresh run)."""
        saved = self.load_checkpoint()
        if saved is not None:
            self.model.load_state_dict(saved["model"])
            self.optimizer.load_state_dict(saved["optimizer"])
            self.scheduler.load_state_dict(saved["scheduler"])
            self.gen.set_state(saved["generator"])
            self.state = LoopState(history=saved["history"], estimates=list(saved["estimates"]),
                                   step=saved["step"], best=saved.get("best"),
                                   validation=list(saved.get("validation", [])),
                                   stopped=bool(saved.get("stopped", False)))
            log.info("resumed from checkpoint %s at step %d", self.checkpoint, self.state.step)
        self.saved_step = self.state.step
        return self.state.step

    # --- step -----------------------------------------------------------------------------
    def step(self, step: int, pool: int, device: torch.device) -> tuple[float, dict, object]:
        """One optimizer step on a minibatch of the first ``pool`` samples; returns the
        loss, the learner's scalars and its estimates (or None). Raises
        :class:`TrainingDivergedError` on a non-finite or too large loss, before the update."""
        idx = torch.randint(0, pool, (min(self.batch, pool),), generator=self.gen).to(device)
        self.learner.step = step
        loss, scalars, est = self.learner.batch_loss(idx)
        value = float(loss.detach())
        max_loss = self.settings["max_loss"]
        if not math.isfinite(value) or abs(value) > max_loss:
            raise TrainingDivergedError(
                f"training diverged at step {step}: loss = {value:.6g} "
                f"(max_loss {max_loss:.3g}). The last good state is kept in "
                f"{self.checkpoint} (step {self.saved_step}); "
                "lower 'lr', raise 'batch_size' or check the data for outliers, then rerun "
                "(new settings start over; a rerun with the same settings or more 'steps' "
                "resumes from that checkpoint)."
            )
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        self.scheduler.step()
        return value, scalars, est

    def record(self, step: int, value: float, scalars: dict, est, running: dict) -> dict:
        """Accumulate a step's loss terms; every ``log_every`` steps and at the last one
        append their means (and the latest estimates) to the history. Returns the
        running sums still to be logged."""
        if est is not None:
            self.state.estimates.append(est.detach().cpu().numpy().astype(np.float64))
        for key, val in scalars.items():
            running[key] = running.get(key, 0.0) + float(val)
        running["loss"] = running.get("loss", 0.0) + value
        log_every = self.settings["log_every"]
        if (step + 1) % log_every != 0 and step + 1 != self.steps:
            return running
        n_acc = (step + 1) % log_every or log_every
        row = {"step": step + 1, "lr": self.scheduler.get_last_lr()[0]}
        row.update({k: v / n_acc for k, v in running.items()})
        if est is not None:
            row.update({f"estimate_{i + 1}": v for i, v in enumerate(self.state.estimates[-1])})
        self.state.history.append(row)
        log.info("step %d/%d loss %.6g", step + 1, self.steps, row["loss"])
        return {}

    # --- validate -------------------------------------------------------------------------
    def validate(self, step: int) -> None:
        """Score the model on the validation frames after ``step`` steps; keep the best;
        set ``stopped`` when ``patience`` scores passed without improvement."""
        score = self.learner.validation_score()
        if not math.isfinite(score):
            raise TrainingDivergedError(
                f"validation score at step {step} is {score}: the learned functions are "
                "constant or not finite on the validation frames; lower 'lr' or raise "
                "'validation'")
        st = self.state
        st.validation.append({"step": step, "score": score})
        if st.best is None or score < st.best["score"]:
            st.best = {"step": step, "score": score,
                       "model": {k: v.detach().cpu().clone()
                                 for k, v in self.model.state_dict().items()}}
        log.info("step %d validation score %.6g (best %.6g at step %d)", step, score,
                 st.best["score"], st.best["step"])
        st.stopped = self.patience_steps > 0 and step - st.best["step"] >= self.patience_steps

    # --- checkpoint -----------------------------------------------------------------------
    def save_checkpoint(self, step: int) -> None:
        """Write the checkpoint atomically (a temporary file, then a rename)."""
        st = self.state
        tmp = Path(str(self.checkpoint) + ".tmp")
        torch.save({"model": self.model.state_dict(), "optimizer": self.optimizer.state_dict(),
                    "scheduler": self.scheduler.state_dict(), "generator": self.gen.get_state(),
                    "history": st.history, "estimates": np.array(st.estimates), "step": step,
                    "fingerprint": self.fingerprint, "best": st.best,
                    "validation": st.validation, "stopped": st.stopped}, tmp)
        tmp.replace(self.checkpoint)
        self.saved_step = step

    # --- the loop -------------------------------------------------------------------------
    def run(self) -> TrainingResult:
        """Resume (or prepare), train to ``steps`` or an early stop, restore the best model."""
        start = self.resume()
        self.learner.rng = self.gen
        if start == 0:
            self.learner.prepare(self.gen)  # e.g. pre-training; skipped when resuming
        device = next(self.model.parameters()).device
        t0 = time.perf_counter()
        running: dict[str, float] = {}
        pool = int(self.learner.n_train)
        every, st = self.validate_every, self.state
        for step in range(start, start if st.stopped else self.steps):
            value, scalars, est = self.step(step, pool, device)
            running = self.record(step, value, scalars, est, running)
            done = step + 1
            if self.selecting and (done % every == 0 or done == self.steps):
                self.validate(done)
            if done % self.settings["checkpoint_every"] == 0 or done == self.steps or st.stopped:
                self.save_checkpoint(done)
            if st.stopped:
                log.info("no better validation score for %d steps: training stops at step %d",
                         self.patience_steps, done)
                break
        return TrainingResult(
            history=pd.DataFrame(st.history),
            step_estimates=np.array(st.estimates) if st.estimates else np.empty((0, 0)),
            device=str(device), wall_s=time.perf_counter() - t0, resumed_from=start,
            extra=self.selection())

    def selection(self) -> dict:
        """Restore the best validated model; its step, the scores and the stopping step."""
        best = self.state.best
        if best is None:
            return {}
        self.model.load_state_dict(best["model"])
        log.info("model of step %d restored (validation score %.6g)", best["step"], best["score"])
        return {"validation": pd.DataFrame(self.state.validation), "selected_step": best["step"],
                "stopped_at": self.saved_step if self.state.stopped else None}
