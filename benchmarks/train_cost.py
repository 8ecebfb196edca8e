"""Seconds per optimizer step of every learner a config trains, against the cluster model.

For each (system, learner) of the toy and alanine stages of a config, a synthetic
dataset of the system's shape (2-D toy samples; 22-atom alanine frames with masses,
kT and a reference, d = 66) is built, and ``--steps`` optimizer steps (loss,
second-order autograd, Adam) are timed at the learner's own batch size. Each row sets
the measured seconds per step beside :func:`mdcv.workflow.resources.training_step_seconds`, the
per-step term of the runtime a cluster job asks for (before the safety factor), and the
job's requested runtime beside the measured training time of its steps.

Run on an idle machine (one thread, as the training jobs use by default):
``python benchmarks/train_cost.py --configfile config/paper.yaml --out results/benchmarks/train_cost.csv``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from mdcv import config as mc
from mdcv.data import Dataset
from mdcv.learn.learners import learner_class
from mdcv.workflow import resources, targets

ROOT = Path(__file__).resolve().parents[1]

# Alanine dipeptide's 22 atoms in the topology's order (amu): ACE, ALA, NME.
ALANINE_MASSES = [1.008, 12.011, 1.008, 1.008, 12.011, 15.999, 14.007, 1.008, 12.011, 1.008,
                  12.011, 1.008, 1.008, 1.008, 12.011, 15.999, 14.007, 1.008, 12.011, 1.008,
                  1.008, 1.008]
KT = 2.494339  # kJ/mol at 300 K


def synthetic_dataset(kind: str, n: int, rng: np.random.Generator) -> Dataset:
    """``n`` frames shaped like a ``toy`` or ``alanine`` dataset, in 10 trajectories."""
    traj = np.repeat(np.arange(10), -(-n // 10))[:n]
    t = np.concatenate([np.arange((traj == j).sum()) for j in range(10)]) * 1e-3
    if kind == "toy":
        return Dataset(x=rng.normal(size=(n, 2)), w=np.ones(n), t=t, traj=traj,
                       extra={"beta": 1.0})
    ref = rng.normal(scale=0.15, size=(22, 3))
    x = (ref + rng.normal(scale=0.02, size=(n, 22, 3))).reshape(n, 66)
    w = rng.uniform(0.5, 1.5, n)
    return Dataset(x=x, w=w / w.mean(), t=t * 1e3, traj=traj,
                   extra={"ref": ref.astype(np.float32), "masses": np.array(ALANINE_MASSES),
                          "kT": KT, "beta": 1.0 / KT})


def seconds_per_step(learner, batch: int, steps: int) -> float:
    """Mean wall time (s) of an optimizer step after two warm-up steps."""
    opt = torch.optim.Adam(learner.model.parameters(), lr=1e-3)
    gen = torch.Generator().manual_seed(0)
    pool = int(learner.n_train)

    def step():
        loss = learner.batch_loss(torch.randint(0, pool, (batch,), generator=gen))[0]
        opt.zero_grad()
        loss.backward()
        opt.step()

    step()
    step()
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    return (time.perf_counter() - t0) / steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configfile", action="append", default=[],
                        help="config overlays on config/config.yaml, in order")
    parser.add_argument("--out", default="results/benchmarks/train_cost.csv")
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    config = mc.load(args.configfile, ROOT)
    rng = np.random.default_rng(0)
    rows = []
    toys = mc.toy_systems(config)
    for system, name in targets.trainings(config):
        settings = mc.learner_settings(config, system, name)
        batch = int(settings["batch_size"])
        ds = synthetic_dataset("toy" if system in toys else "alanine", max(4 * batch, 20_000), rng)
        settings = {**settings, "init": "random"}
        learner = learner_class(settings["kind"])(ds, settings, torch.device("cpu"))
        measured = seconds_per_step(learner, batch, args.steps)
        model = resources.training_step_seconds(settings, ds.dim)
        requested = resources.training(settings, *resources.training_data_size(config, system, name))[
            "runtime"]
        rows.append({"benchmark": "train_cost", "system": system, "learner": name,
                     "kind": settings["kind"], "dim": ds.dim, "batch_size": batch,
                     "steps": settings["steps"], "measured_s_per_step": measured,
                     "model_s_per_step": model, "model_over_measured": model / measured,
                     "training_min_measured": settings["steps"] * measured / 60,
                     "requested_runtime_min": requested, "threads": torch.get_num_threads(),
                     "torch": torch.__version__})
        print({k: (round(v, 4) if isinstance(v, float) else v) for k, v in rows[-1].items()},
              flush=True)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows).to_csv(out, index=False)


if __name__ == "__main__":
    main()
