"""Training-step throughput of the generator learner per grad_mode: results/benchmarks/step_modes.csv.

Cases (what the settings of the config files make of them):

- ``mueller_brown``: 1e5 reweighted Müller-Brown samples (config/config.yaml's sampling
  of that system, fewer samples) and the default ``generator`` learner (batch 5000, one
  2-32-32-32-1 tanh network per eigenfunction);
- ``alanine_paper``: the paper-batch alanine step, config/paper.yaml's
  ``generator-uniform`` on ``ala2-vacuum`` (batch 10,000, Kabsch layer, d = 66), on
  synthetic 22-atom frames (two conformers plus noise, randomly rotated; the step's cost
  does not depend on the values).

Every mode (:data:`mdcv.learn.gradients.GRAD_MODES`) and ``default`` (the learner as
configured, no ``grad_mode`` given) trains the same model from the same seed on the
same minibatches: ``--warmup`` steps (``compile`` compiles there), then the modes take
turns, ``--rounds`` times ``--steps`` timed optimizer steps (loss, backward, Adam) each,
so that a change of the machine's load hits every mode alike; ``samples_per_s`` is
from the median round. ``max_rel_diff``: on the first minibatch, the
largest difference of the loss's parameter gradients from ``double_backward``'s,
relative to the largest gradient entry (float32 round-off). Columns ``case, mode,
device, samples_per_s``, then the details. One row per case, mode and device (CPU, and
CUDA where present).

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/step_modes.py
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
from mdcv.learn.gradients import GRAD_MODES
from mdcv.learn.learners import learner_class
from mdcv.learn.train import make_optimizer
from mdcv.md import molecule
from mdcv.toy import langevin
from mdcv.toy.potentials import load_potential

ROOT = Path(__file__).resolve().parents[1]
MASSES = np.array([{"H": 1.008, "C": 12.011, "N": 14.007, "O": 15.999}[a[3]] for a in molecule.ATOMS])
KT = 2.494339  # kJ/mol at 300 K


def mueller_brown(n: int) -> tuple[Dataset, dict]:
    """``n`` biased Müller-Brown samples as the study draws them, and the default generator."""
    config = mc.load([], ROOT)
    system = mc.toy_settings(config, "mueller_brown")
    s = system["sampling"]
    ds, _ = langevin.biased_dataset(
        load_potential(system["potential"], ROOT), system["beta"], system["box"],
        potential_fraction=s["potential_fraction"], n_samples=n, n_walkers=s["n_walkers"],
        dt=s["dt"], stride=s["stride"], burn_in=s["burn_in"], metropolis=s["metropolis"], seed=0)
    return ds, mc.learner_settings(config, "mueller_brown", "generator")


def alanine_paper(n: int) -> tuple[Dataset, dict]:
    """``n`` synthetic alanine frames and config/paper.yaml's generator-uniform."""
    config = mc.load([ROOT / "config/paper.yaml"], ROOT)
    rng = np.random.default_rng(0)
    a, b = molecule.build_coordinates(-80.0, 75.0), molecule.build_coordinates(70.0, -70.0)
    xyz = np.where(rng.random((n, 1, 1)) < 0.3, b, a) + 0.02 * rng.standard_normal((n, 22, 3))
    q, _ = np.linalg.qr(rng.normal(size=(n, 3, 3)))
    xyz = xyz @ (q * np.linalg.det(q)[:, None, None])
    w = rng.uniform(0.5, 1.5, n)
    ds = Dataset(x=xyz.reshape(n, -1), w=w / w.mean(), t=np.arange(n, dtype=float),
                 traj=np.zeros(n, int), extra={"masses": MASSES, "kT": np.float64(KT),
                                               "ref": a - a.mean(0)})
    return ds, mc.learner_settings(config, "ala2-vacuum", "generator-uniform")


CASES = {"mueller_brown": mueller_brown, "alanine_paper": alanine_paper}


def build(ds: Dataset, settings: dict, mode: str, device: torch.device):
    """The learner for ``mode`` (``default``: the settings as configured), from seed 0."""
    settings = {**settings, "init": "random"}
    if mode != "default":
        settings["grad_mode"] = mode
    torch.manual_seed(0)
    return learner_class(settings["kind"])(ds, settings, device)


def parameter_gradients(learner, idx) -> torch.Tensor:
    learner.model.zero_grad(set_to_none=True)
    learner.batch_loss(idx)[0].backward()
    return torch.cat([p.grad.flatten() for p in learner.model.parameters() if p.grad is not None])


