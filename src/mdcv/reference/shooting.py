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

Uncertainty: a block bootstrap (:func:`mdcv.stats.block_bootstrap`) over contiguous
stretches of the biased trajectory, percentile intervals; it resamples the reweighted
populations and the shot starts together.
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


def rate(w, labels, start_index, stats: dict, blocks, n_boot: int, rng: np.random.Generator,
         level: float = 0.95) -> dict:
    """The committor's Rayleigh quotient λ = ν / Var_μ(q) and its block-bootstrap interval.

    ``w`` (n,): weights of the biased frames (any normalization); ``labels`` (n,): core
    of each biased frame (-1, 0, 1); ``start_index`` (s,): the shot frames (outside the
    cores); ``stats``: :func:`start_statistics` of their runs; ``blocks`` (n,): the block
    of each biased frame (:func:`mdcv.stats.block_ids`, contiguous stretches of time),
    resampled ``n_boot`` times with the shot starts they hold. Returns ``eigenvalue``,
    ``lo``/``hi`` (percentile interval at ``level``), ``std`` (of the draws), ``nu``
    (reactive flux), ``rho_b`` (E_μ[q] ≈ μ(B)), ``var_q`` and counts.
    """
    from mdcv.stats import block_bootstrap

    w = np.asarray(w, dtype=np.float64)
    labels = np.asarray(labels)
    start_index = np.asarray(start_index)
    if np.any(labels[start_index] >= 0):
        raise DataError("shot start frames must lie outside both cores")
    if not (np.any(labels == CORE_A) and np.any(labels == CORE_B)):
        raise DataError("the biased data must visit both cores to weigh them")
    blocks = np.asarray(blocks)
    if len(blocks) != len(w):
        raise DataError(f"{len(blocks)} block labels for {len(w)} biased frames: one per frame")
    per_frame = {}
    for key in ("g", "q", "q2"):
        v = np.full(len(w), np.nan)
        v[start_index] = stats[key]
        per_frame[key] = v
    main = _estimate(np.arange(len(w)), w, labels, per_frame)
    boot = block_bootstrap(lambda frames: _estimate(frames, w, labels, per_frame)["eigenvalue"],
                           blocks, int(n_boot), level, rng)
    main.update(lo=float(boot["lo"]), hi=float(boot["hi"]), std=float(boot["std"]),
                blocks=int(blocks.max()) + 1 if len(blocks) else 0,
                starts=int(np.isfinite(stats["g"]).sum()),
                reactive_pairs=int(np.sum(stats["reactive_pairs"])),
                unresolved_runs=int(np.sum(stats["unresolved"])),
                transition_frames=int(np.sum(labels < 0)))
    return main


def core_choices(phi_biased, w, blocks, start_index, run_phi, run, t, runs_per_start: int,
                 choices: list, n_boot: int, level: float, seed: int) -> list[dict]:
    """λ from the same shooting runs re-read with each core choice, at equal statistics.

    ``phi_biased`` (n,), ``w`` (n,), ``blocks`` (n,): φ (radians), weights and bootstrap
    blocks of the biased frames; ``start_index`` (s,): the shot frames, a uniform draw
    from between ``choices[0]`` (the cores the runs were started for); ``run_phi``,
    ``run``, ``t``: φ, run id and time of every run frame, ``runs_per_start`` runs per
    start in start order. Every choice must contain ``choices[0]`` (cores as
    :func:`mdcv.reference.cores.phi_cores` takes them), so the shot starts in its
    transition region are a uniform sample of it; each choice keeps the same number of
    them, the fewest any choice has, taken in one fixed random order (the sets nest), and
    draws the same bootstrap blocks. One dict per choice: ``cores``, ``eigenvalue``,
    ``lo``, ``hi``, ``std``, ``starts``, ``runs`` and counts; times as given (rates in
    their inverse).
    """
    from mdcv.reference.cores import phi_cores

    k = int(runs_per_start)
    start_index = np.asarray(start_index)
    base = phi_cores(phi_biased, choices[0])
    labels = [phi_cores(phi_biased, c) for c in choices]
    for choice, lab in zip(choices, labels, strict=True):
        if np.any((base >= 0) & (lab != base)):
            raise DataError(f"core choice {dict(choice)} does not contain the shooting cores "
                            f"{dict(choices[0])}: its transition region has frames never shot "
                            "from; widen its cores (or shoot between narrower ones)")
    order = np.random.default_rng(seed).permutation(len(start_index))
    between = [lab[start_index][order] < 0 for lab in labels]
    m = int(min(b.sum() for b in between))
    out = []
    for choice, lab, inside in zip(choices, labels, between, strict=True):
        keep = np.sort(order[inside][:m])
        core, time = first_hits(phi_cores(run_phi, choice), run, t)
        core, time = core.reshape(-1, k)[keep].ravel(), time.reshape(-1, k)[keep].ravel()
        res = rate(w, lab, start_index[keep], start_statistics(core, time, k), blocks, n_boot,
                   np.random.default_rng(seed), level)
        out.append({"cores": f"a={list(choice['a'])} b={list(choice['b'])}",
                    **{key: res[key] for key in ("eigenvalue", "lo", "hi", "std", "rho_b",
                                                 "reactive_pairs", "unresolved_runs")},
                    "starts": m, "runs": m * k})
    return out
