"""Benchmark mdcv against its peers on identical data: mlcolvar, deeptime, colvars-finder.

Run with the peers' environment (``bash benchmarks/peers/setup.sh`` makes it)::

    benchmarks/peers/.venv/bin/python benchmarks/peers/run.py            # full budgets
    benchmarks/peers/.venv/bin/python benchmarks/peers/run.py --steps 200 --transfer-steps 100 \\
        --samples 20000 --eval-every 50 --out-dir /tmp/peers                # a smoke test

Case ``mueller_brown`` (always): ``--samples`` samples of exp(-0.2βV) with weights
w ∝ exp(-0.8βV), drawn once by :func:`mdcv.toy.langevin.biased_dataset` and handed to every
generator learner; unbiased Euler–Maruyama trajectories from
:func:`mdcv.toy.langevin.unbiased_trajectories` for the transfer-operator tools; the judge
is the exact grid spectrum of :mod:`mdcv.toy.reference` (eigenvalues of -L in the
potential's time unit, β = 1, friction 1). Case ``ala2-vacuum`` (``--case all`` or
``--case ala2-vacuum``): runs when results/ala2-vacuum/dataset/biased.npz exists (see
:func:`make_ala2_data`); otherwise it is reported as skipped. ``--rejudge`` trains nothing
and rebuilds the outputs from the saved results against the current references (a new
MSM judge for alanine, say).

Each tool runs in its own subprocess (``--worker``), one after the other, with the
same thread count, so peak memory (``resource.getrusage`` max RSS of that process, and
the RSS before training) is its own. Every tool gets the same number of optimizer
steps and batch size (generator tools ``--steps``, transfer tools ``--transfer-steps``);
every ``--eval-every`` steps the clock is stopped and the eigenvalues are read out on
all data, which gives the wall time to reach ``--target`` relative error on λ1 and λ2.

Outputs in ``--out-dir`` (default results/benchmarks): peers.csv (one row per case and
tool/read-out; the issue's columns first, then extra ones), peers_curves.csv (error
against training time), peers.png, peers.md, and peers_work/ (the shared data and
each worker's JSON).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import resource
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BOX = [[-1.5, 1.2], [-0.5, 2.0]]
COLUMNS = ["case", "tool", "version", "settings", "wall_s", "samples_per_s", "rel_err_lambda1",
           "rel_err_lambda2", "peak_mem_mb"]
EXTRA = ["time_to_target_s", "time_to_target_lambda1_s", "time_to_target_lambda2_s", "target",
         "lambda1", "lambda2", "train_s", "readout_s", "steps",
         "batch_size", "base_mem_mb", "threads", "load_before", "load_after", "status", "note"]
GENERATOR_TOOLS = ["mdcv", "mlcolvar-generator", "colvars-finder"]
TRANSFER_TOOLS = ["deeptime-tica", "deeptime-vampnet", "mlcolvar-deeptica"]


# --------------------------------------------------------------------------- helpers

def version(dist: str) -> str:
    import importlib.metadata as md
    try:
        return md.version(dist)
    except md.PackageNotFoundError:
        return "not installed"


def rss_mb() -> float:
    """Current resident set size (MB) from /proc (Linux)."""
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_mb() -> float:
    """Peak resident set size (MB) of this process so far (getrusage: kB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def load1() -> float:
    return os.getloadavg()[0]


class Clock:
    """Training wall clock that can be paused while the harness evaluates."""

    def __init__(self):
        self.total = 0.0
        self._t0 = None

    def start(self):
        self._t0 = time.perf_counter()

    def stop(self):
        if self._t0 is not None:
            self.total += time.perf_counter() - self._t0
            self._t0 = None


class FitClock:
    """Wall time of a whole ``trainer.fit`` (Lightning's loop and data loading included)
    less the time of the harness's read-outs made inside it."""

    def __init__(self):
        self.total = 0.0
        self._t0 = self._paused_at = None
        self._paused = 0.0

    def begin(self):
        self._t0 = time.perf_counter()

    def now(self) -> float:
        return time.perf_counter() - self._t0 - self._paused

    def pause(self):
        self._paused_at = time.perf_counter()

    def resume(self):
        self._paused += time.perf_counter() - self._paused_at

    def end(self):
        self.total = self.now()


def rel_err(values, ref) -> list[float]:
    return [abs(float(v) / float(r) - 1.0) if v is not None and math.isfinite(v) else float("nan")
            for v, r in zip(values, ref, strict=True)]


def ritz_with_constant(f, grad, w, diffusion, functions: bool = False):
    """Float64 Rayleigh–Ritz in span{1, f_1..f_r} (uncentred moments, no shift).

    ``f`` (n, r), ``grad`` (n, r, d), ``w`` (n,), ``diffusion`` (d,). The basis may be
    redundant (an output close to a constant), so the generalized problem is solved on
    the range of the mass matrix. Returns the eigenvalues of -L ascending, λ0 ≈ 0 first;
    with ``functions`` also the values (n, m) and gradients (n, m, d) of the Ritz
    functions in the same order.
    """
    import numpy as np
    f = np.asarray(f, dtype=np.float64)
    g = np.asarray(grad, dtype=np.float64)
    w = np.asarray(w, dtype=np.float64) / np.sum(w)
    n, r = f.shape
    basis = np.concatenate([np.ones((n, 1)), f], axis=1)
    gb = np.concatenate([np.zeros((n, 1, g.shape[2])), g], axis=1)
    b = (w[:, None] * basis).T @ basis
    a = np.einsum("n,nia,nja,a->ij", w, gb, gb, np.asarray(diffusion, dtype=np.float64))
    evals, evecs = np.linalg.eigh(b)
    keep = evals > 1e-12 * evals.max()
    p = evecs[:, keep] / np.sqrt(evals[keep])
    vals, vecs = np.linalg.eigh(p.T @ a @ p)
    if not functions:
        return vals
    coef = p @ vecs
    return vals, basis @ coef, np.einsum("nid,im->nmd", gb, coef)


def galerkin_on(f, grad, w, diffusion):
    """mdcv's default read-out (effective dynamics along the first non-constant Ritz
    function, then Ritz with hats of the second) applied to another tool's network."""
    import numpy as np

    from mdcv.learn import spectral
    _, psi, dpsi = ritz_with_constant(f, grad, w, diffusion, functions=True)
    return list(spectral.galerkin(psi[:, 1:3], dpsi[:, 1:3], w, np.asarray(diffusion), 200, 10))


def values_and_grads(forward, x):
    """Outputs (n, r) and input gradients (n, r, d) of a torch callable, float64 numpy."""
    import torch
    x = x.detach().clone().requires_grad_(True)
    with torch.enable_grad():
        y = forward(x)
        grads = [torch.autograd.grad(y[:, i].sum(), x, retain_graph=i + 1 < y.shape[1])[0]
                 for i in range(y.shape[1])]
    return (y.detach().double().numpy(), torch.stack(grads, 1).detach().double().numpy())


def load_data(work: Path):
    import numpy as np
    with np.load(work / "data.npz") as f:
        return {k: f[k] for k in f.files}


def finish(result: dict, clock: Clock, steps: int, batch: int, t_readout: float) -> dict:
    result.update({"train_s": clock.total, "readout_s": t_readout,
                   "wall_s": clock.total + t_readout + result.get("prepare_s", 0.0),
                   "samples_per_s": steps * batch / clock.total if clock.total > 0 else float("nan"),
                   "steps": steps, "batch_size": batch, "peak_mem_mb": peak_mb()})
    return result


# --------------------------------------------------------------------------- workers

def worker_mdcv(args, data, ref) -> dict:
    """mdcv's default `generator` learner (config/config.yaml), the loop of mdcv.learn.train.fit."""
    import numpy as np
    import pandas as pd
    import torch

    from mdcv import config as mc
    from mdcv.data import Dataset
    from mdcv.learn import spectral
    from mdcv.learn.learners import learner_class
    from mdcv.learn.losses import deflate
    from mdcv.learn.models import evaluate_in_chunks
    from mdcv.learn.train import TrainingResult, _lr_factor, seed_everything

    cfg = mc.load([], ROOT)
    case = str(data["case"])
    settings = mc.learner_settings(cfg, case if case == "mueller_brown" else "-", "generator")
    settings.update(steps=args.steps, batch_size=args.batch)
    if case == "mueller_brown":
        extra = {"beta": np.float64(1.0)}
    else:  # MD: one D for all atoms (DESIGN 'uniform', 1 nm²/ns), eigenvalues in ns⁻¹
        settings.update(diffusion="uniform", diffusion_constant=float(data["diffusion"][0]))
        extra = {}
    ds = Dataset(x=data["x"], w=data["w"], t=data["t"], traj=data["traj"], extra=extra)
    seed_everything(args.seed)
    base = rss_mb()
    learner = learner_class(settings["kind"])(ds, settings, torch.device("cpu"))
    gen = torch.Generator().manual_seed(args.seed)
    t0 = time.perf_counter()
    learner.prepare(gen)
    prepare_s = time.perf_counter() - t0
    model = learner.model
    opt = torch.optim.Adam(model.parameters(), lr=settings["lr"])
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: _lr_factor(s, args.steps, settings["lr"], settings["lr_final"]))
    w = ds.w
    d = learner.diffusion.double().numpy()
    cells = (settings["galerkin_cells"], settings["galerkin_cells_rest"])

    def evaluate():  # the default read-out (galerkin) without touching the model
        f, g = evaluate_in_chunks(model, learner.x)
        if settings["deflation"]:
            f, g, _ = deflate(f.double(), g.double(), learner.w.double())
        f, g = f.double().numpy(), g.double().numpy()
        return {"galerkin": list(spectral.galerkin(f, g, w, d, *cells)),
                "ritz": list(spectral.ritz(f, g, w, d)[0])}

    curve, curve_ritz, estimates = [], [], []
    clock = Clock()
    batch = min(args.batch, ds.n)
    for step in range(args.steps):
        clock.start()
        idx = torch.randint(0, ds.n, (batch,), generator=gen)
        learner.step = step
        loss, _, est = learner.batch_loss(idx)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        estimates.append(est.numpy().astype(np.float64))
        clock.stop()
        if (step + 1) % args.eval_every == 0 or step + 1 == args.steps:
            vals = evaluate()
            curve.append({"step": step + 1, "train_s": clock.total + prepare_s,
                          "lambda": vals["galerkin"], "readout": "galerkin"})
            curve_ritz.append({"step": step + 1, "train_s": clock.total + prepare_s,
                               "lambda": vals["ritz"][:2], "readout": "ritz"})
    t0 = time.perf_counter()
    result = TrainingResult(history=pd.DataFrame(), step_estimates=np.array(estimates),
                            device="cpu", wall_s=clock.total)
    readout = learner.readout(result).readouts
    t_readout = time.perf_counter() - t0
    by = {name: list(g.sort_values("index")["eigenvalue"]) for name, g in readout.groupby("readout")}
    chosen = settings["readout"]
    rows = [{"tool": "mdcv", "lambda": by[chosen][:2], "curve": curve,
             "note": f"read-out '{chosen}' (the pipeline's default); "
                     f"rayleigh (the study's) {by['rayleigh'][:2]}"},
            {"tool": "mdcv-ritz", "lambda": by["ritz"][:2], "curve": curve_ritz,
             "note": "same network, its Ritz read-out (Rayleigh–Ritz in span{f}, float64)"}]
    setting_keys = ["architecture", "layers", "activation", "bounded_first", "deflation", "init",
                    "alpha", "lr", "lr_final", "readout"]
    settings_text = ("config/config.yaml learners.generator (+ schema defaults): "
                     + ", ".join(f"{k}={settings[k]}" for k in setting_keys if k in settings)
                     + f", steps={args.steps}, batch={batch}")
    out = {"rows": rows, "version": version("mdcv"), "settings": settings_text,
           "base_mem_mb": base, "prepare_s": prepare_s}
    return finish(out, clock, args.steps, batch, t_readout)


