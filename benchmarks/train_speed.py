"""Training throughput of the generator learners on 1e5 Müller-Brown samples.

Writes one CSV row per learner: samples/s = steps × batch / wall time of the
optimizer steps (loss, second-order autograd, Adam), plus the time of the full-data
read-out. Run: ``python benchmarks/train_speed.py --out results/benchmarks/train_speed.csv``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd
import torch

from mdcv import config as mc
from mdcv.learn.learners import learner_class
from mdcv.learn.train import TrainingResult
from mdcv.toy.langevin import biased_dataset
from mdcv.toy.potentials import mueller_brown

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="results/benchmarks/train_speed.csv")
    parser.add_argument("--samples", type=int, default=100_000)
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    cfg = mc.load([], ROOT)
    ds, _ = biased_dataset(mueller_brown, 1.0, [[-1.5, 1.2], [-0.5, 2.0]], potential_fraction=0.2,
                           n_samples=args.samples, n_walkers=1000, dt=1e-3, stride=20, burn_in=500,
                           metropolis=True, seed=0)
    rows = []
    for name in ("generator", "generator-study"):
        settings = mc.learner_settings(cfg, "mueller_brown", name)
        learner = learner_class(settings["kind"])(ds, settings, torch.device("cpu"))
        opt = torch.optim.Adam(learner.model.parameters(), lr=settings["lr"])
        batch = settings["batch_size"]
        gen = torch.Generator().manual_seed(0)
        for _ in range(5):  # warm-up
            loss, _, _ = learner.batch_loss(torch.randint(0, ds.n, (batch,), generator=gen))
            opt.zero_grad()
            loss.backward()
            opt.step()
        t0 = time.perf_counter()
        for step in range(args.steps):
            learner.step = step
            loss, _, est = learner.batch_loss(torch.randint(0, ds.n, (batch,), generator=gen))
            opt.zero_grad()
            loss.backward()
            opt.step()
        train_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        learner.readout(TrainingResult(history=pd.DataFrame(), step_estimates=est[None].numpy(),
                                       device="cpu", wall_s=0.0))
        readout_s = time.perf_counter() - t0
        rows.append({"benchmark": "train_speed", "learner": name, "n_samples": ds.n,
                     "batch_size": batch, "steps": args.steps, "wall_s": train_s,
                     "samples_per_s": args.steps * batch / train_s,
                     "ms_per_step": 1000 * train_s / args.steps, "readout_s": readout_s,
                     "threads": torch.get_num_threads(), "device": "cpu",
                     "torch": torch.__version__})
        print(rows[-1])
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows).to_csv(out, index=False)


if __name__ == "__main__":
    main()
