"""The training loop shared by every learner: minibatches, Adam, learning-rate decay,
history, checkpoints, divergence checks and device choice.

A learner (see :mod:`mdcv.learn.learners`) supplies the model and a ``batch_loss``; this
module owns everything else, so a new loss gets checkpoint/restart, NaN handling and
logging for free. Checkpoints live outside the rule's declared outputs (Snakemake
deletes those on failure), so a killed or failed run resumes where it stopped.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from mdcv.errors import TrainingDivergedError

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
                     "readout", "galerkin_cells", "galerkin_cells_rest", "max_loss", "name"}


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
NEUTRAL_SETTINGS = {"weight_decay": 0.0}


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


def fit(learner, settings: dict, checkpoint: str | Path, seed: int) -> TrainingResult:
    """Train ``learner.model`` by minimizing ``learner.batch_loss`` over minibatches.

    ``learner`` provides ``model`` (nn.Module, already calibrated), ``n`` (number of
    samples; minibatches come from the first ``n_train`` of them where it has one),
    ``batch_loss(index_tensor) -> (loss, scalars: dict[str, float], estimates: 1D tensor
    or None)`` and optionally ``prepare(generator)``, run once before the first step of a
    fresh (not resumed) run. ``learner.rng`` is set to the loop's CPU generator, which the
    checkpoint keeps: random numbers a learner draws from it (e.g. input noise) repeat
    exactly on resumption. Checkpoints go to ``checkpoint`` every
    ``checkpoint_every`` steps and on divergence the last good one is kept.

    Model selection: when the learner has ``n_validation`` > 0 frames and a
    ``validation_score()`` (lower is better) and ``validate_every`` > 0, the score is
    computed every ``validate_every`` steps and the best model is restored at the end;
    with ``patience`` p > 0 training stops after p scores without improvement. The
    scores, the chosen step and the stopping step are in ``TrainingResult.extra``.
    """
    checkpoint = Path(checkpoint)
    checkpoint.parent.mkdir(parents=True, exist_ok=True)
    model = learner.model
    steps, batch = int(settings["steps"]), int(settings["batch_size"])
    optimizer = make_optimizer(model.parameters(), settings)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: _lr_factor(s, steps, settings["lr"], settings["lr_final"]))
    gen = torch.Generator().manual_seed(seed)
    history: list[dict] = []
    estimates: list[np.ndarray] = []
    start = 0
    fp = fingerprint(settings, learner.n, seed, getattr(learner, "data_digest", ""))
    state = (torch.load(checkpoint, map_location="cpu", weights_only=False)
             if checkpoint.is_file() else None)
    if state is not None:
        if state.get("fingerprint") != fp:
            unusable = "was made with other settings or data"
        elif state["step"] > steps:
            unusable = f"is at step {state['step']}, past the {steps} steps now asked for"
        else:
            unusable = ""
        if unusable:
            stale = checkpoint.with_suffix(".stale.pt")
            checkpoint.replace(stale)
            log.warning("checkpoint %s %s; moved to %s and training starts over",
                        checkpoint, unusable, stale)
            state = None
    validate_every = int(settings.get("validate_every") or 0)
    selecting = (validate_every > 0 and getattr(learner, "n_validation", 0) > 0
                 and hasattr(learner, "validation_score"))
    patience = int(settings.get("patience") or 0)
    best: dict | None = None  # step, score and a CPU copy of the best model's state
    validation: list[dict] = []
    stopped = False
    if state is not None:
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        gen.set_state(state["generator"])
        history, estimates, start = state["history"], list(state["estimates"]), state["step"]
        best, validation = state.get("best"), list(state.get("validation", []))
        stopped = bool(state.get("stopped", False))
        log.info("resumed from checkpoint %s at step %d", checkpoint, start)
    resumed_from = saved_step = start
    learner.rng = gen
    if start == 0 and hasattr(learner, "prepare"):
        learner.prepare(gen)  # e.g. pre-training; skipped when resuming
    device = next(model.parameters()).device
    t0 = time.perf_counter()
    running: dict[str, float] = {}
    pool = int(getattr(learner, "n_train", learner.n))  # minibatches from the first `pool`
    batch = min(batch, pool)
    for step in range(start, start if stopped else steps):
        idx = torch.randint(0, pool, (batch,), generator=gen).to(device)
        learner.step = step
        loss, scalars, est = learner.batch_loss(idx)
        value = float(loss.detach())
        if not math.isfinite(value) or abs(value) > settings["max_loss"]:
            raise TrainingDivergedError(
                f"training diverged at step {step}: loss = {value:.6g} "
                f"(max_loss {settings['max_loss']:.3g}). The last good state is kept in "
                f"{checkpoint} (step {saved_step}); "
                "lower 'lr', raise 'batch_size' or check the data for outliers, then rerun "
                "(new settings start over; a rerun with the same settings or more 'steps' "
                "resumes from that checkpoint)."
            )
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        scheduler.step()
        if est is not None:
            estimates.append(est.detach().cpu().numpy().astype(np.float64))
        for key, val in scalars.items():
            running[key] = running.get(key, 0.0) + float(val)
        running["loss"] = running.get("loss", 0.0) + value
        if (step + 1) % settings["log_every"] == 0 or step + 1 == steps:
            n_acc = (step + 1) % settings["log_every"] or settings["log_every"]
            row = {"step": step + 1, "lr": scheduler.get_last_lr()[0]}
            row.update({k: v / n_acc for k, v in running.items()})
            if est is not None:
                row.update({f"estimate_{i + 1}": v for i, v in enumerate(estimates[-1])})
            history.append(row)
            running = {}
            log.info("step %d/%d loss %.6g", step + 1, steps, row["loss"])
        if selecting and ((step + 1) % validate_every == 0 or step + 1 == steps):
            best, stopped = _validate(learner, model, step + 1, best, validation,
                                      patience * validate_every)
        if (step + 1) % settings["checkpoint_every"] == 0 or step + 1 == steps or stopped:
            _save_checkpoint(checkpoint, model, optimizer, scheduler, gen, history,
                             estimates, step + 1, fp,
                             selection={"best": best, "validation": validation,
                                        "stopped": stopped})
            saved_step = step + 1
        if stopped:
            log.info("no better validation score for %d steps: training stops at step %d",
                     patience * validate_every, step + 1)
            break
    extra = {}
    if best is not None:
        model.load_state_dict(best["model"])
        log.info("model of step %d restored (validation score %.6g)", best["step"], best["score"])
        extra = {"validation": pd.DataFrame(validation), "selected_step": best["step"],
                 "stopped_at": saved_step if stopped else None}
    return TrainingResult(history=pd.DataFrame(history),
                          step_estimates=np.array(estimates) if estimates else np.empty((0, 0)),
                          device=str(device), wall_s=time.perf_counter() - t0,
                          resumed_from=resumed_from, extra=extra)


def _validate(learner, model, step: int, best: dict | None, validation: list[dict],
              patience_steps: int) -> tuple[dict, bool]:
    """Score the model on the validation frames; keep the best; say whether to stop."""
    score = learner.validation_score()
    if not math.isfinite(score):
        raise TrainingDivergedError(f"validation score at step {step} is {score}: the learned "
                                    "functions are constant or not finite on the validation "
                                    "frames; lower 'lr' or raise 'validation'")
    validation.append({"step": step, "score": score})
    if best is None or score < best["score"]:
        best = {"step": step, "score": score,
                "model": {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}}
    log.info("step %d validation score %.6g (best %.6g at step %d)", step, score, best["score"],
             best["step"])
    return best, patience_steps > 0 and step - best["step"] >= patience_steps


def _save_checkpoint(path, model, optimizer, scheduler, gen, history, estimates, step, fp,
                     selection: dict | None = None):
    tmp = Path(str(path) + ".tmp")
    torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict(), "generator": gen.get_state(),
                "history": history, "estimates": np.array(estimates), "step": step,
                "fingerprint": fp, **(selection or {})}, tmp)
    tmp.replace(path)
