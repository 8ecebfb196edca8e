"""Vectorized overdamped Langevin samplers for 2D toy potentials.

Dynamics (friction 1, the potential's own time unit):

    dX = -∇V(X) dt + sqrt(2/β) dW.

Every walker advances in the same tensor operation; Python loops run over time steps
only, never over walkers or samples. Two steppers:

- :func:`euler_maruyama`: the plain discretization (a trajectory of the dynamics,
  reflected at the box walls), used for the unbiased trajectories;
- MALA (``metropolis=True``): the same proposal with a Metropolis–Hastings
  accept/reject, whose stationary law is exactly ∝ exp(-β V) in the box whatever dt;
  used for the biased dataset, whose weights assume the exact biased measure.
"""

from __future__ import annotations

import logging
import math

import numpy as np
import torch

from mdcv.data import Dataset, log_weights_to_weights
from mdcv.toy.potentials import Potential, gradient

log = logging.getLogger(__name__)


def _box_tensors(box, dtype):
    box = torch.as_tensor(box, dtype=dtype)
    return box[:, 0], box[:, 1]


def initial_walkers(potential: Potential, beta: float, box, n_walkers: int,
                    generator: torch.Generator, oversample: int = 50) -> torch.Tensor:
    """Walkers drawn ∝ exp(-β V) in the box by sampling-importance-resampling.

    ``oversample`` × ``n_walkers`` uniform points are resampled with weights exp(-β V);
    a burn-in afterwards removes what is left of the approximation.
    """
    lo, hi = _box_tensors(box, torch.float64)
    u = torch.rand((oversample * n_walkers, 2), generator=generator, dtype=torch.float64)
    points = lo + (hi - lo) * u
    with torch.no_grad():
        v = potential(points)
    logw = -beta * (v - v.min())
    idx = torch.multinomial(torch.exp(logw), n_walkers, replacement=True, generator=generator)
    return points[idx].clone()


def _reflect(x: torch.Tensor, lo: torch.Tensor, hi: torch.Tensor) -> torch.Tensor:
    """Fold positions back into the box (mirror at the walls)."""
    width = hi - lo
    y = torch.remainder(x - lo, 2 * width)
    return lo + torch.where(y > width, 2 * width - y, y)


def run(potential: Potential, beta: float, box, x0: torch.Tensor, n_steps: int, dt: float,
        stride: int, generator: torch.Generator, metropolis: bool = False,
        progress_every: int = 0) -> tuple[np.ndarray, float]:
    """Advance walkers ``x0`` (m, 2) for ``n_steps``; keep every ``stride``-th state.

    Returns the saved states (n_steps // stride, m, 2) as float64 numpy and the MALA
    acceptance rate (1.0 without ``metropolis``).
    """
    lo, hi = _box_tensors(box, x0.dtype)
    x = x0.clone()
    v, g = gradient(potential, x)
    noise_scale = math.sqrt(2.0 * dt / beta)
    saved = []
    accepted = 0.0
    for step in range(1, n_steps + 1):
        noise = torch.randn(x.shape, generator=generator, dtype=x.dtype)
        proposal = x - dt * g + noise_scale * noise
        if metropolis:
            inside = ((proposal >= lo) & (proposal <= hi)).all(dim=1)
            proposal = torch.where(inside[:, None], proposal, x)
            v_new, g_new = gradient(potential, proposal)
            # log q(x | y) - log q(y | x) for the Gaussian MALA proposal.
            fwd = ((proposal - x + dt * g) ** 2).sum(1)
            bwd = ((x - proposal + dt * g_new) ** 2).sum(1)
            log_alpha = -beta * (v_new - v) - (bwd - fwd) * beta / (4 * dt)
            u = torch.rand(x.shape[0], generator=generator, dtype=x.dtype)
            accept = inside & (torch.log(u) < log_alpha)
            x = torch.where(accept[:, None], proposal, x)
            v = torch.where(accept, v_new, v)
            g = torch.where(accept[:, None], g_new, g)
            accepted += accept.double().mean().item()
        else:
            x = _reflect(proposal, lo, hi)
            v, g = gradient(potential, x)
        if step % stride == 0:
            saved.append(x.numpy().copy())
        if progress_every and step % progress_every == 0:
            log.info("step %d/%d", step, n_steps)
    if not torch.isfinite(x).all():
        raise FloatingPointError("Langevin walkers left the finite range; reduce dt")
    states = np.stack(saved) if saved else np.empty((0, *x.shape))
    return states, (accepted / n_steps if metropolis else 1.0)