class Stepper:
    """A learner with its optimizer, stepping through the shared minibatches."""

    def __init__(self, learner, batches: list[torch.Tensor]):
        self.learner, self.batches, self.done = learner, batches, 0
        self.opt = make_optimizer(learner.model.parameters(), learner.settings)
        self.sync = torch.cuda.synchronize if learner.device.type == "cuda" else (lambda: None)

    def run(self, steps: int) -> float:
        """Seconds per optimizer step over the next ``steps`` minibatches."""
        self.sync()
        t0 = time.perf_counter()
        for _ in range(steps):
            idx = self.batches[self.done % len(self.batches)]
            self.learner.step = self.done
            loss = self.learner.batch_loss(idx)[0]
            self.opt.zero_grad(set_to_none=True)
            loss.backward()
            self.opt.step()
            self.done += 1
        self.sync()
        return (time.perf_counter() - t0) / steps


def run_case(case: str, n: int, device: torch.device, steps: int, warmup: int, rounds: int,
             modes: list[str]) -> list[dict]:
    """Rows for ``case``: the modes take turns, ``rounds`` times ``steps`` steps each
    after ``warmup`` steps, so that a change of the machine's load hits them alike; the
    median round gives ``samples_per_s``."""
    ds, settings = CASES[case](n)
    batch = int(settings["batch_size"])
    reference = build(ds, settings, "double_backward", device)
    gen = torch.Generator().manual_seed(0)
    batches = [torch.randint(0, reference.n_train, (batch,), generator=gen).to(device)
               for _ in range(warmup + steps * rounds)]
    g_ref = parameter_gradients(reference, batches[0])
    steppers, diffs = {}, {}
    for mode in modes:
        learner = build(ds, settings, mode, device)
        diffs[mode] = float((parameter_gradients(learner, batches[0]) - g_ref).abs().max()
                            / g_ref.abs().max())
        steppers[mode] = Stepper(learner, batches)
        if warmup:
            steppers[mode].run(warmup)
    secs = {mode: [] for mode in modes}
    for _ in range(rounds):
        for mode in modes:
            secs[mode].append(steppers[mode].run(steps))
    rows = []
    for mode in modes:
        median = float(np.median(secs[mode]))
        rows.append({"case": case, "mode": mode, "device": device.type,
                     "samples_per_s": batch / median, "ms_per_step": 1000 * median,
                     "ms_per_step_rounds": " ".join(f"{1000 * t:.2f}" for t in secs[mode]),
                     "grad_mode": steppers[mode].learner.grad_mode, "batch_size": batch,
                     "dim": ds.dim, "samples": ds.n, "steps": steps, "rounds": rounds,
                     "threads": torch.get_num_threads(), "max_rel_diff": diffs[mode],
                     "torch": torch.__version__})
        print({k: (f"{v:.4g}" if isinstance(v, float) else v) for k, v in rows[-1].items()},
              flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", choices=[*CASES, "all"], default="all")
    parser.add_argument("--samples", type=int, default=100_000,
                        help="Müller-Brown samples (alanine: 4 batches' worth of frames)")
    parser.add_argument("--steps", type=int, default=10, help="timed optimizer steps per round")
    parser.add_argument("--rounds", type=int, default=5, help="turns of timed steps per mode")
    parser.add_argument("--warmup", type=int, default=3, help="untimed steps first (compilation)")
    parser.add_argument("--modes", nargs="+", default=["default", *GRAD_MODES],
                        choices=["default", *GRAD_MODES])
    parser.add_argument("--device", choices=["cpu", "cuda", "all"], default="all",
                        help="all: the CPU, and CUDA where present")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", default=str(ROOT / "results/benchmarks/step_modes.csv"))
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    devices = ["cpu", "cuda"] if args.device == "all" else [args.device]
    devices = [d for d in devices if d == "cpu" or torch.cuda.is_available()]
    if not devices:
        raise SystemExit("--device cuda: no CUDA device here; use --device cpu")
    cases = list(CASES) if args.case == "all" else [args.case]
    rows = []
    for case in cases:
        n = args.samples if case == "mueller_brown" else 40_000
        for device in devices:
            rows += run_case(case, n, torch.device(device), args.steps, args.warmup,
                             args.rounds, args.modes)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows).to_csv(out, index=False)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
