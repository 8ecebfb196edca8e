"""Committor shooting: the slowest rate of a two-core process from very short runs.

A Markov state model needs transitions between the basins at its lag. When the slow
process takes microseconds and the runs last nanoseconds, the runs hardly ever cross,
and an MSM of them reflects the discretization rather than the rate. Transition path
theory (E, Vanden-Eijnden; Metzner, Schütte, Vanden-Eijnden 2006) needs only paths
across the transition region, which last picoseconds:

- cores A and B (labels 0 and 1) and the committor q(x) = P(reach B before A | x);
- the reactive flux ν (A → B transitions per unit time at equilibrium) equals the
  Dirichlet form of q, E(q) = Σ_i D_i E_μ[(∂_i q)²] for overdamped dynamics;
- the reactive-path density is μ(x) q_A(x) q_B(x) (reversible dynamics: the backward
  committor is the forward one), so ν = E_μ[q_A q_B / T(x)], with T(x) the duration
  of the reactive path through x.

Estimator. From a start x, k independent runs each go until they first enter a core.
For runs i ≠ j with i ending in A and j in B, the reversed run i followed by run j is
a reactive path through x of duration t_i + t_j (time reversal of a reversible
process), so the mean over ordered pairs of 1{i → A, j → B} / (t_i + t_j) is an
unbiased estimate of q_A q_B E[1/T | x], and ν is its μ-average. The starts are
frames of a biased dataset outside both cores, reweighted to μ by their weights w.
With q estimated the same way (mean of 1{i → B}; q² from pairs), the committor's
Rayleigh quotient

    λ = ν / Var_μ(q)

is an upper bound on the slowest nonzero generator eigenvalue λ_1 (q is a trial
function whose Dirichlet form is ν), and equals the two-state rate k_AB + k_BA =
ν / (ρ_A ρ_B) of transition path theory up to μ(transition region). Rates are in the
inverse unit of the run times given.

Uncertainty: a bootstrap over contiguous blocks of the biased frames; it resamples
the reweighted populations and the shot starts together.
"""

from __future__ import annotations

import logging

import numpy as np

from mdcv.errors import DataError

log = logging.getLogger(__name__)
CORE_A, CORE_B = 0, 1


def first_hits(labels, run, t) -> tuple[np.ndarray, np.ndarray]:
    """Core each run enters first, and when: (core (m,), time (m,)).

    ``labels`` (n,): -1 outside the cores, else the core (0 = A, 1 = B) of each frame;
    ``run`` (n,): run id, each run's frames contiguous and in time order; ``t`` (n,):
    time since the run's start. Frame 0 of a run (its start) does not count. Runs that
    enter no core get core -1 and time NaN. Vectorized over frames.
    """
    labels, run, t = np.asarray(labels), np.asarray(run), np.asarray(t, dtype=np.float64)
    if not (len(labels) == len(run) == len(t)):
        raise DataError("labels, run and t must have one entry per frame")
    new = np.r_[True, run[1:] != run[:-1]]
    run_index = np.cumsum(new) - 1
    hit = np.flatnonzero((labels >= 0) & ~new)
    n_runs = int(new.sum())
    first = np.full(n_runs, -1)
    runs_hit, pos = np.unique(run_index[hit], return_index=True)  # hit is sorted: first frame
    first[runs_hit] = hit[pos]
    core = np.where(first >= 0, labels[np.maximum(first, 0)], -1)
    time = np.where(first >= 0, t[np.maximum(first, 0)], np.nan)
    return core.astype(int), time


