"""Committor shooting on a toy 2D potential: the alanine reference's estimator against the grid.

The alanine λ_1 reference (:mod:`mdcv.reference.shooting`) cannot be checked on the
molecule; here the same estimator runs where the answer is known. Recipe, as for
alanine: biased samples (:func:`mdcv.toy.langevin.biased_dataset`, weights to μ); two
cores, discs of ``core_radius`` around the two deepest minima of the grid potential;
``starts`` frames between them drawn uniformly; ``runs_per_start`` unbiased
Euler–Maruyama runs from each until they enter a core (:func:`first_entry`, all runs in
one tensor); then :func:`mdcv.reference.shooting.start_statistics` and
:func:`~mdcv.reference.shooting.rate` with a block bootstrap over the walkers' stretches.

Two exact numbers on the grid (SqRA generator of :mod:`mdcv.toy.reference`): λ_1, and
the committor's own Rayleigh quotient λ_q = E(q)/Var_μ(q) for the same cores
(:func:`committor_quotient`), an upper bound of λ_1. The shooting λ estimates λ_q, so
λ/λ_q - 1 is the estimator's error and λ_q/λ_1 - 1 the part that the choice of cores
adds. Times are the potential's time unit (friction 1).
"""

from __future__ import annotations

import logging
import math
import time

import numpy as np
import scipy.sparse.linalg as spla
import torch

from mdcv.reference import shooting
from mdcv.stats import block_ids
from mdcv.toy import langevin, reference
from mdcv.toy.potentials import Potential, gradient

log = logging.getLogger(__name__)


def deepest_minima(spectrum: reference.Spectrum, count: int = 2) -> np.ndarray:
    """The ``count`` deepest local minima of the grid potential (count, 2), deepest first:
    cells lower than their 8 neighbours (cells on the box edge left out)."""
    v = spectrum.potential
    inner = v[1:-1, 1:-1]
    lower = np.ones(inner.shape, dtype=bool)
    for dx in (-1, 0, 1):
        for dy in (-1, 0, 1):  # the 8 neighbours, each one array comparison
            if dx or dy:
                lower &= inner < v[1 + dx:v.shape[0] - 1 + dx, 1 + dy:v.shape[1] - 1 + dy]
    ix, iy = np.nonzero(lower)
    if len(ix) < count:
        raise ValueError(f"the grid potential has {len(ix)} local minima, {count} needed for "
                         "two cores: enlarge the box or refine the grid")
    order = np.argsort(inner[ix, iy])[:count]
    return np.stack([spectrum.x[ix[order] + 1], spectrum.y[iy[order] + 1]], axis=1)


def core_labels(points, centres, radius: float) -> np.ndarray:
    """Core of each point (n,): 0 or 1 within ``radius`` of ``centres[0]``/``centres[1]``,
    -1 between."""
    points = np.asarray(points, dtype=np.float64)
    dist = np.linalg.norm(points[:, None, :] - np.asarray(centres)[None], axis=2)
    labels = np.full(len(points), -1)
    for core in (1, 0):
        labels[dist[:, core] < radius] = core
    return labels


def committor_quotient(spectrum: reference.Spectrum, centres, radius: float) -> float:
    """λ_q = E(q)/Var_μ(q) of the exact committor q (0 on core 0, 1 on core 1) on the grid.

    q solves L q = 0 between the cores with the SqRA rate matrix Q; its Dirichlet form is
    E(q) = ½ Σ_ij π_i Q_ij (q_j - q_i)², the reactive flux of transition path theory.
    """
    hx, hy = spectrum.x[1] - spectrum.x[0], spectrum.y[1] - spectrum.y[0]
    q_mat = reference.generator_matrix(spectrum.potential, spectrum.beta, hx, hy, symmetric=False)
    gx, gy = np.meshgrid(spectrum.x, spectrum.y, indexing="ij")
    labels = core_labels(np.stack([gx.ravel(), gy.ravel()], axis=1), centres, radius)
    free = labels < 0
    q = (labels == 1).astype(np.float64)
    rhs = -(q_mat[free][:, ~free] @ q[~free])
    q[free] = spla.spsolve(q_mat[free][:, free].tocsc(), rhs)
    pi = spectrum.density.ravel()
    coo = q_mat.tocoo()
    off = coo.row != coo.col
    energy = 0.5 * np.sum(pi[coo.row[off]] * coo.data[off] * (q[coo.col[off]] - q[coo.row[off]]) ** 2)
    mean = np.sum(pi * q)
    return float(energy / (np.sum(pi * q * q) - mean**2))


