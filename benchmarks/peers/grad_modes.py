"""How much of mdcv's generator step is the double backward, and what a forward-mode gradient saves.

mdcv's step computes ∂f/∂x with ``torch.autograd.grad(..., create_graph=True)`` (one
backward per output) and then backpropagates the loss through that graph: a double
backward, which the profile of benchmarks/peers/run.py shows taking ~80 % of a step.
For inputs of small dimension d the input Jacobian of an MLP can instead be carried
forward with the activations (J ← W J, then J ← σ'(h) ⊙ J), so the loss needs one
ordinary backward. This script times one optimizer step of the default `generator`
learner (config/config.yaml, on Müller-Brown samples) both ways, on the same model and
batch, and checks that the two give the same loss and parameter gradients. It changes
nothing in src/mdcv.

    benchmarks/peers/.venv/bin/python benchmarks/peers/grad_modes.py --steps 200
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[2]


def forward_with_jacobian(model, x):
    """Values (n, k) and input gradients (n, k, d) of an mdcv EigenfunctionModel, forward mode.

    Supports what the default learner uses: Identity ``pre``, Standardize, nets made of
    Linear and Tanh layers, ``bounded_first``, out_scale/out_shift and the ``mix`` buffer.
    """
    n, d = x.shape
    z = (x - model.standardize.mean) / model.standardize.scale
    # Jacobian rows kept as (d, n, width): each layer is then one plain matmul.
    eye = torch.eye(d, dtype=x.dtype, device=x.device) / model.standardize.scale
    outs, jacs = [], []
    for net in model.nets:
        h, jac = z, eye[:, None, :].expand(d, n, d)
        for layer in net:
            if isinstance(layer, torch.nn.Linear):
                h = layer(h)
                jac = torch.nn.functional.linear(jac, layer.weight)
            elif isinstance(layer, torch.nn.Tanh):
                h = torch.tanh(h)
                jac = (1 - h * h) * jac
            else:
                raise TypeError(f"unsupported layer {layer!r}")
        outs.append(h)
        jacs.append(jac)
    out, jac = torch.cat(outs, 1), torch.cat(jacs, 2)     # (n, k), (d, n, k)
    if model.bounded_first:
        t = torch.tanh(out[:, :1])
        jac = torch.cat([(1 - t * t) * jac[..., :1], jac[..., 1:]], 2)
        out = torch.cat([t, out[:, 1:]], 1)
    out = out * model.out_scale + model.out_shift
    jac = (jac * model.out_scale) @ model.mix.T
    return out @ model.mix.T, jac.permute(1, 2, 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--batch", type=int, default=5000)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", default=str(ROOT / "results/benchmarks/grad_modes.csv"))
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    from mdcv import config as mc
    from mdcv.data import Dataset
    from mdcv.learn.learners import learner_class
    from mdcv.learn.losses import generator_loss
    from mdcv.learn.models import values_and_gradients
    from mdcv.toy.langevin import biased_dataset
    from mdcv.toy.potentials import mueller_brown

    cfg = mc.load([], ROOT)
    settings = mc.learner_settings(cfg, "mueller_brown", "generator")
    ds, _ = biased_dataset(mueller_brown, 1.0, [[-1.5, 1.2], [-0.5, 2.0]], potential_fraction=0.2,
                           n_samples=20_000, n_walkers=1000, dt=1e-3, stride=20, burn_in=500,
                           metropolis=True, seed=0)
    ds = Dataset(x=ds.x, w=ds.w, t=ds.t, traj=ds.traj, extra={"beta": np.float64(1.0)})
    torch.manual_seed(0)
    learner = learner_class("generator")(ds, settings, torch.device("cpu"))
    model = learner.model
    gen = torch.Generator().manual_seed(0)
    idx = torch.randint(0, ds.n, (args.batch,), generator=gen)
    x, w = learner.x[idx], learner.w[idx]

    def loss_autograd():
        f, g = values_and_gradients(model, x, create_graph=True)
        return generator_loss(f, g, w, learner.diffusion, learner.omega, settings["alpha"],
                              settings["deflation"])[0]

    def loss_forward():
        f, g = forward_with_jacobian(model, x)
        return generator_loss(f, g, w, learner.diffusion, learner.omega, settings["alpha"],
                              settings["deflation"])[0]

    grads = {}
    for name, fn in (("autograd_double_backward", loss_autograd), ("forward_jacobian", loss_forward)):
        model.zero_grad()
        loss = fn()
        loss.backward()
        grads[name] = (loss.item(), {k: p.grad.clone() for k, p in model.named_parameters()
                                     if p.grad is not None})
    (l1, g1), (l2, g2) = grads.values()
    if set(g1) != set(g2):
        raise AssertionError(f"parameters with gradients differ: {set(g1) ^ set(g2)}")
    # Relative to the largest gradient entry overall (out_shift's is zero up to round-off:
    # the loss is shift invariant).
    scale = max(float(g.abs().max()) for g in g1.values())
    max_rel = max(float((g1[k] - g2[k]).abs().max()) / scale for k in g1)
    print({k: float((g1[k] - g2[k]).abs().max()) / scale for k in g1})
    rows = []
    for name, fn in (("autograd_double_backward", loss_autograd), ("forward_jacobian", loss_forward)):
        for _ in range(5):
            model.zero_grad()
            fn().backward()
        t0 = time.perf_counter()
        for _ in range(args.steps):
            model.zero_grad(set_to_none=True)
            fn().backward()
        secs = time.perf_counter() - t0
        rows.append({"method": name, "ms_per_step": 1000 * secs / args.steps,
                     "samples_per_s": args.steps * args.batch / secs, "batch": args.batch,
                     "threads": torch.get_num_threads(), "loss_rel_diff": abs(l1 - l2) / abs(l1),
                     "grad_max_rel_diff": max_rel})
        print(rows[-1])
    import pandas as pd
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows).to_csv(out, index=False)


if __name__ == "__main__":
    main()