def start_statistics(core, time, runs_per_start: int) -> dict:
    """Per start: committor q_B, its square from pairs, reactive term g; from k runs each.

    ``core``/``time`` (s·k,): :func:`first_hits` of the runs, the k runs of a start
    consecutive. Runs that entered no core are left out; starts with fewer than two
    resolved runs get NaN. ``g`` = mean over ordered pairs (i ≠ j) of
    1{i → A, j → B} / (t_i + t_j), an unbiased estimate of q_A q_B E[1/T] (1/time).
    """
    k = int(runs_per_start)
    core = np.asarray(core).reshape(-1, k)
    time = np.asarray(time, dtype=np.float64).reshape(-1, k)
    if k < 2:
        raise DataError("committor shooting needs at least 2 runs per start")
    to_a, to_b = core == CORE_A, core == CORE_B
    n_ok = (to_a | to_b).sum(axis=1).astype(np.float64)
    pairs = n_ok * (n_ok - 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        inv = 1.0 / (time[:, :, None] + time[:, None, :])
        reactive = np.where(to_a[:, :, None] & to_b[:, None, :], inv, 0.0).sum(axis=(1, 2))
        n_b = to_b.sum(axis=1)
        out = {"g": reactive / pairs, "q": n_b / n_ok, "q2": n_b * (n_b - 1.0) / pairs}
    bad = n_ok < 2
    for v in out.values():
        v[bad] = np.nan
    out["reactive_pairs"] = (to_a.sum(axis=1) * to_b.sum(axis=1)).astype(int)
    out["unresolved"] = (k - n_ok).astype(int)
    return out


def _estimate(frames, w, labels, stats) -> dict:
    """ν, E[q], Var(q), λ on the biased frames ``frames`` (indices, repeats allowed).

    ``stats``: per-frame g, q, q2 (NaN where not shot) for the transition frames; each
    unshot transition frame takes the weighted mean of the shot ones (a ratio estimator:
    the shot starts are a uniform subsample of the transition region).
    """
    wf, lab = w[frames], labels[frames]
    total = wf.sum()
    w_b = wf[lab == CORE_B].sum()
    w_t = wf[lab < 0].sum()
    shot = np.isfinite(stats["g"][frames])
    ws = wf[shot]
    if ws.sum() <= 0:
        return {"nu": np.nan, "rho_b": np.nan, "var_q": np.nan, "eigenvalue": np.nan}
    mean = {key: (ws * stats[key][frames][shot]).sum() / ws.sum() for key in ("g", "q", "q2")}
    nu = w_t * mean["g"] / total
    e_q = (w_b + w_t * mean["q"]) / total
    e_q2 = (w_b + w_t * mean["q2"]) / total
    var_q = e_q2 - e_q**2
    return {"nu": nu, "rho_b": e_q, "var_q": var_q, "eigenvalue": nu / var_q}


def rate(w, labels, start_index, stats: dict, blocks: int, n_boot: int,
         rng: np.random.Generator) -> dict:
    """The committor's Rayleigh quotient λ = ν / Var_μ(q) and its block-bootstrap std.

    ``w`` (n,): weights of the biased frames (any normalization); ``labels`` (n,): core
    of each biased frame (-1, 0, 1); ``start_index`` (s,): the shot frames (outside the
    cores); ``stats``: :func:`start_statistics` of their runs. Returns ``eigenvalue``,
    ``std``, ``nu`` (reactive flux), ``rho_b`` (E_μ[q] ≈ μ(B)), ``var_q`` and counts.
    """
    w = np.asarray(w, dtype=np.float64)
    labels = np.asarray(labels)
    start_index = np.asarray(start_index)
    if np.any(labels[start_index] >= 0):
        raise DataError("shot start frames must lie outside both cores")
    if not (np.any(labels == CORE_A) and np.any(labels == CORE_B)):
        raise DataError("the biased data must visit both cores to weigh them")
    per_frame = {}
    for key in ("g", "q", "q2"):
        v = np.full(len(w), np.nan)
        v[start_index] = stats[key]
        per_frame[key] = v
    n = len(w)
    main = _estimate(np.arange(n), w, labels, per_frame)
    edges = np.linspace(0, n, max(2, int(blocks)) + 1).astype(int)
    block_frames = [np.arange(a, b) for a, b in zip(edges[:-1], edges[1:], strict=True)]
    boot = np.full(int(n_boot), np.nan)
    for b in range(int(n_boot)):  # a loop over resamples; each one is vectorized
        pick = rng.integers(0, len(block_frames), len(block_frames))
        boot[b] = _estimate(np.concatenate([block_frames[i] for i in pick]), w, labels,
                            per_frame)["eigenvalue"]
    finite = boot[np.isfinite(boot)]
    main.update(std=float(np.std(finite)) if len(finite) > 1 else np.nan,
                starts=int(np.isfinite(stats["g"]).sum()),
                reactive_pairs=int(np.sum(stats["reactive_pairs"])),
                unresolved_runs=int(np.sum(stats["unresolved"])),
                transition_frames=int(np.sum(labels < 0)))
    return main