def biased_dataset(potential: Potential, beta: float, box, *, potential_fraction: float,
                   n_samples: int, n_walkers: int, dt: float, stride: int, burn_in: int,
                   metropolis: bool, seed: int) -> tuple[Dataset, dict]:
    """Samples of exp(-f β V) reweighted to μ ∝ exp(-β V).

    The bias is V_bias = (f - 1) V, so the weights are w ∝ exp(β V_bias) =
    exp(-(1 - f) β V), normalized to mean 1. Returns the dataset and run statistics.
    """
    gen = torch.Generator().manual_seed(seed)
    beta_run = potential_fraction * beta
    x0 = initial_walkers(potential, beta_run, box, n_walkers, gen)
    if burn_in:
        burnt, _ = run(potential, beta_run, box, x0, burn_in, dt, burn_in, gen, metropolis)
        x0 = torch.as_tensor(burnt[-1])
    n_saved = math.ceil(n_samples / n_walkers)
    states, acceptance = run(potential, beta_run, box, x0, n_saved * stride, dt, stride, gen,
                             metropolis, progress_every=max(1, n_saved * stride // 10))
    # (time, walker, 2) -> walker-major so each trajectory is contiguous.
    x = states.transpose(1, 0, 2).reshape(-1, 2)[: n_saved * n_walkers]
    traj = np.repeat(np.arange(n_walkers), n_saved)
    t = np.tile(np.arange(1, n_saved + 1) * stride * dt, n_walkers)
    keep = even_subset(len(x), n_samples)
    x, traj, t = x[keep], traj[keep], t[keep]
    with torch.no_grad():
        v = potential(torch.as_tensor(x, dtype=torch.float64)).numpy()
    w = log_weights_to_weights(-(1.0 - potential_fraction) * beta * v)
    ess = w.sum() ** 2 / (w**2).sum()
    ds = Dataset(x=x, w=w, t=t, traj=traj,
                 extra={"v": v, "beta": np.float64(beta), "box": np.asarray(box, dtype=float)})
    return ds, {"acceptance": acceptance, "effective_sample_size": float(ess), "n": len(x)}


def unbiased_trajectories(potential: Potential, beta: float, box, *, n_walkers: int,
                          length: float, dt: float, stride: int, seed: int,
                          burn_in: int = 0) -> Dataset:
    """Euler–Maruyama trajectories of the unbiased dynamics, one per walker.

    Walkers start ∝ exp(-β V) (:func:`initial_walkers`, then ``burn_in`` MALA steps),
    so the pooled trajectories sample μ; ``traj`` labels each walker's trajectory.
    """
    gen = torch.Generator().manual_seed(seed)
    x0 = initial_walkers(potential, beta, box, n_walkers, gen)
    if burn_in:
        burnt, _ = run(potential, beta, box, x0, burn_in, dt, burn_in, gen, metropolis=True)
        x0 = torch.as_tensor(burnt[-1])
    x, traj, t = rollout(potential, beta, box, x0, length, dt, stride, gen)
    with torch.no_grad():
        v = potential(torch.as_tensor(x, dtype=torch.float64)).numpy()
    return Dataset(x=x, w=np.ones(len(x)), t=t, traj=traj,
                   extra={"v": v, "beta": np.float64(beta), "box": np.asarray(box, dtype=float)})


def rollout(potential: Potential, beta: float, box, x0: torch.Tensor, length: float, dt: float,
            stride: int, generator: torch.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Euler–Maruyama trajectories from the starts x0 (m, 2), one per walker.

    Frame 0 is the start, then every ``stride`` steps up to ``length``. Returns the
    frames (m·n_frames, 2) walker-major, the trajectory ids and the times (t = 0 at
    each start), as the dataset contract wants them.
    """
    n_steps = int(round(length / dt))
    states, _ = run(potential, beta, box, x0, n_steps, dt, stride, generator, metropolis=False,
                    progress_every=max(1, n_steps // 10))
    states = np.concatenate([x0.numpy()[None], states])
    n_saved = states.shape[0]
    x = states.transpose(1, 0, 2).reshape(-1, 2)
    traj = np.repeat(np.arange(x0.shape[0]), n_saved)
    t = np.tile(np.arange(n_saved) * stride * dt, x0.shape[0])
    return x, traj, t


def even_subset(n: int, m: int) -> np.ndarray:
    """Indices of ``m`` of ``n`` items spread evenly (all if m >= n)."""
    if m >= n:
        return np.arange(n)
    return np.unique(np.linspace(0, n - 1, m).round().astype(int))