def first_entry(potential: Potential, beta: float, box, x0: torch.Tensor, centres, radius: float,
                dt: float, max_time: float, generator: torch.Generator
                ) -> tuple[np.ndarray, np.ndarray]:
    """Core each run enters first (0, 1; -1 if none by ``max_time``) and when (m,).

    Euler–Maruyama steps of dX = -∇V dt + sqrt(2 dt/β) ξ from the starts ``x0`` (m, 2),
    reflected at the box walls (:func:`mdcv.toy.langevin.run`'s stepper); a run stops
    at the first step that lands in a core. Vectorized over the runs still going.
    """
    lo, hi = (torch.as_tensor(np.asarray(box, dtype=np.float64)[:, i]) for i in (0, 1))
    c = torch.as_tensor(np.asarray(centres, dtype=np.float64))
    x = x0.clone().to(torch.float64)
    core = torch.full((len(x),), -1, dtype=torch.long)
    hit_time = torch.full((len(x),), float("nan"), dtype=torch.float64)
    active = torch.arange(len(x))
    scale = math.sqrt(2.0 * dt / beta)
    n_steps = int(math.ceil(max_time / dt))
    for step in range(1, n_steps + 1):  # a loop over time steps, each one tensor operation
        xa = x[active]
        _, g = gradient(potential, xa)
        noise = torch.randn(xa.shape, generator=generator, dtype=xa.dtype)
        xa = langevin._reflect(xa - dt * g + scale * noise, lo, hi)
        x[active] = xa
        dist = torch.linalg.norm(xa[:, None, :] - c[None], dim=2)
        label = torch.where(dist[:, 1] < radius, 1, torch.where(dist[:, 0] < radius, 0, -1))
        done = label >= 0
        core[active[done]] = label[done]
        hit_time[active[done]] = step * dt
        active = active[~done]
        if len(active) == 0:
            break
    return core.numpy(), hit_time.numpy()


def check(potential: Potential, system: dict, settings: dict, seed: int,
          spectrum: reference.Spectrum | None = None) -> dict:
    """One seed of the shooting check on one system: a row of shooting_check.csv.

    ``system``: ``beta``, ``box``, ``grid`` (cells per axis), ``core_radius``;
    ``settings``: ``sampling`` (keyword arguments of
    :func:`mdcv.toy.langevin.biased_dataset` but the seed), ``starts``,
    ``runs_per_start``, ``dt``, ``max_time``, ``block`` (time unit), ``n_bootstrap``,
    ``level``. ``spectrum``: the grid spectrum, computed when not given.
    """
    t0 = time.perf_counter()
    beta, box, radius = float(system["beta"]), system["box"], float(system["core_radius"])
    if spectrum is None:
        spectrum = reference.compute_spectrum(potential, beta, box, tuple(system["grid"]), 1)
    centres = deepest_minima(spectrum)
    lam_q = committor_quotient(spectrum, centres, radius)
    rng = np.random.default_rng(seed)
    ds, _ = langevin.biased_dataset(potential, beta, box, seed=int(rng.integers(2**31)),
                                    **settings["sampling"])
    labels = core_labels(ds.x, centres, radius)
    between = np.flatnonzero(labels < 0)
    starts = np.sort(rng.choice(between, min(int(settings["starts"]), len(between)), replace=False))
    k = int(settings["runs_per_start"])
    gen = torch.Generator().manual_seed(int(rng.integers(2**31)))
    x0 = torch.as_tensor(np.repeat(ds.x[starts].astype(np.float64), k, axis=0))
    core, hit = first_entry(potential, beta, box, x0, centres, radius, float(settings["dt"]),
                            float(settings["max_time"]), gen)
    stats = shooting.start_statistics(core, hit, k)
    res = shooting.rate(ds.w, labels, starts, stats, block_ids(ds.t, float(settings["block"]),
                                                               ds.traj),
                        int(settings["n_bootstrap"]), rng, float(settings["level"]))
    lam1 = float(spectrum.eigenvalues[1])
    log.info("seed %d: λ = %.4g [%.4g, %.4g], committor quotient %.4g, grid λ1 %.4g",
             seed, res["eigenvalue"], res["lo"], res["hi"], lam_q, lam1)
    return {"seed": int(seed), "lambda1_grid": lam1, "lambda_committor": lam_q,
            "lambda1_shooting": res["eigenvalue"], "lo": res["lo"], "hi": res["hi"],
            "rel_err": res["eigenvalue"] / lam1 - 1.0,
            "rel_err_committor": res["eigenvalue"] / lam_q - 1.0,
            "rho_b": res["rho_b"], "starts": res["starts"], "runs_per_start": k,
            "reactive_pairs": res["reactive_pairs"], "unresolved_runs": res["unresolved_runs"],
            "blocks": res["blocks"], "core_radius": radius, "dt": float(settings["dt"]),
            "samples": ds.n, "wall_s": time.perf_counter() - t0}


def check_step(params: dict, seed: int, base_dir=".") -> dict:
    """The rule's step: one seed on one system from :func:`mdcv.workflow.params.shooting_check`."""
    from mdcv.toy.potentials import load_potential

    system = params["system"]
    potential = load_potential(system["potential"], base_dir)
    row = check(potential, system, params["settings"], seed)
    return {"system": system["name"], **row}