def worker_mlcolvar_generator(args, data, ref) -> dict:
    """mlcolvar's Generator CV with the settings of its infinitesimal-generator tutorial."""
    import lightning
    import numpy as np
    import torch
    from mlcolvar.cvs import Generator
    from mlcolvar.data import DictDataset, DictModule

    torch.manual_seed(args.seed)
    dim = data["x"].shape[1]
    d_ours = float(data["diffusion"][0])
    if str(data["case"]) == "mueller_brown":
        kbt, gamma, mass = 1.0, args.mlcolvar_gamma, 1.0
        friction = torch.tensor([kbt / (gamma * mass)])   # the tutorial's kBT/(γ m)
        n_dim = 2
    else:  # MD coordinates: one "atom" entry per 3 coordinates, D in nm²/ns (ns⁻¹ out)
        friction = torch.full((dim // 3,), d_ours)
        n_dim = 3
    # mlcolvar's generator is kBT/(γm)·Δ - ...: its eigenvalues are -λ·(kBT/(γm))/D_ours.
    to_ours = -d_ours / float(friction[0])
    options = {"nn": {"activation": "tanh"},
               "optimizer": {"lr": 5e-4, "weight_decay": 1e-5}}
    base = rss_mb()
    model = Generator(r=3, layers=[dim, 20, 20, 1], eta=0.05, alpha=0.1, friction=friction,
                      n_dim=n_dim, options=options)
    x = torch.as_tensor(data["x"], dtype=torch.float32)
    w = torch.as_tensor(data["w"], dtype=torch.float32)
    dataset = DictDataset({"data": x, "weights": w})
    dm = DictModule(dataset, lengths=[1.0], batch_size=args.batch, shuffle=True,
                    generator=torch.Generator().manual_seed(args.seed))
    clock = FitClock()
    curve_own, curve_f64, curve_gal = [], [], []

    def readouts():
        was = model.training
        model.eval()
        xr = x.clone().requires_grad_(True)
        ds_eval = DictDataset({"data": xr, "weights": w})
        with torch.enable_grad():
            _, evals, _ = model.compute_eigenfunctions(ds_eval, tikhonov_reg=1e-4, recompute=True)
        own = np.sort(to_ours * evals.detach().double().numpy())   # ascending, λ0 first
        f, g = values_and_grads(model, x)
        f64 = ritz_with_constant(f, g, data["w"], data["diffusion"])
        gal = galerkin_on(f, g, data["w"], data["diffusion"])
        model.train(was)
        return list(own[1:3]), list(f64[1:3]), gal

    class Eval(lightning.Callback):
        def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx):
            step = trainer.global_step
            if step % args.eval_every == 0 or step == args.steps:
                clock.pause()
                own, f64, gal = readouts()
                clock.resume()
                curve_own.append({"step": step, "train_s": clock.now(), "lambda": own,
                                  "readout": "compute_eigenfunctions"})
                curve_f64.append({"step": step, "train_s": clock.now(), "lambda": f64,
                                  "readout": "float64 Ritz"})
                curve_gal.append({"step": step, "train_s": clock.now(), "lambda": gal,
                                  "readout": "mdcv galerkin"})

    trainer = lightning.Trainer(accelerator="cpu", max_steps=args.steps, max_epochs=-1,
                                callbacks=[Eval()], logger=False, enable_checkpointing=False,
                                enable_progress_bar=False, enable_model_summary=False,
                                num_sanity_val_steps=0, limit_val_batches=0)
    clock.begin()
    trainer.fit(model, dm)
    clock.end()
    t0 = time.perf_counter()
    own, f64, gal = readouts()
    t_readout = time.perf_counter() - t0
    settings = (f"mlcolvar docs tutorial adv_infinitesimal_generator (on this Müller-Brown): "
                f"r=3, layers=[{dim},20,20,1], tanh, eta=0.05, alpha=0.1, Adam lr=5e-4, "
                f"weight_decay=1e-5, friction=kBT/(γm)={float(friction[0]):g}; "
                f"steps={args.steps}, batch={args.batch} (tutorial: full batch, 15-20k epochs); "
                f"eigenvalues × {-to_ours:g} and sign flipped to ours")
    if str(data["case"]) == "mueller_brown":
        settings += f" (tutorial: kBT=1, γ={args.mlcolvar_gamma:g}, m=1)"
    rows = [{"tool": "mlcolvar-generator", "lambda": own, "curve": curve_own,
             "note": "its own compute_eigenfunctions (tikhonov_reg=1e-4, float32 eigh); peak "
                     f"memory includes {len(curve_own) + 1} calls of it, and in 1.3.1 each call "
                     "keeps ~0.37 GB per 1e5 samples that gc does not free (measured separately)"},
            {"tool": "mlcolvar-generator-f64", "lambda": f64, "curve": curve_f64,
             "note": "its network, float64 Ritz in span{1, outputs}, no shift (harness)"},
            {"tool": "mlcolvar-generator+galerkin", "lambda": gal, "curve": curve_gal,
             "note": "its network, mdcv's galerkin read-out on its Ritz functions (harness)"}]
    out = {"rows": rows, "version": f"{version('mlcolvar')} (lightning {version('lightning')})",
           "settings": settings, "base_mem_mb": base}
    return finish(out, clock, args.steps, args.batch, t_readout)


def worker_colvars_finder(args, data, ref) -> dict:
    """colvars-finder's EigenFunctionTask (generator mode, lag_tau=0); see the notes."""
    import types

    import numpy as np
    import torch
    from colvarsfinder.core import EigenFunctionTask
    from colvarsfinder.nn import EigenFunctions

    torch.manual_seed(args.seed)
    base = rss_mb()
    k = 2
    layers = [data["x"].shape[1], 20, 20, 20, 1]
    lr, alpha, eig_w = 0.005, 20.0, [1.0, 0.8]
    n = len(data["x"])
    traj = types.SimpleNamespace(trajectory=data["x"].astype(np.float64), weights=data["w"],
                                 dt=1.0)
    logdir = tempfile.mkdtemp(prefix="cf-")
    diag = torch.as_tensor(data["diffusion"], dtype=torch.float32)
    old_default = torch.get_default_dtype()

    def make_task(num_epochs):
        model = EigenFunctions(layers, k)
        return EigenFunctionTask(traj, torch.nn.Identity(), model, logdir, alpha=alpha,
                                 eig_weights=eig_w, diag_coeff=diag, beta=1.0, lag_tau=0,
                                 learning_rate=lr,
                                 k=k, batch_size=args.batch, num_epochs=num_epochs,
                                 test_ratio=0.2, verbose=False)

    # 1. The package's own training loop, as documented (generator mode: lag_tau=0).
    own_error = None
    try:
        make_task(1).train()
    except Exception as exc:  # recorded in the row, not hidden
        own_error = f"{type(exc).__name__}: {exc}"
    # 2. Its loss (EigenFunctionTask.loss_func) and network, driven by the harness's loop.
    torch.set_default_dtype(old_default)
    task = make_task(1)
    x = torch.as_tensor(traj.trajectory, dtype=torch.get_default_dtype())
    w = torch.as_tensor(traj.weights, dtype=torch.get_default_dtype())
    opt = torch.optim.Adam(task.model.parameters(), lr=lr)
    gen = torch.Generator().manual_seed(args.seed)
    clock = Clock()
    curve_rq, curve_ritz, curve_gal = [], [], []

    def readouts():
        f, g = values_and_grads(task.model, x)
        wn = data["w"] / data["w"].sum()
        var = (wn[:, None] * f**2).sum(0) - ((wn[:, None] * f).sum(0)) ** 2
        energy = (wn[:, None] * (g**2 * data["diffusion"]).sum(-1)).sum(0)
        rq = np.sort(energy / var)   # its own estimate: E(f)/Var(f)
        ritz = ritz_with_constant(f, g, data["w"], data["diffusion"])
        return list(rq[:2]), list(ritz[1:3]), galerkin_on(f, g, data["w"], data["diffusion"])

    for step in range(args.steps):
        clock.start()
        idx = torch.randint(0, n, (args.batch,), generator=gen)
        xb = x[idx].clone().requires_grad_(True)
        loss, *_ = task.loss_func(xb, w[idx], None, None)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        clock.stop()
        if (step + 1) % args.eval_every == 0 or step + 1 == args.steps:
            rq, ritz, gal = readouts()
            curve_gal.append({"step": step + 1, "train_s": clock.total, "lambda": gal,
                              "readout": "mdcv galerkin"})
            curve_rq.append({"step": step + 1, "train_s": clock.total, "lambda": rq,
                             "readout": "rayleigh"})
            curve_ritz.append({"step": step + 1, "train_s": clock.total, "lambda": ritz,
                               "readout": "float64 Ritz"})
    t0 = time.perf_counter()
    rq, ritz, gal = readouts()
    t_readout = time.perf_counter() - t0
    settings = (f"EigenFunctions {layers} tanh per eigenfunction, k={k}, alpha={alpha}, "
                f"eig_weights={eig_w}, Adam lr={lr}, beta=1, diag_coeff=1 (the package's "
                f"examples/2d/2d.ipynb, which has k=1, eig_weights=[1.0], batch 1000); "
                f"steps={args.steps}, batch={args.batch}; its own train() "
                + ("crashed: " + own_error if own_error else "ran") + "; loss_func driven by harness")
    rows = [{"tool": "colvars-finder", "lambda": rq, "curve": curve_rq,
             "note": "its loss_func + network, harness loop (own train() "
                     + ("crashes: " + own_error if own_error else "ran") + "); Rayleigh quotients"},
            {"tool": "colvars-finder-f64", "lambda": ritz, "curve": curve_ritz,
             "note": "same network, float64 Ritz in span{1, outputs} (harness)"},
            {"tool": "colvars-finder+galerkin", "lambda": gal, "curve": curve_gal,
             "note": "same network, mdcv's galerkin read-out on its Ritz functions (harness)"}]
    out = {"rows": rows, "version": version("colvars-finder"), "settings": settings,
           "base_mem_mb": base, "own_error": own_error}
    return finish(out, clock, args.steps, args.batch, t_readout)


def _pairs(data, lag_frames):
    """Lagged pairs (x_t, x_{t+τ}) within each unbiased trajectory (index arithmetic)."""
    import numpy as np
    traj = data["u_traj"]
    i = np.arange(len(traj) - lag_frames)
    ok = traj[i] == traj[i + lag_frames]
    i = i[ok]
    return data["u_x"][i], data["u_x"][i + lag_frames]


def _trajs(data):
    import numpy as np
    traj = data["u_traj"]
    cuts = np.flatnonzero(np.diff(traj)) + 1
    return np.split(data["u_x"].astype(np.float64), cuts)


def worker_deeptime_tica(args, data, ref) -> dict:
    """deeptime TICA on the coordinates (x, y) of the unbiased trajectories."""
    import numpy as np
    from deeptime.decomposition import TICA

    base = rss_mb()
    lag = int(data["u_lag_frames"])
    tau = float(data["u_lag"])
    trajs = _trajs(data)
    clock = Clock()
    clock.start()
    model = TICA(lagtime=lag, scaling=None).fit(trajs).fetch_model()
    clock.stop()
    sigma = np.sort(np.asarray(model.singular_values))[::-1]
    lam = list(-np.log(np.clip(sigma[:2], 1e-12, None)) / tau)
    frames = sum(len(t) for t in trajs)
    settings = (f"TICA(lagtime={lag} frames = {tau:g}, scaling=None) on (x, y) of "
                f"{len(trajs)} unbiased trajectories ({frames} frames); λ = -ln σ / τ")
    out = {"rows": [{"tool": "deeptime-tica", "lambda": lam, "curve": [],
                     "note": "linear basis (x, y): a lower bound on the quality possible"}],
           "version": version("deeptime"), "settings": settings, "base_mem_mb": base}
    res = finish(out, clock, 1, frames, 0.0)
    return res


def worker_deeptime_vampnet(args, data, ref) -> dict:
    """deeptime VAMPNet (VAMP-2) on lagged pairs of the unbiased trajectories."""
    import numpy as np
    import torch
    from deeptime.decomposition import VAMP
    from deeptime.decomposition.deep import VAMPNet

    torch.manual_seed(args.seed)
    base = rss_mb()
    lag = int(data["u_lag_frames"])
    tau = float(data["u_lag"])
    x0, xt = _pairs(data, lag)
    x0 = torch.as_tensor(x0, dtype=torch.float32)
    xt = torch.as_tensor(xt, dtype=torch.float32)
    lobe = torch.nn.Sequential(torch.nn.Linear(2, 20), torch.nn.ELU(), torch.nn.Linear(20, 20),
                               torch.nn.ELU(), torch.nn.Linear(20, 3), torch.nn.Softmax(dim=1))
    vampnet = VAMPNet(lobe=lobe, learning_rate=5e-3, device="cpu")
    gen = torch.Generator().manual_seed(args.seed)
    clock = Clock()
    curve = []
    trajs = _trajs(data)

    def readout():
        model = vampnet.fetch_model()
        proj = [model.transform(t.astype(np.float32)) for t in trajs]
        vamp = VAMP(lagtime=lag, dim=None, epsilon=1e-10).fit(proj).fetch_model()
        # VAMP removes the mean, so the constant is not among the singular values.
        sigma = np.sort(np.asarray(vamp.singular_values))[::-1][:2]
        return list(-np.log(np.clip(sigma, 1e-12, None)) / tau)

    batch = min(args.batch, len(x0))
    for step in range(args.transfer_steps):
        clock.start()
        idx = torch.randint(0, len(x0), (batch,), generator=gen)
        vampnet.partial_fit((x0[idx], xt[idx]))
        clock.stop()
        if (step + 1) % args.eval_every == 0 or step + 1 == args.transfer_steps:
            curve.append({"step": step + 1, "train_s": clock.total, "lambda": readout(),
                          "readout": "VAMP on outputs"})
    t0 = time.perf_counter()
    lam = readout()
    t_readout = time.perf_counter() - t0
    settings = (f"VAMPNet (VAMP-2, lr 5e-3, Adam) with lobe 2-20-20-3 ELU + softmax (deeptime's "
                f"VAMPNet example lobe, narrowed); lag {lag} frames = {tau:g}; "
                f"steps={args.transfer_steps}, batch={batch}; σ by VAMP on the outputs; "
                f"λ = -ln σ / τ")
    out = {"rows": [{"tool": "deeptime-vampnet", "lambda": lam, "curve": curve, "note": ""}],
           "version": version("deeptime"), "settings": settings, "base_mem_mb": base}
    return finish(out, clock, args.transfer_steps, batch, t_readout)


def worker_mlcolvar_deeptica(args, data, ref) -> dict:
    """mlcolvar DeepTICA on lagged pairs of the unbiased trajectories."""
    import lightning
    import numpy as np
    import torch
    from mlcolvar.cvs import DeepTICA
    from mlcolvar.data import DictDataset, DictModule

    torch.manual_seed(args.seed)
    base = rss_mb()
    lag = int(data["u_lag_frames"])
    tau = float(data["u_lag"])
    x0, xt = _pairs(data, lag)
    n = len(x0)
    dataset = DictDataset({"data": torch.as_tensor(x0, dtype=torch.float32),
                           "data_lag": torch.as_tensor(xt, dtype=torch.float32),
                           "weights": torch.ones(n), "weights_lag": torch.ones(n)})
    batch = min(args.batch, n)
    dm = DictModule(dataset, lengths=[1.0], batch_size=batch, shuffle=True,
                    generator=torch.Generator().manual_seed(args.seed))
    model = DeepTICA(layers=[2, 20, 20, 3], n_cvs=3,
                     options={"nn": {"activation": "shifted_softplus"},
                              "optimizer": {"lr": 1e-3}})
    clock = FitClock()
    curve = []
    x0t = torch.as_tensor(x0, dtype=torch.float32)
    xtt = torch.as_tensor(xt, dtype=torch.float32)

    def readout():
        with torch.no_grad():
            was = model.training
            model.eval()
            f0, f1 = model.forward_nn(x0t), model.forward_nn(xtt)
            model.train(was)
        evals, _ = model.tica.compute(data=[f0, f1], weights=[torch.ones(n), torch.ones(n)],
                                      save_params=False)
        s = np.sort(evals.detach().double().numpy())[::-1][:2]
        return list(-np.log(np.clip(s, 1e-12, None)) / tau)

    class Eval(lightning.Callback):
        def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx):
            step = trainer.global_step
            if step % args.eval_every == 0 or step == args.transfer_steps:
                clock.pause()
                lam = readout()
                clock.resume()
                curve.append({"step": step, "train_s": clock.now(), "lambda": lam,
                              "readout": "TICA on outputs"})

    trainer = lightning.Trainer(accelerator="cpu", max_steps=args.transfer_steps, max_epochs=-1,
                                callbacks=[Eval()], logger=False, enable_checkpointing=False,
                                enable_progress_bar=False, enable_model_summary=False,
                                num_sanity_val_steps=0, limit_val_batches=0)
    clock.begin()
    trainer.fit(model, dm)
    clock.end()
    t0 = time.perf_counter()
    lam = readout()
    t_readout = time.perf_counter() - t0
    settings = (f"DeepTICA layers [2,20,20,3], n_cvs=3, shifted_softplus (mlcolvar DeepTICA "
                f"tutorial defaults), Adam lr 1e-3; lag {lag} frames = {tau:g}; "
                f"steps={args.transfer_steps}, batch={batch}; TICA eigenvalues of the outputs "
                f"on all pairs; λ = -ln σ / τ")
    out = {"rows": [{"tool": "mlcolvar-deeptica", "lambda": lam, "curve": curve, "note": ""}],
           "version": f"{version('mlcolvar')} (lightning {version('lightning')})",
           "settings": settings, "base_mem_mb": base}
    return finish(out, clock, args.transfer_steps, batch, t_readout)


