"""One round of the toy loop: MALA samples of V + V_b at β, and transitions between cores.

Time is in the potential's time unit (friction 1), energies in its energy unit. The
sampler is :func:`mdcv.toy.langevin.run` with ``metropolis=True`` on the total energy
V + V_b, so the samples follow exp(-β(V + V_b)) exactly and w ∝ exp(β V_b) reweights
them to μ. Round 0 has no bias (weights 1).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import torch
from scipy.ndimage import minimum_filter

from mdcv.data import Dataset
from mdcv.loop.bias import weights
from mdcv.toy import langevin

Bias = Callable[[torch.Tensor], torch.Tensor]


def total_energy(potential, bias: Bias | None):
    """V, or V + V_b, as one potential (x (n, 2) → (n,))."""
    if bias is None:
        return potential
    return lambda x: potential(x) + bias(x)


def sample(potential, beta: float, box, settings: dict, seed: int, bias: Bias | None = None
           ) -> tuple[Dataset, np.ndarray, dict]:
    """Samples of exp(-β(V + V_b)) from ``settings`` (loop.toy: n_samples, n_walkers, dt,
    stride, burn_in), reweighted to μ.

    Returns the dataset (walker-major; extra ``v``, ``v_bias``, ``beta``, ``box``), the
    saved states (n_walkers, n_frames, 2) in time order, and run statistics
    (``simulated_time``: all steps, burn-in included, summed over walkers).
    """
    energy = total_energy(potential, bias)
    gen = torch.Generator().manual_seed(seed)
    m, stride, dt = int(settings["n_walkers"]), int(settings["stride"]), float(settings["dt"])
    x0 = langevin.initial_walkers(energy, beta, box, m, gen)
    burn_in = int(settings["burn_in"])
    if burn_in:
        burnt, _ = langevin.run(energy, beta, box, x0, burn_in, dt, burn_in, gen, metropolis=True)
        x0 = torch.as_tensor(burnt[-1])
    n_saved = math.ceil(int(settings["n_samples"]) / m)
    states, acceptance = langevin.run(energy, beta, box, x0, n_saved * stride, dt, stride, gen,
                                      metropolis=True, progress_every=max(1, n_saved * stride // 5))
    states = states.transpose(1, 0, 2)  # (walker, frame, 2)
    x = states.reshape(-1, 2)
    with torch.no_grad():
        xt = torch.as_tensor(x, dtype=torch.float64)
        v = potential(xt).numpy()
        v_bias = bias(xt).numpy() if bias is not None else np.zeros(len(x))
    w = weights(v_bias, beta)
    ds = Dataset(x=x, w=w, t=np.tile(np.arange(1, n_saved + 1) * stride * dt, m),
                 traj=np.repeat(np.arange(m), n_saved),
                 extra={"v": v, "v_bias": v_bias, "beta": np.float64(beta),
                        "box": np.asarray(box, dtype=float)})
    stats = {"n": ds.n, "n_walkers": m, "acceptance": acceptance,
             "simulated_time": (burn_in + n_saved * stride) * dt * m,
             "sampled_time": n_saved * stride * dt * m}
    return ds, states, stats


def deepest_minima(potential, box, grid: int = 200) -> tuple[np.ndarray, np.ndarray]:
    """Positions (2, 2) and energies (2,) of the two deepest local minima of V in the box
    (on a ``grid`` × ``grid`` lattice, edges excluded)."""
    (x0, x1), (y0, y1) = box
    gx, gy = np.linspace(x0, x1, grid), np.linspace(y0, y1, grid)
    xx, yy = np.meshgrid(gx, gy, indexing="ij")
    pts = np.stack([xx.ravel(), yy.ravel()], 1)
    with torch.no_grad():
        v = potential(torch.as_tensor(pts, dtype=torch.float64)).numpy().reshape(grid, grid)
    is_min = v == minimum_filter(v, size=3, mode="nearest")
    is_min[[0, -1], :] = is_min[:, [0, -1]] = False
    idx = np.flatnonzero(is_min.ravel())
    if len(idx) < 2:
        raise ValueError("the potential has fewer than two local minima inside the box: no "
                         "transitions to count; widen toy.systems.<name>.box")
    best = idx[np.argsort(v.ravel()[idx])[:2]]
    return pts[best], v.ravel()[best]


def core_labels(potential, box, x: np.ndarray, beta: float, core_energy: float) -> np.ndarray:
    """Core of each point x (..., 2): 0 or 1 for the deepest and second-deepest minimum's
    core (V below the minimum's energy + ``core_energy``/β, nearer that minimum), -1 else."""
    minima, v_min = deepest_minima(potential, box)
    flat = np.asarray(x, dtype=np.float64).reshape(-1, 2)
    with torch.no_grad():
        v = potential(torch.as_tensor(flat)).numpy()
    nearest = np.argmin(((flat[:, None, :] - minima[None]) ** 2).sum(-1), axis=1)
    inside = v < v_min[nearest] + core_energy / beta
    return np.where(inside, nearest, -1).reshape(np.shape(x)[:-1])


def count_transitions(labels: np.ndarray) -> int:
    """Transitions between cores in labels (walkers, frames) (-1: in no core): changes of
    the last core visited, along each walker's frames."""
    labels = np.asarray(labels)
    frames = np.arange(labels.shape[1])
    seen = np.maximum.accumulate(np.where(labels >= 0, frames, -1), axis=1)
    last = np.where(seen >= 0, np.take_along_axis(labels, seen.clip(0), axis=1), -1)
    changes = (last[:, 1:] != last[:, :-1]) & (last[:, :-1] >= 0)
    return int(changes.sum())
