"""Markov state models of many short unbiased runs: the independent alanine reference.

The slow φ process of alanine dipeptide (C7eq ⇄ C7ax) takes about a microsecond under
Brownian dynamics with D = 1 nm²/ns, so one long run will not do. The reference
instead starts many short runs from frames of the biased ensemble spread over (φ, ψ)
(:func:`mdcv.reference.runs.spread_starts`), discretizes (φ, ψ) by k-means on the torus embedding
(cos φ, sin φ, cos ψ, sin ψ) (:func:`discretize`), counts transitions at the lag and
estimates a reversible MSM with deeptime. The runs do not start from equilibrium, so
their counts alone do not give the right populations: with ``stationary: biased``
the stationary distribution is fixed to the reweighted biased data (π_k = Σ w over the
biased frames in state k; deeptime's ``stationary_distribution_constraint``), and
only the kinetics come from the runs; ``estimated`` lets the reversible MLE estimate
π from the counts (biased towards the start distribution; for comparison).

Eigenvalues are those of the generator, λ_i = -ln|σ_i(τ)|/τ in ns⁻¹, with σ_i the
MSM's eigenvalues at lag τ; timescales 1/λ_i in ns. Uncertainty: a bootstrap over
runs (resampled with replacement, the whole estimate repeated), reported as std.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from mdcv.errors import DataError
from mdcv.reference.cores import phi_cores
from mdcv.units import PS_PER_NS

log = logging.getLogger(__name__)


def torus(phi, psi) -> np.ndarray:
    """(n, 4) embedding (cos φ, sin φ, cos ψ, sin ψ) of angles in radians."""
    phi, psi = np.asarray(phi, dtype=np.float64), np.asarray(psi, dtype=np.float64)
    return np.stack([np.cos(phi), np.sin(phi), np.cos(psi), np.sin(psi)], axis=1)


def discretize(phi_psi_fit, phi_psi_all: list, n_states: int, seed: int):
    """k-means (deeptime) on the torus embedding; returns (centres, [dtraj per array])."""
    from deeptime.clustering import KMeans

    fit = torus(*phi_psi_fit)
    km = KMeans(n_clusters=n_states, init_strategy="kmeans++", max_iter=100, fixed_seed=seed,
                n_jobs=1).fit(fit).fetch_model()
    return km, [km.transform(torus(*pp)).astype(np.int32) for pp in phi_psi_all]


def state_weights(dtraj_biased: np.ndarray, w: np.ndarray, n_states: int) -> np.ndarray:
    """π_k ∝ Σ w over the biased frames in state k (the reweighted populations)."""
    pi = np.bincount(dtraj_biased, weights=w, minlength=n_states).astype(np.float64)
    return pi / pi.sum()


def split(dtraj: np.ndarray, traj: np.ndarray) -> list[np.ndarray]:
    """One discrete trajectory per run id (frames of a run contiguous and in order)."""
    cuts = np.flatnonzero(np.diff(traj)) + 1
    return [np.ascontiguousarray(p) for p in np.split(dtraj, cuts)]


def estimate(dtrajs: list, lag: int, dt_ps: float, n_states: int, pi=None, k: int = 2) -> dict:
    """Reversible MSM at ``lag`` frames; generator eigenvalues λ_1..λ_k (ns⁻¹).

    ``pi``: stationary distribution over the ``n_states`` states (constraint), or None
    (estimated). States outside the largest connected set (or with π = 0) are dropped
    and π renormalized on the rest. Returns ``eigenvalues`` (k,), ``sigma`` (k,),
    ``model`` (deeptime MSM), ``states`` (the kept state ids) and ``pi`` (on them).
    """
    from deeptime.markov import TransitionCountEstimator
    from deeptime.markov.msm import MaximumLikelihoodMSM

    counts = TransitionCountEstimator(lag, "sliding", n_states=n_states).fit(dtrajs).fetch_model()
    if pi is not None:
        keep = np.flatnonzero(np.asarray(pi) > 0)
        counts = counts.submodel(keep)
    # With π fixed, detailed balance π_i T_ij = π_j T_ji lets counts j → i inform i → j,
    # so a weakly connected set suffices (short runs from the barrier leave the minor basin
    # but rarely enter it); without π, the reversible MLE needs strong connectivity.
    counts = counts.submodel_largest(directed=pi is None)
    states = counts.state_symbols
    if len(states) < k + 1:
        raise DataError(f"MSM at lag {lag}: only {len(states)} connected states, need {k + 1}")
    constraint = None
    if pi is not None:
        # deeptime wants π on the full state set and uses its entries on the kept states
        constraint = np.asarray(pi, dtype=np.float64).copy()
        constraint /= constraint[states].sum()
    msm = MaximumLikelihoodMSM(reversible=True, stationary_distribution_constraint=constraint,
                               lagtime=lag).fit(counts).fetch_model()
    sigma = np.abs(msm.eigenvalues(k + 1)[1:])
    tau_ns = lag * dt_ps / PS_PER_NS
    with np.errstate(divide="ignore"):
        lam = -np.log(np.clip(sigma, 1e-300, 1.0)) / tau_ns
    return {"eigenvalues": lam, "sigma": sigma, "model": msm, "states": states,
            "pi": msm.stationary_distribution, "tau_ns": tau_ns}


def bootstrap(dtrajs: list, lag: int, dt_ps: float, n_states: int, pi, k: int, n_boot: int,
              rng: np.random.Generator) -> np.ndarray:
    """(n_boot, k) eigenvalues from runs resampled with replacement (failed draws: NaN)."""
    out = np.full((n_boot, k), np.nan)
    for b in range(n_boot):
        pick = rng.integers(0, len(dtrajs), len(dtrajs))
        try:
            out[b] = estimate([dtrajs[i] for i in pick], lag, dt_ps, n_states, pi, k)["eigenvalues"]
        except (DataError, ValueError, RuntimeError) as err:
            log.warning("bootstrap draw %d failed: %s", b, err)
    return out


def implied_timescales(dtrajs: list, lags, dt_ps: float, n_states: int, pi, k: int, n_boot: int,
                       rng: np.random.Generator, run_counts=None) -> pd.DataFrame:
    """λ_i and their bootstrap std over lags (all runs) and over numbers of runs (last lag).

    Rows: ``scan`` (lag | runs), ``lag_ps``, ``runs``, ``index``, ``eigenvalue`` (ns⁻¹),
    ``std``, ``timescale_ns``.
    """
    rows = []
    cases = [("lag", int(lag), len(dtrajs)) for lag in lags]
    for m in run_counts or []:
        if 2 <= m <= len(dtrajs):
            cases.append(("runs", int(lags[-1]), int(m)))
    for scan, lag, m in cases:
        sub = dtrajs[:m]
        try:
            lam = estimate(sub, lag, dt_ps, n_states, pi, k)["eigenvalues"]
        except (DataError, ValueError, RuntimeError) as err:
            log.warning("MSM at lag %d with %d runs failed: %s", lag, m, err)
            continue
        std = np.nanstd(bootstrap(sub, lag, dt_ps, n_states, pi, k, n_boot, rng), axis=0)
        for i in range(k):
            rows.append({"scan": scan, "lag_ps": lag * dt_ps, "runs": m, "index": i + 1,
                         "eigenvalue": lam[i], "std": std[i], "timescale_ns": 1.0 / lam[i]})
    return pd.DataFrame(rows)


def ck_test(msm_model, dtrajs: list, lag: int, n_sets: int = 2, mlags: int = 4) -> pd.DataFrame:
    """Chapman–Kolmogorov test on ``n_sets`` PCCA+ sets: P(stay/go) predicted vs estimated.

    Rows: ``step`` (multiples of the lag), ``set_from``, ``set_to``, ``predicted``,
    ``estimated`` (probabilities).
    """
    from deeptime.markov import TransitionCountEstimator
    from deeptime.markov.msm import MaximumLikelihoodMSM

    models = [msm_model]
    n_states = int(max(d.max() for d in dtrajs)) + 1
    for m in range(2, mlags + 1):
        counts = TransitionCountEstimator(lag * m, "sliding", n_states=n_states).fit(dtrajs)
        counts = counts.fetch_model().submodel(msm_model.count_model.state_symbols)
        models.append(MaximumLikelihoodMSM(reversible=True, lagtime=lag * m).fit(counts).fetch_model())
    ck = msm_model.ck_test(models, n_sets)
    rows = []
    for s, step in enumerate(ck.lagtimes):
        for a in range(n_sets):
            for b in range(n_sets):
                rows.append({"step": int(step // lag), "lag_frames": int(step), "set_from": a,
                             "set_to": b, "predicted": float(np.real(ck.predictions[s, a, b])),
                             "estimated": float(np.real(ck.estimates[s, a, b]))})
    return pd.DataFrame(rows)


def phi_crossings(phi, traj) -> int:
    """C7eq/β ⇄ C7ax/αL transitions in the runs: changes of the last core set visited.

    Cores: :func:`phi_cores`; frames between cores keep the last core (milestoning),
    vectorized per frame.
    """
    core = phi_cores(phi)
    first = np.r_[True, np.asarray(traj)[1:] != np.asarray(traj)[:-1]]
    idx = np.where((core >= 0) | first, np.arange(len(core)), 0)
    filled = core[np.maximum.accumulate(idx)]
    change = (filled[1:] != filled[:-1]) & (filled[1:] >= 0) & (filled[:-1] >= 0) & ~first[1:]
    return int(change.sum())


def slowest_eigenvector(result: dict, km, phi, psi) -> np.ndarray:
    """The MSM's slowest right eigenvector evaluated on frames (φ, ψ) via their states."""
    dtraj = km.transform(torus(phi, psi))
    vec = np.zeros(km.n_clusters)
    right = result["model"].eigenvectors_right(2)[:, 1]
    vec[result["states"]] = right
    return vec[dtraj]