WORKERS = {"mdcv": worker_mdcv, "mlcolvar-generator": worker_mlcolvar_generator,
           "colvars-finder": worker_colvars_finder, "deeptime-tica": worker_deeptime_tica,
           "deeptime-vampnet": worker_deeptime_vampnet,
           "mlcolvar-deeptica": worker_mlcolvar_deeptica}


def run_worker(args) -> None:
    import torch
    torch.set_num_threads(args.threads)
    work = Path(args.work)
    data = load_data(work)
    ref = [float(v) for v in data["ref_lambda"][:2]]
    out_path = work / f"{args.worker}.json"
    before = load1()
    try:
        res = WORKERS[args.worker](args, data, ref)
        res["status"] = "ok"
    except Exception as exc:  # the row records it
        res = {"status": "failed", "rows": [{"tool": args.worker, "lambda": [None, None],
                                             "curve": [], "note": f"{type(exc).__name__}: {exc}"}],
               "traceback": traceback.format_exc(), "peak_mem_mb": peak_mb()}
        print(res["traceback"], file=sys.stderr)
    res.update({"load_before": before, "load_after": load1(), "threads": torch.get_num_threads()})
    out_path.write_text(json.dumps(res, default=float, indent=1))


# --------------------------------------------------------------------------- data

def make_data(args, work: Path) -> dict:
    """The shared Müller-Brown data, the grid reference and the estimator floor."""
    import numpy as np
    import torch

    from mdcv.toy.langevin import biased_dataset, unbiased_trajectories
    from mdcv.toy.potentials import mueller_brown
    from mdcv.toy.reference import compute_spectrum

    torch.set_num_threads(args.threads)
    t0 = time.perf_counter()
    ds, stats = biased_dataset(mueller_brown, 1.0, BOX, potential_fraction=0.2,
                               n_samples=args.samples, n_walkers=1000, dt=1e-3, stride=20,
                               burn_in=2000, metropolis=True, seed=args.seed)
    walkers = max(1, args.samples // 50)
    u = unbiased_trajectories(mueller_brown, 1.0, BOX, n_walkers=walkers, length=0.49,
                              dt=1e-4, stride=100, seed=args.seed + 1)
    spectrum = compute_spectrum(mueller_brown, 1.0, BOX, (200, 200), n_eigen=2)
    ref = spectrum.eigenvalues[1:3]
    # Estimator floor: the grid eigenfunctions' Rayleigh quotients on the same samples.
    floor = []
    wn = ds.w / ds.w.sum()
    for i in (1, 2):
        val, grad = spectrum.eigenfunction_at(i, ds.x.astype(np.float64))
        var = (wn * val**2).sum() - (wn * val).sum() ** 2
        floor.append(float((wn * (grad**2).sum(1)).sum() / var))
    lag_frames = 10
    frame_dt = 100 * 1e-4
    np.savez(work / "data.npz", x=ds.x, w=ds.w, t=ds.t, traj=ds.traj, u_x=u.x, u_traj=u.traj,
             u_t=u.t, u_lag_frames=lag_frames, u_lag=lag_frames * frame_dt, ref_lambda=ref,
             case="mueller_brown", diffusion=np.ones(2), unit="1/time")
    info = {"n": int(ds.n), "ess": stats["effective_sample_size"], "ref": [float(v) for v in ref],
            "floor": floor, "n_unbiased_frames": int(len(u.x)), "n_unbiased_trajs": walkers,
            "lag": lag_frames * frame_dt, "data_s": time.perf_counter() - t0,
            "case": "mueller_brown", "unit": "1/time (potential's)"}
    (work / "data.json").write_text(json.dumps(info, indent=1))
    return info


# --------------------------------------------------------------------------- report

def time_to_target(curve, ref, target, which=(0, 1)) -> float:
    """Training time of the first read-out with the eigenvalues ``which`` within ``target``."""
    for point in curve:
        err = rel_err(point["lambda"], ref)
        if all(math.isfinite(err[i]) and err[i] <= target for i in which):
            return point["train_s"]
    return float("nan")


def collect(args, work: Path, info: dict, tools: list[str]):
    import pandas as pd
    rows, curves = [], []
    ref = info["ref"]
    for tool in tools:
        path = work / f"{tool}.json"
        if not path.is_file():
            continue
        res = json.loads(path.read_text())
        for r in res["rows"]:
            lam = [v if v is not None else float("nan") for v in r["lambda"]]
            err = rel_err(lam, ref)
            rows.append({"case": info["case"], "tool": r["tool"],
                         "version": res.get("version", version(tool)),
                         "settings": res.get("settings", ""), "wall_s": res.get("wall_s"),
                         "samples_per_s": res.get("samples_per_s"), "rel_err_lambda1": err[0],
                         "rel_err_lambda2": err[1], "peak_mem_mb": res.get("peak_mem_mb"),
                         "time_to_target_s": time_to_target(r["curve"], ref, args.target),
                         "time_to_target_lambda1_s": time_to_target(r["curve"], ref, args.target, (0,)),
                         "time_to_target_lambda2_s": time_to_target(r["curve"], ref, args.target, (1,)),
                         "target": args.target, "lambda1": lam[0], "lambda2": lam[1],
                         "train_s": res.get("train_s"), "readout_s": res.get("readout_s"),
                         "steps": res.get("steps"), "batch_size": res.get("batch_size"),
                         "base_mem_mb": res.get("base_mem_mb"), "threads": res.get("threads"),
                         "load_before": res.get("load_before"), "load_after": res.get("load_after"),
                         "status": res.get("status"), "note": r.get("note", "")})
            for p in r["curve"]:
                e = rel_err(p["lambda"], ref)
                curves.append({"case": info["case"], "tool": r["tool"], "step": p["step"],
                               "train_s": p["train_s"], "lambda1": p["lambda"][0],
                               "lambda2": p["lambda"][1], "rel_err_lambda1": e[0],
                               "rel_err_lambda2": e[1]})
    if info["case"] != "mueller_brown":
        return pd.DataFrame(rows, columns=COLUMNS + EXTRA), pd.DataFrame(curves)
    rows.append({"case": "mueller_brown", "tool": "reference-floor", "version": version("mdcv"),
                 "settings": "grid eigenfunctions (200x200 SqRA, spline) scored by E(f)/Var(f) on "
                             "the same weighted samples: the estimator's own scatter",
                 "rel_err_lambda1": rel_err([info["floor"][0]], [ref[0]])[0],
                 "rel_err_lambda2": rel_err([info["floor"][1]], [ref[1]])[0],
                 "lambda1": info["floor"][0], "lambda2": info["floor"][1], "status": "ok",
                 "note": "not a learner"})
    return pd.DataFrame(rows, columns=COLUMNS + EXTRA), pd.DataFrame(curves)


def plot(table, curves, info, args, path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), constrained_layout=True)
    for ax, key, floor, name in ((axes[0], "rel_err_lambda1", info["floor"][0], "λ1"),
                                 (axes[1], "rel_err_lambda2", info["floor"][1], "λ2")):
        colours = plt.get_cmap("tab20").colors
        for i, (tool, c) in enumerate(curves.groupby("tool", sort=False)):
            c = c[c["train_s"] > 0]
            transfer = any(tool.startswith(t) for t in TRANSFER_TOOLS)
            ax.plot(c["train_s"], c[key], marker=".", ls="--" if transfer else "-",
                    color=colours[i % len(colours)], label=tool + (" (trajectories)" if transfer else ""))
        ax.axhline(args.target, color="k", ls="--", lw=1, label=f"target {args.target:g}")
        ax.axhline(abs(floor / info["ref"][0 if name == "λ1" else 1] - 1), color="grey", ls=":",
                   lw=1, label="estimator floor")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("training wall time [s] (read-outs excluded)")
        ax.set_ylabel(f"relative error of {name}")
        ax.set_title(f"Müller-Brown, {info['n']} reweighted samples: {name}")
    axes[1].legend(fontsize=7, loc="best")
    fig.savefig(path, dpi=130)
    plt.close(fig)


