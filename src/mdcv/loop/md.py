"""The loop's steps for a molecule (GROMACS): round 0 from the study's data, and the three
runs of round r + 1 along round r's CV, as plain functions (the rules' scripts call these).

Round 0 is the study's φ/ψ-biased dataset (its AWH and biased run). Round r + 1:

1. :func:`awh_run`: AWH along ξ_r, the first output of round r's model (a learner with
   ``features: dihedrals``, exported as a GROMACS pull coordinate,
   :mod:`mdcv.md.pullcv`), range from ξ_r on round r's frames (:mod:`mdcv.md.cvround`),
   started from the study's equilibrated state;
2. :func:`fixed_bias`: F_r(ξ) from ``gmx awh``, and the fixed bias
   V_b = -c·min(F_r - min F_r, cap) fitted as a smooth function (:mod:`mdcv.md.cvbias`);
3. :func:`production_run`: a production run under V_b continuing the AWH run's state;
4. :func:`production_samples`: the production's frames as the study's features (aligned
   coordinates, φ, ψ) with weights w ∝ exp(V_b/kT), V_b checked against the bias
   GROMACS applied; and the round's statistics (``samples_stats.json``).

Simulated time counts every run of the round (AWH and production); transitions are
counted on the production frames only (C7eq/β ⇄ C7ax/αL, :func:`mdcv.md.cvround.transitions`).
Units: ps, ns (``ns_simulated``), kJ/mol, radians.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from mdcv import data
from mdcv.errors import DataError
from mdcv.loop.bias import ess_fraction
from mdcv.md import cvbias, cvnet, cvround, features, mdp, molecule, simulate
from mdcv.units import PS_PER_NS

log = logging.getLogger(__name__)
#: mdrun names the pull output so that a restart (-cpi) finds it.
PULL_OUTPUT = ("-px", "pullx.xvg")


def _stats(ds: data.Dataset, ns_simulated: float, phi, t, traj, extra: Mapping) -> dict:
    count = cvround.transitions(phi, t, traj)
    return {"samples": int(ds.n), "ns_simulated": float(ns_simulated),
            "transitions": int(count["transitions"]),
            "transitions_per_ns": float(count["transitions_per_ns"]),
            "ns_sampled": float(count["ns_simulated"]), "ess_fraction": ess_fraction(ds.w), **extra}


def round0(dataset, out, stats_out, ns_simulated: float) -> dict:
    """Round 0: the study's biased dataset as the round's samples, and its statistics
    (``ns_simulated``: the study's AWH and biased runs, ns)."""
    ds = data.load(dataset)
    for key in ("phi",):
        if ds.get(key) is None:
            raise DataError(f"{dataset} has no {key!r}: round 0 needs the study's biased "
                            "features (workflow/rules/features.smk)")
    stats = _stats(ds, ns_simulated, ds["phi"], ds.t, ds.traj, {"source": str(dataset)})
    data.save(ds, out)
    Path(stats_out).write_text(json.dumps(stats, indent=2))
    log.info("round 0 samples: %s", stats)
    return stats


def _cv(model_dir) -> cvnet.CVNetwork:
    return cvnet.from_model(cvnet.load_model(model_dir), 0)


def _frames(ds: data.Dataset, source) -> np.ndarray:
    """Whole-molecule coordinates (n, 22, 3) nm of a dataset of all solute atoms (aligned:
    dihedrals do not change under the rigid fit)."""
    if ds.x.shape[1] != 3 * len(molecule.ATOMS):
        raise DataError(f"{source}: {ds.x.shape[1]} coordinates per frame; the CV's dihedrals "
                        f"need all {len(molecule.ATOMS)} solute atoms (md.features.atoms: all)")
    return np.asarray(ds.x, dtype=np.float64).reshape(ds.n, len(molecule.ATOMS), 3)


def awh_run(settings: Mapping, template_dir, model_dir, samples, gro, top, index, cpt,
            round_: int, length_ps: float, work: Mapping, outputs: Mapping, layout: str,
            margin: float) -> dict:
    """Round ``round_``'s AWH run along the previous round's CV; returns the AWH range.

    ``work``: ``tpr``, ``index`` (the system's index plus the CV's groups), ``workdir``,
    ``log``, ``range`` (JSON written: start, end of ξ). ``outputs`` as
    :func:`mdcv.md.simulate.run_mdp`.
    """
    cv = _cv(model_dir)
    ds = data.load(samples)
    theta = cvbias.frame_angles(cv.atoms, _frames(ds, samples))
    text, block = cvround.awh_mdp(settings, template_dir, cv, theta, ds.w, length_ps, round_,
                                  margin=margin, layout=layout)
    block.write_index(index, work["index"])
    speed = simulate.run_mdp(text, settings, gro, top, work["index"], work["tpr"],
                             work["workdir"], work["log"], outputs, checkpoint=cpt,
                             extra=PULL_OUTPUT)
    awh = cvround.awh_settings(cv, theta, ds.w, settings, round_, margin)
    span = {"start": awh["start"][0], "end": awh["end"][0], "ns_per_day": speed,
            "length_ps": length_ps, "expression_chars": len(block.mdp)}
    Path(work["range"]).write_text(json.dumps(span, indent=2))
    log.info("round %d AWH along the CV: %s", round_, span)
    return span


def fixed_bias(edr, tpr, span_file, xvg, pmf_out, bias_out, logfile, fit: Mapping) -> dict:
    """F along the CV from the AWH run and the fitted fixed bias; returns the fit report.

    ``fit``: ``fraction``, ``cap`` (kJ/mol), ``smooth``, ``degree``, ``fit_tolerance``
    (kJ/mol), as :func:`mdcv.md.cvbias.fit`.
    """
    span = json.loads(Path(span_file).read_text())
    pmf = cvbias.awh_pmf(edr, tpr, xvg, logfile, span["start"], span["end"])
    pmf.save(pmf_out)
    bias = cvbias.fit(pmf, fraction=fit["fraction"], cap=fit["cap"], smooth=fit["smooth"],
                      degree=fit["degree"], tolerance=fit["fit_tolerance"])
    cvbias.save_bias(bias, bias_out)
    report = {"fit_error": bias.fit_error,
              "bias_min": float(bias(pmf.xi).min()), "bias_max": float(bias(pmf.xi).max())}
    log.info("fixed bias along the CV: %s", report)
    return report


def production_run(settings: Mapping, template_dir, model_dir, bias_file, gro, top, index,
                   cpt, round_: int, length_ps: float, work: Mapping, outputs: Mapping,
                   layout: str) -> float | None:
    """Round ``round_``'s production under the fixed bias along the CV; ns/day.
    ``work``: ``tpr``, ``index``, ``workdir``, ``log``."""
    cv = _cv(model_dir)
    text, block = cvround.production_mdp(settings, template_dir, cv,
                                         cvbias.load_bias(bias_file), length_ps, round_,
                                         layout=layout)
    block.write_index(index, work["index"])
    return simulate.run_mdp(text, settings, gro, top, work["index"], work["tpr"],
                            work["workdir"], work["log"], outputs, checkpoint=cpt,
                            extra=PULL_OUTPUT)


def production_samples(xtc, edr, solute, reference, model_dir, bias_file, feats: Mapping,
                       ns_simulated: float, out, stats_out) -> dict:
    """The production's frames as a dataset (the study's features, weights from V_b,
    checked against GROMACS's ``COM Pull En.`` within ``feats['tolerance']`` kJ/mol) and
    the round's statistics (all 22 solute atoms, as the CV needs). ``feats``: ``discard_ps``,
    ``temperature``, ``tolerance``."""
    cv, bias = _cv(model_dir), cvbias.load_bias(bias_file)
    ref = features.reference_structure(reference, solute)
    f = features.featurize([xtc], solute, ref, "all", feats["discard_ps"])
    kT = mdp.kT(feats["temperature"])
    xyz = f["x"].astype(np.float64).reshape(len(f["x"]), -1, 3)
    frames = cvround.biased_frames(cv, bias, xyz, kT, cvbias.gromacs_bias(edr, f["t"]),
                                   feats["tolerance"], source=str(edr))
    ds = features.to_dataset(f, kT, frames["v_bias"], extra={"xi": frames["xi"]})
    stats = _stats(ds, ns_simulated, f["phi"], f["t"], f["traj"],
                   {"bias_max_deviation": frames["max_dev"]})
    data.save(ds, out)
    Path(stats_out).write_text(json.dumps(stats, indent=2))
    log.info("round samples: %s", stats)
    return stats


def simulated_ns(awh_ps: float, production_ps: float) -> float:
    """A round's simulated time in ns."""
    return (awh_ps + production_ps) / PS_PER_NS
