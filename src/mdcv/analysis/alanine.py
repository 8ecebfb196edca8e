"""Alanine dipeptide stage: the MSM and shooting reference drivers, the eigenvalue table.

Every eigenvalue is a generator eigenvalue in ns⁻¹ and carries its diffusion
convention: ``uniform`` (one D for all atoms, the BD reference's dynamics),
``mass_weighted`` (D_i = k_BT/(γ m_i)), ``langevin`` (the physical underdamped
dynamics: no overdamped convention; its MSM's implied rates) or ``study`` (the
published values: NAMD, CHARMM-type force field, ABF bias, the study's code,
D = 1 nm²/ns for all atoms, i.e. ``uniform``).

What runs and which files the table reads is planned by :mod:`mdcv.workflow.alanine`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

log = logging.getLogger(__name__)

TABLE_COLUMNS = ["system", "method", "index", "eigenvalue", "std", "timescale_ns", "unit",
                 "convention", "readout", "detail", "lo", "hi"]
PHI_CUT = 2.2  # rad: φ at the unpopulated gap between C7ax/αL (≈ 1 rad) and β (≈ ±3 rad)
REFERENCE_METHODS = {"bd": "msm-bd-uniform", "langevin": "msm-langevin"}
SHOOTING_METHOD = "tpt-bd-uniform"  # committor shooting with the BD dynamics (λ_1 only)


# --- MSM reference ---------------------------------------------------------------------------
def msm_reference(runs, biased, settings: dict, seed: int) -> dict:
    """The MSM reference of one system and dynamics from its runs dataset.

    ``runs``/``biased``: :class:`mdcv.data.Dataset` with ``phi``, ``psi``; ``settings``:
    the ``alanine.reference`` config. Returns tables ``eigenvalues`` (index, eigenvalue,
    std, timescale_ns at ``lag_ps``), ``scan`` (over lags and run counts), ``ck``
    (Chapman–Kolmogorov) and arrays ``eigenvector`` (slowest right eigenvector on the
    biased frames) and ``centres``.
    """
    from mdcv.reference import msm

    rng = np.random.default_rng(seed)
    dt_ps = float(np.median(np.diff(runs.t[: min(len(runs.t), 50)])))
    n_states = int(settings["states"])
    km, (d_runs, d_biased) = msm.discretize((runs["phi"], runs["psi"]),
                                            [(runs["phi"], runs["psi"]),
                                             (biased["phi"], biased["psi"])], n_states, seed)
    dtrajs = msm.split(d_runs, runs.traj)
    pi = msm.state_weights(d_biased, biased.w, n_states) if settings["stationary"] == "biased" else None
    k = int(settings["k"])
    lags = [max(1, round(lag / dt_ps)) for lag in settings["lags_ps"]]
    lag = max(1, round(settings["lag_ps"] / dt_ps))
    main = msm.estimate(dtrajs, lag, dt_ps, n_states, pi, k)
    boot = msm.bootstrap(dtrajs, lag, dt_ps, n_states, pi, k, int(settings["n_bootstrap"]), rng)
    std = np.nanstd(boot, axis=0)
    lam = main["eigenvalues"]
    eig = pd.DataFrame({"index": np.arange(1, k + 1), "eigenvalue": lam, "std": std,
                        "timescale_ns": 1.0 / lam, "lag_ps": lag * dt_ps, "runs": len(dtrajs),
                        "run_ns": float(np.bincount(runs.traj).mean() * dt_ps / 1000.0),
                        "states": len(main["states"]), "stationary": settings["stationary"],
                        "phi_crossings": msm.phi_crossings(runs["phi"], runs.traj)})
    scan = msm.implied_timescales(dtrajs, sorted(set(lags) | {lag}), dt_ps, n_states, pi, k,
                                  int(settings["n_bootstrap"]), rng,
                                  run_counts=[max(2, len(dtrajs) // 4), max(2, len(dtrajs) // 2)])
    try:
        ck = msm.ck_test(main["model"], dtrajs, lag, 2, int(settings["ck_steps"]))
    except (ValueError, RuntimeError, IndexError) as err:  # disconnected at longer lags
        log.warning("Chapman–Kolmogorov test failed: %s", err)
        ck = pd.DataFrame(columns=["step", "lag_frames", "set_from", "set_to", "predicted", "estimated"])
    vec = msm.slowest_eigenvector(main, km, biased["phi"], biased["psi"])
    log.info("MSM (%d runs, lag %.3g ps, %d states, π %s): λ = %s ± %s 1/ns", len(dtrajs),
             lag * dt_ps, len(main["states"]), settings["stationary"], np.round(lam, 4),
             np.round(std, 4))
    return {"eigenvalues": eig, "scan": scan, "ck": ck, "eigenvector": vec}


def shooting_reference(shots: dict, biased, settings: dict, seed: int) -> pd.DataFrame:
    """λ_1 of the BD dynamics by committor shooting (:mod:`mdcv.reference.shooting`), one row.

    ``shots``: the arrays of :func:`mdcv.reference.runs.make_shooting_runs`; ``biased``: the
    biased dataset (weights, φ); ``settings``: ``alanine.reference.shooting`` (its
    ``cores``: :func:`mdcv.reference.cores.phi_cores`, as for the runs' starts). Columns:
    ``index`` (1), ``eigenvalue``, ``lo``/``hi`` and ``std`` (ns⁻¹; percentile interval at
    ``level`` of a block bootstrap over stretches of ``block_ps`` of the biased
    trajectory, :func:`mdcv.stats.block_bootstrap`), ``timescale_ns``, ``nu`` (reactive
    flux, ns⁻¹), ``rho_b`` (E_μ[q] ≈ μ(C7ax/αL)), ``var_q`` and the sample counts.
    """
    from mdcv.reference import shooting
    from mdcv.reference.cores import phi_cores
    from mdcv.stats import block_ids

    k = int(shots["runs_per_start"])
    if len(shots["start_index"]) == 0:
        log.warning("committor shooting had no start frame between the φ cores: λ_1 is NaN")
        return pd.DataFrame([{"index": 1, "eigenvalue": np.nan, "std": np.nan, "lo": np.nan,
                              "hi": np.nan, "timescale_ns": np.nan, "starts": 0, "runs_per_start": k,
                              "reactive_pairs": 0, "unresolved_runs": 0, "transition_frames": 0,
                              "run_ps": float(settings["length_ps"]),
                              "save_every_ps": float(shots["save_every_ps"])}])
    cores = settings["cores"]
    core, time_ps = _shooting_hits(shots, cores)
    stats = shooting.start_statistics(core, time_ps / 1000.0, k)  # ns: rates in 1/ns
    rng = np.random.default_rng(seed)
    blocks = block_ids(biased.t, float(settings["block_ps"]), biased.traj)
    res = shooting.rate(biased.w, phi_cores(biased["phi"], cores), shots["start_index"], stats,
                        blocks, int(settings["n_bootstrap"]), rng, float(settings["level"]))
    hit_ps = time_ps[core >= 0]
    log.info("committor shooting: %d starts × %d runs, %d reactive pairs, %d unresolved runs; "
             "λ_1 = %.3g 1/ns [%.3g, %.3g]", res["starts"], k, res["reactive_pairs"],
             res["unresolved_runs"], res["eigenvalue"], res["lo"], res["hi"])
    if res["unresolved_runs"]:
        log.warning("%d shooting runs entered no core within %g ps: lengthen "
                    "alanine.reference.shooting.length_ps", res["unresolved_runs"],
                    float(np.max(shots["t"])))
    return pd.DataFrame([{
        "index": 1, "eigenvalue": res["eigenvalue"], "std": res["std"], "lo": res["lo"],
        "hi": res["hi"], "level": float(settings["level"]), "blocks": res["blocks"],
        "block_ps": float(settings["block_ps"]), "timescale_ns": 1.0 / res["eigenvalue"],
        "nu": res["nu"], "rho_b": res["rho_b"],
        "var_q": res["var_q"], "starts": res["starts"], "runs_per_start": k,
        "reactive_pairs": res["reactive_pairs"], "unresolved_runs": res["unresolved_runs"],
        "transition_frames": res["transition_frames"],
        "run_ps": float(np.max(shots["t"])), "save_every_ps": float(shots["save_every_ps"]),
        "median_hit_ps": float(np.median(hit_ps)) if len(hit_ps) else np.nan}])


def shooting_cores(system: str, shots: dict, biased, settings: dict, seed: int) -> pd.DataFrame:
    """The shooting λ_1 (ns⁻¹) re-read with each core choice, ``cores`` first, then
    ``core_table`` (:func:`mdcv.reference.shooting.core_choices`: same runs, same number of
    starts, same bootstrap blocks): results/tables/shooting_cores.csv rows of ``system``."""
    from mdcv.reference import shooting
    from mdcv.stats import block_ids

    columns = ["system", "cores", "lambda1", "lo", "hi", "std", "starts", "runs",
               "reactive_pairs", "unresolved_runs", "rho_b"]
    if len(shots["start_index"]) == 0:
        return pd.DataFrame(columns=columns)
    rows = shooting.core_choices(
        biased["phi"], biased.w, block_ids(biased.t, float(settings["block_ps"]), biased.traj),
        shots["start_index"], shots["phi"], shots["run"], shots["t"] / 1000.0,
        int(shots["runs_per_start"]), [settings["cores"], *settings["core_table"]],
        int(settings["n_bootstrap"]), float(settings["level"]), seed)
    table = pd.DataFrame(rows).rename(columns={"eigenvalue": "lambda1"})
    table.insert(0, "system", system)
    return table[columns]


def _shooting_hits(shots: dict, cores) -> tuple[np.ndarray, np.ndarray]:
    """Core each shooting run enters first, and when (ps): :func:`mdcv.reference.shooting.first_hits`."""
    from mdcv.reference import shooting
    from mdcv.reference.cores import phi_cores

    return shooting.first_hits(phi_cores(shots["phi"], cores), shots["run"], shots["t"])


def shooting_committors(shots: dict, settings: dict) -> pd.DataFrame:
    """Per start frame: the committor estimate q̂ (fraction of runs entering core b first).

    Columns ``start_index`` (biased frame), ``q`` (all runs), ``q_half_1``/``q_half_2``
    (the first and second half of the runs, for the split-half reliability that bounds
    any Spearman ρ against q̂) and ``resolved_runs``. A learned φ_1 should order the
    barrier frames as q does (near the barrier φ_1 ≈ affine in q for a two-state process).
    """
    from mdcv.reference import shooting

    columns = ["start_index", "q", "q_half_1", "q_half_2", "resolved_runs"]
    k = int(shots["runs_per_start"])
    if len(shots["start_index"]) == 0:
        return pd.DataFrame(columns=columns)
    core, time_ps = _shooting_hits(shots, settings["cores"])
    stats = shooting.start_statistics(core, time_ps, k)
    core, time_ps = core.reshape(-1, k), time_ps.reshape(-1, k)
    h = k // 2

    def half_q(part: slice) -> np.ndarray:  # q̂ from the runs `part` of each start
        if h < 2:
            return np.full(len(core), np.nan)
        return shooting.start_statistics(core[:, part].ravel(), time_ps[:, part].ravel(),
                                         part.stop - part.start)["q"]

    halves = [half_q(slice(0, h)), half_q(slice(h, k))]
    return pd.DataFrame({"start_index": shots["start_index"], "q": stats["q"],
                         "q_half_1": halves[0], "q_half_2": halves[1],
                         "resolved_runs": k - stats["unresolved"]})[columns]


# --- the table -------------------------------------------------------------------------------
def _rows(system, method, values, stds, convention, readout, detail="", lo=np.nan,
          hi=np.nan) -> pd.DataFrame:
    values = np.asarray(values, dtype=float)
    with np.errstate(divide="ignore"):
        ts = np.where(values > 0, 1.0 / values, np.inf)
    return pd.DataFrame({"system": system, "method": method, "index": np.arange(1, len(values) + 1),
                         "eigenvalue": values, "std": np.asarray(stds, dtype=float),
                         "timescale_ns": ts, "unit": "1/ns", "convention": convention,
                         "readout": readout, "detail": detail,
                         "lo": np.broadcast_to(np.asarray(lo, dtype=float), values.shape),
                         "hi": np.broadcast_to(np.asarray(hi, dtype=float), values.shape)})


def published_rows(published: dict) -> pd.DataFrame:
    """The study's values (vacuum, CHARMM-type force field in NAMD, ABF bias)."""
    return _rows("ala2-vacuum", "study-published", published["eigenvalues"], published["std"],
                 "study", "rayleigh", published["detail"])


def learner_rows(system: str, method: str, convention: str, readouts, run=None) -> pd.DataFrame:
    """Rows of one trained learner: every read-out in its readouts.csv (rayleigh, ritz, galerkin).

    ``readouts``, ``run``: the model directory's readouts.csv and run.json (its
    ``folds`` names a cross-fitted learner). Where readouts.csv has ``frames_effective``
    (generator learners), the detail names on how many frames the eigenfunction's
    energy rests: a held-out value carried by a few frames is heavy-tailed, and its
    bootstrap std understates its error.
    """
    table = pd.read_csv(readouts)
    if table.empty:
        return pd.DataFrame(columns=TABLE_COLUMNS)
    folds = json.loads(Path(run).read_text()).get("folds") if run is not None else None
    out = []
    for readout, part in table.groupby("readout", sort=False):
        detail = "std: bootstrap over samples (the estimator's floor)" if readout != "rayleigh" \
            else "mean ± std over the last average_last steps"
        if folds and readout == "rayleigh":
            detail = f"mean of the {folds} cross-fitted members' read-outs; std: their spread"
        elif folds:
            detail = f"average of {folds} cross-fitted members; {detail}"
        lo, hi = (part.get(c, pd.Series(np.nan, index=part.index)).to_numpy(dtype=float)
                  for c in ("lo", "hi"))
        if np.isfinite(lo).any():
            detail = (f"{detail.split('; std:')[0]}; std, lo, hi: block bootstrap over stretches "
                      "of the frames (percentile interval)")
        frames = part.get("frames_effective", pd.Series(np.nan, index=part.index))
        details = [detail if not np.isfinite(x) else f"{detail}; energy on {x:.3g} effective frames"
                   for x in frames.to_numpy(dtype=float)]
        out.append(_rows(system, method, part["eigenvalue"], part["std"], convention, readout,
                         details, lo, hi))
    return pd.concat(out, ignore_index=True)


def reference_rows(system: str, dynamics: str, path) -> pd.DataFrame:
    eig = pd.read_csv(path)
    first = eig.iloc[0]
    detail = (f"{int(first['runs'])} runs × {first['run_ns']:.3g} ns, lag {first['lag_ps']:g} ps, "
              f"{int(first['states'])} states, π {first['stationary']}, "
              f"{int(first.get('phi_crossings', -1))} C7eq⇄C7ax crossings observed; "
              "std: bootstrap over runs")
    convention = "uniform" if dynamics == "bd" else "langevin"
    return _rows(system, REFERENCE_METHODS[dynamics], eig["eigenvalue"], eig["std"], convention,
                 "msm", detail)


def shooting_rows(system: str, path) -> pd.DataFrame:
    """The committor-shooting row (``tpt-bd-uniform``): λ_1 of the BD dynamics."""
    eig = pd.read_csv(path)
    first = eig.iloc[0]
    detail = (f"committor shooting: {int(first['starts'])} starts between the φ cores × "
              f"{int(first['runs_per_start'])} BD runs of {first['run_ps']:g} ps, "
              f"{int(first['reactive_pairs'])} reactive pairs; λ = ν/Var(q), an upper bound; "
              "std, lo, hi: block bootstrap over stretches of the biased trajectory")
    return _rows(system, SHOOTING_METHOD, eig["eigenvalue"], eig["std"], "uniform", "tpt", detail,
                 eig.get("lo", np.nan), eig.get("hi", np.nan))


#: The effective-dynamics rows' block bootstrap: stretches (ps) and draws.
EFFECTIVE_BLOCK_PS = 1000.0
EFFECTIVE_DRAWS = 200


def effective_rows(system: str, learner: str, torchscript, dataset, diffusion_constant: float,
                   n_cells: int) -> pd.DataFrame:
    """λ̃_1 (1/ns) of the effective dynamics along a learned CV (its best output), ``uniform``.

    ``torchscript``: the learner's model.ts; ``diffusion_constant`` in nm²/ns.
    """
    import torch

    from mdcv.analysis.effective import best_cv_output, effective_spectrum
    from mdcv.stats import block_ids

    model = torch.jit.load(str(torchscript))
    d = np.full(dataset.dim, float(diffusion_constant))
    idx, z, g = best_cv_output(model, dataset.x, dataset.w, d, n_cells)
    blocks = block_ids(dataset.t, EFFECTIVE_BLOCK_PS, dataset.traj)
    eff = effective_spectrum(z, g, dataset.w, d, n_cells, n_eigen=1, n_boot=EFFECTIVE_DRAWS,
                             blocks=blocks)
    return _rows(system, f"effective-{learner}", eff.eigenvalues, eff.std, "uniform", "effective",
                 f"CV output {idx + 1}; std, lo, hi: block bootstrap over "
                 f"{EFFECTIVE_BLOCK_PS / 1000:g} ns stretches of the biased run, "
                 f"{EFFECTIVE_DRAWS} draws", eff.lo, eff.hi)


def spearman_rows(system: str, cv_files: Mapping[str, str | Path], biased, eigenvector=None,
                  committors: pd.DataFrame | None = None) -> pd.DataFrame:
    """|Spearman| of each learner's first function vs φ, the MSM's slowest eigenvector
    and the shooting committor (``cv_files``: learner → its cv.npz).

    φ is unwrapped with its cut at 2.2 rad (126°, an unpopulated gap between C7ax/αL and
    β), so it orders C7eq/β/αR (φ < 0, and β just past ±180°) against C7ax/αL on the
    biased frames; the MSM vector is the reference eigenfunction. ``committors``
    (:func:`shooting_committors`) adds ``spearman_committor``: ρ against q̂ on the
    shooting start frames (between the φ cores, where φ_1 carries its slope), beside
    ``spearman_committor_phi`` (φ itself there) and ``spearman_committor_ceiling`` (the
    split-half reliability of q̂, Spearman–Brown corrected: no function can do better).
    """
    from scipy.stats import spearmanr

    rows = []
    phi = np.mod(np.asarray(biased["phi"]) - PHI_CUT, 2 * np.pi)  # the cut in the gap
    # the ceiling: a function constant on each basin (the ideal φ1 of a two-state
    # process) has this |ρ| against φ, from the ties alone
    step = (phi > np.mod(0.0 - PHI_CUT, 2 * np.pi)).astype(float)
    ceiling = abs(spearmanr(step, phi).statistic)
    shot = {}
    if committors is not None and len(committors) >= 3:
        c = committors[np.isfinite(committors["q"])]
        half = c[np.isfinite(c["q_half_1"]) & np.isfinite(c["q_half_2"])]
        r = spearmanr(half["q_half_1"], half["q_half_2"]).statistic if len(half) >= 3 else np.nan
        shot = {"index": c["start_index"].to_numpy(int), "q": c["q"].to_numpy(),
                "ceiling": 2 * r / (1 + r) if np.isfinite(r) and r > -1 else np.nan}
        shot["phi"] = abs(spearmanr(phi[shot["index"]], shot["q"]).statistic)
    for learner, cv_file in cv_files.items():
        cv = np.load(cv_file)
        f = cv["sorted_cv"][:, 0] if "sorted_cv" in cv.files else cv["cv"][:, 0]
        if len(f) != len(phi):
            continue
        row = {"system": system, "learner": learner,
               "spearman_phi": abs(spearmanr(f, phi).statistic),
               "spearman_phi_two_state_ceiling": ceiling,
               "spearman_basin_indicator": abs(spearmanr(f, step).statistic)}
        if eigenvector is not None:
            row["spearman_msm"] = abs(spearmanr(f, eigenvector).statistic)
        if shot:
            row.update({"spearman_committor": abs(spearmanr(f[shot["index"]], shot["q"]).statistic),
                        "spearman_committor_phi": shot["phi"],
                        "spearman_committor_ceiling": shot["ceiling"],
                        "committor_starts": len(shot["q"])})
        rows.append(row)
    return pd.DataFrame(rows)


def build_table(plan: dict, files: Mapping[str, Sequence], published: dict,
                cells: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """results/tables/alanine_eigenvalues.csv and alanine_spearman.csv.

    ``plan``: :func:`mdcv.workflow.alanine.table_plan`; ``files``: the table rule's
    inputs (:func:`mdcv.workflow.alanine.table_inputs`), lists in the plan's order.
    Generator and transfer learners: every read-out (rayleigh, ritz, galerkin); every
    CV learner (generator, autoencoders): ``effective-<learner>``, λ̃_1 along its best
    output under the ``uniform`` convention (an upper bound of the uniform λ_1); the
    MSM references; the committor-shooting λ_1 (``tpt-bd-uniform``); the study's
    published values.
    """
    from mdcv import data

    parts = [published_rows(published)]
    datasets = {s: data.load(f) for s, f in zip(plan["systems"], files["datasets"], strict=True)}
    vectors = dict(zip(plan["eigenvectors"], files["eigenvectors"], strict=True))
    committor_files = dict(zip(plan["shooting"], files["committors"], strict=True))
    learners = [{**e, "readouts": r, "run": j, "torchscript": m, "cv": c}
                for e, r, j, m, c in zip(plan["learners"], files["readouts"], files["runs"],
                                         files["models"], files["cvs"], strict=True)]
    spearman = []
    for system in datasets:
        vec = np.load(vectors[system])["eigenvector"] if system in vectors else None
        cvs = {e["learner"]: e["cv"] for e in learners
               if e["system"] == system and e["kind"] == "generator"}
        q_file = committor_files.get(system)
        committors = pd.read_csv(q_file) if q_file else None
        spearman.append(spearman_rows(system, cvs, datasets[system], vec, committors))
    for ref, path in zip(plan["references"], files["references"], strict=True):
        parts.append(reference_rows(ref["system"], ref["dynamics"], path))
    for system, path in zip(plan["shooting"], files["shooting"], strict=True):
        parts.append(shooting_rows(system, path))
    for e in learners:
        if e["kind"] in ("generator", "transfer"):
            parts.append(learner_rows(e["system"], e["method"], e["convention"], e["readouts"],
                                      e["run"]))
        if e["kind"] != "transfer":
            parts.append(effective_rows(e["system"], e["learner"], e["torchscript"],
                                        datasets[e["system"]], e["diffusion_constant"], cells))
    table = pd.concat([p for p in parts if not p.empty], ignore_index=True)[TABLE_COLUMNS]
    spear = pd.concat(spearman, ignore_index=True) if spearman else pd.DataFrame()
    return table, spear