def fmt(v, spec: str) -> str:
    try:
        return "—" if v is None or not math.isfinite(float(v)) else format(float(v), spec)
    except (TypeError, ValueError):
        return str(v)


def markdown(table, info, args, env: dict, failures: list[str], ala2_note: str) -> str:
    if table is None:
        return "\n".join(["# mdcv and its peers on the same data", "",
                          f"Command: `{env['command']}`{env.get('rejudged', '')}", "",
                          "## Alanine dipeptide (vacuum)", "",
                          ala2_note, "", *[f"- {f}" for f in failures], ""])
    mdcv_t = table.loc[table["tool"] == "mdcv", "time_to_target_s"]
    mdcv_t = float(mdcv_t.iloc[0]) if len(mdcv_t) else float("nan")
    lines = [
        "# mdcv and its peers on the same data",
        "",
        f"Command: `{env['command']}`{env.get('rejudged', '')}  ",
        f"Machine: {env['machine']}; torch threads {args.threads}; "
        f"1-min load average {env['load_start']:.2f} at the start, {env['load_end']:.2f} at the end "
        f"(sampled every 15 s: mean {env['load_mean']:.2f}, max {env['load_max']:.2f}); "
        f"started {env['started']}, "
        f"took {env['total_s']:.0f} s.",
        "",
        f"Müller-Brown 0.15·(V_MB + 146.7), β = 1, friction 1: {info['n']} samples of "
        f"exp(-0.2βV) with weights (ESS {info['ess']:.0f}); grid reference λ1 = "
        f"{info['ref'][0]:.5g}, λ2 = {info['ref'][1]:.5g}. Transfer-operator tools: "
        f"{info['n_unbiased_trajs']} unbiased trajectories ({info['n_unbiased_frames']} frames, "
        f"lag τ = {info['lag']:g}). Estimator floor (exact eigenfunctions on these samples): "
        f"λ1 {100 * abs(info['floor'][0] / info['ref'][0] - 1):.1f} %, "
        f"λ2 {100 * abs(info['floor'][1] / info['ref'][1] - 1):.1f} %.",
        "",
        f"`t→{args.target:g}`: training wall time until both λ1 and λ2 were within "
        f"{100 * args.target:g} % (read-outs every {args.eval_every} steps, clock stopped while "
        "reading out); ratio = t→target / mdcv's. `wall_s`: whole run (training, "
        "initialization and final read-out). Peak memory: max RSS of the tool's process "
        "(torch and the data included; `base` is the RSS before training).",
        "",
        "| tool | version | λ1 err | λ2 err | t→target [s] (λ1; λ2) | ratio | wall_s | samples/s | "
        "peak MB (base) | load |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for _, r in table.iterrows():
        t = r["time_to_target_s"]
        ratio = (float(t) / mdcv_t if t is not None and math.isfinite(float(t or "nan"))
                 and math.isfinite(mdcv_t) else float("nan"))
        lines.append(
            f"| {r['tool']} | {r['version']} | {fmt(100 * r['rel_err_lambda1'], '.1f')} % | "
            f"{fmt(100 * r['rel_err_lambda2'], '.1f')} % | {fmt(t, '.0f')} "
            f"({fmt(r['time_to_target_lambda1_s'], '.0f')}; {fmt(r['time_to_target_lambda2_s'], '.0f')}) | "
            f"{fmt(ratio, '.2f')} | "
            f"{fmt(r['wall_s'], '.0f')} | {fmt(r['samples_per_s'], '.3g')} | "
            f"{fmt(r['peak_mem_mb'], '.0f')} ({fmt(r['base_mem_mb'], '.0f')}) | "
            f"{fmt(r['load_before'], '.1f')}→{fmt(r['load_after'], '.1f')} |")
    lines += ["", "## Settings and their sources", ""]
    seen = set()
    for _, r in table.iterrows():
        if r["settings"] and r["settings"] not in seen:
            seen.add(r["settings"])
            lines.append(f"- **{r['tool']}**: {r['settings']}")
    lines += ["", "## Notes", ""]
    for _, r in table.iterrows():
        if r["note"]:
            lines.append(f"- {r['tool']}: {r['note']}")
    for f in failures:
        lines.append(f"- {f}")
    lines += ["", "## Alanine dipeptide (vacuum)", "", ala2_note, ""]
    return "\n".join(lines)


ALA2_REFERENCE = "results/ala2-vacuum/reference/bd/eigenvalues.csv"  # the BD MSM (uniform D)


def make_ala2_data(args, work: Path, path: Path) -> dict:
    """The alanine case: the study's biased dataset (aligned Cartesian coordinates, nm, with
    weights), at most ``--samples`` frames spread evenly, D = ``--ala2-diffusion`` nm²/ns
    for every coordinate (DESIGN 'uniform'), so eigenvalues are in ns⁻¹. The judge is
    ``--ala2-reference`` (CSV with columns index, eigenvalue in ns⁻¹: the MSM of the
    unbiased runs); without it the eigenvalues are reported and the errors left empty."""
    import numpy as np

    from mdcv import data as mdata
    t0 = time.perf_counter()
    ds = mdata.load(path)
    keep = np.unique(np.linspace(0, ds.n - 1, min(ds.n, args.samples)).round().astype(int))
    w = ds.w[keep] / ds.w[keep].mean()
    ref = read_ala2_reference(args.ala2_reference) if args.ala2_reference else [float("nan")] * 2
    diffusion = np.full(ds.dim, args.ala2_diffusion)
    np.savez(work / "data.npz", x=ds.x[keep], w=w, t=ds.t[keep], traj=ds.traj[keep],
             ref_lambda=np.array(ref), case="ala2-vacuum", diffusion=diffusion, unit="1/ns")
    info = {"n": int(len(keep)), "ess": float(w.sum() ** 2 / (w**2).sum()), "ref": ref,
            "floor": [float("nan")] * 2, "case": "ala2-vacuum", "unit": "1/ns",
            "source": str(path), "reference_source": args.ala2_reference or "none",
            "data_s": time.perf_counter() - t0}
    (work / "data.json").write_text(json.dumps(info, indent=1))
    return info


def read_ala2_reference(path) -> list[float]:
    """λ1, λ2 (ns⁻¹) of the alanine judge: a CSV with columns index, eigenvalue."""
    import pandas as pd

    table = pd.read_csv(path).set_index("index")["eigenvalue"]
    return [float(table.loc[1]), float(table.loc[2])]


def rejudge_ala2(args, work: Path) -> dict:
    """The saved alanine case (``data.json``) with the judge read again from
    ``--ala2-reference``."""
    info = json.loads((work / "data.json").read_text())
    if args.ala2_reference:
        info.update(ref=read_ala2_reference(args.ala2_reference),
                    reference_source=args.ala2_reference)
        (work / "data.json").write_text(json.dumps(info, indent=1))
    return info


def ala2_section(table, info, note: str) -> str:
    if table is None:
        return note
    lines = [f"{info['n']} frames of {info['source']} (ESS {info['ess']:.0f}), D = uniform; "
             f"eigenvalues in ns⁻¹; judge: {info['reference_source']} "
             f"(λ1 = {info['ref'][0]:.4g}, λ2 = {info['ref'][1]:.4g}).", "",
             "| tool | version | λ1 [1/ns] | λ2 [1/ns] | λ1 err | λ2 err | wall_s | samples/s | peak MB |",
             "|---|---|---|---|---|---|---|---|---|"]
    for _, r in table.iterrows():
        lines.append(f"| {r['tool']} | {r['version']} | {fmt(r['lambda1'], '.4g')} | "
                     f"{fmt(r['lambda2'], '.4g')} | {fmt(100 * r['rel_err_lambda1'], '.1f')} % | "
                     f"{fmt(100 * r['rel_err_lambda2'], '.1f')} % | {fmt(r['wall_s'], '.0f')} | "
                     f"{fmt(r['samples_per_s'], '.3g')} | {fmt(r['peak_mem_mb'], '.0f')} |")
    return "\n".join(lines)


def run_tools(args, work: Path, tools: list[str], loads: list[float], failures: list[str]) -> None:
    """Each tool in its own process, one after the other, on the data in ``work``."""
    for tool in tools:
        (work / f"{tool}.json").unlink(missing_ok=True)
        cmd = [sys.executable, __file__, "--worker", tool, "--work", str(work)]
        for key in ("samples", "steps", "transfer_steps", "batch", "eval_every", "threads", "seed",
                    "mlcolvar_gamma"):
            cmd += [f"--{key.replace('_', '-')}", str(getattr(args, key))]
        t0 = time.perf_counter()
        print(f"[peers] {work.name}: {tool} ... (load {load1():.2f})", flush=True)
        proc = subprocess.run(cmd, capture_output=True, text=True)
        (work / f"{tool}.log").write_text(proc.stdout + proc.stderr)
        loads.append(load1())
        if proc.returncode != 0 or not (work / f"{tool}.json").is_file():
            failures.append(f"{tool}: worker exited {proc.returncode}; see {work / (tool + '.log')}")
        else:
            res = json.loads((work / f"{tool}.json").read_text())
            if res.get("status") != "ok":
                failures.append(f"{tool}: {res['rows'][0]['note']}")
        print(f"[peers] {work.name}: {tool} done in {time.perf_counter() - t0:.0f} s", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", choices=["mueller_brown", "ala2-vacuum", "all"],
                        default="mueller_brown")
    parser.add_argument("--tools", default=",".join(GENERATOR_TOOLS + TRANSFER_TOOLS),
                        help="comma-separated subset of " + ", ".join(WORKERS))
    parser.add_argument("--samples", type=int, default=100_000)
    parser.add_argument("--steps", type=int, default=20_000,
                        help="optimizer steps of every generator tool (mdcv's default: 20000)")
    parser.add_argument("--transfer-steps", type=int, default=4000,
                        help="optimizer steps of every transfer-operator tool")
    parser.add_argument("--batch", type=int, default=5000)
    parser.add_argument("--eval-every", type=int, default=500)
    parser.add_argument("--target", type=float, default=0.05)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--mlcolvar-gamma", type=float, default=10.0,
                        help="γ of mlcolvar's friction kBT/(γm) (its tutorial: 10)")
    parser.add_argument("--ala2-dataset", default="results/ala2-vacuum/dataset/biased.npz")
    parser.add_argument("--ala2-reference", default=None,
                        help="CSV (index, eigenvalue in 1/ns): the MSM judge; default "
                             f"{ALA2_REFERENCE} when it exists")
    parser.add_argument("--ala2-diffusion", type=float, default=1.0,
                        help="D in nm²/ns for every coordinate (the study's 'uniform')")
    parser.add_argument("--out-dir", default=str(ROOT / "results/benchmarks"))
    parser.add_argument("--rejudge", action="store_true",
                        help="train nothing: rebuild peers.{csv,md,png} from the tools' saved "
                             "results in peers_work/ against the current references (e.g. a "
                             "new --ala2-reference)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--work", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        run_worker(args)
        return

    os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))
    import pandas as pd
    out = Path(args.out_dir)
    started = time.strftime("%Y-%m-%d %H:%M:%S %Z")
    t_start = time.perf_counter()
    load_start = load1()
    loads = [load_start]
    sampling = threading.Event()

    def sample_load():  # the 1-min load average every 15 s while the tools run
        while not sampling.wait(15.0):
            loads.append(load1())

    threading.Thread(target=sample_load, daemon=True).start()
    tools = [t.strip() for t in args.tools.split(",") if t.strip()]
    unknown = sorted(set(tools) - set(WORKERS))
    if unknown:
        raise SystemExit(f"unknown tools {unknown}; known: {sorted(WORKERS)}")
    failures: list[str] = []
    tables, curves_all = [], []
    table_mb = info_mb = table_a = info_a = None
    if args.case in ("mueller_brown", "all"):
        work = out / "peers_work" / "mueller_brown"
        work.mkdir(parents=True, exist_ok=True)
        if args.rejudge:
            info_mb = json.loads((work / "data.json").read_text())
        else:
            info_mb = make_data(args, work)
            print(f"[peers] data ready in {info_mb['data_s']:.0f} s: reference {info_mb['ref']}, "
                  f"floor {info_mb['floor']}", flush=True)
            run_tools(args, work, tools, loads, failures)
        table_mb, curves = collect(args, work, info_mb, tools)
        tables.append(table_mb)
        curves_all.append(curves)
    if args.ala2_reference is None and Path(ALA2_REFERENCE).is_file():
        args.ala2_reference = ALA2_REFERENCE
    ala2_path = Path(args.ala2_dataset)
    if args.case not in ("ala2-vacuum", "all"):
        ala2_note = ("Not requested: `--case all` (or `--case ala2-vacuum`) runs it when "
                     f"{args.ala2_dataset} exists.")
    elif not ala2_path.is_file():
        ala2_note = (f"Not run: {args.ala2_dataset} does not exist yet (the study's GROMACS chain "
                     "makes it: `snakemake results/ala2-vacuum/dataset/biased.npz`). The generator "
                     "tools run on it with `--case all` once it exists; pass `--ala2-reference "
                     "MSM.csv` (index, eigenvalue in ns⁻¹) to get relative errors.")
    else:
        ala2_note = ""
        work = out / "peers_work" / "ala2-vacuum"
        work.mkdir(parents=True, exist_ok=True)
        ala2_tools = [t for t in tools if t in GENERATOR_TOOLS]
        if args.rejudge:
            info_a = rejudge_ala2(args, work)
        else:
            info_a = make_ala2_data(args, work, ala2_path)
            run_tools(args, work, ala2_tools, loads, failures)
        table_a, curves = collect(args, work, info_a, ala2_tools)
        tables.append(table_a)
        curves_all.append(curves)
    sampling.set()
    env = {"command": "python " + " ".join([Path(sys.argv[0]).as_posix(), *sys.argv[1:]]),
           "machine": f"{platform.node()}, {os.cpu_count()} CPUs, {platform.processor() or 'cpu'}",
           "load_start": load_start, "load_end": load1(), "load_max": max(loads),
           "load_mean": sum(loads) / len(loads),
           "started": started, "total_s": time.perf_counter() - t_start}
    out.mkdir(parents=True, exist_ok=True)
    env_file = out / "peers_work" / "env.json"
    if args.rejudge:  # the training run's machine, load and time; this command re-judged it
        rejudged = f" (re-judged by `{env['command']}` on {started})"
        env = json.loads(env_file.read_text()) if env_file.is_file() else env
        env["rejudged"] = rejudged
    else:
        env_file.write_text(json.dumps(env, indent=1))
    pd.concat(tables, ignore_index=True).to_csv(out / "peers.csv", index=False)
    curves = pd.concat(curves_all, ignore_index=True) if curves_all else pd.DataFrame()
    curves.to_csv(out / "peers_curves.csv", index=False)
    if table_mb is not None and len(curves):
        plot(table_mb, curves[curves["case"] == "mueller_brown"], info_mb, args, out / "peers.png")
    text = markdown(table_mb, info_mb, args, env, failures,
                    ala2_section(table_a, info_a, ala2_note))
    (out / "peers.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
