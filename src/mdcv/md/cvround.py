"""The GROMACS runs of one round of the CV loop, and the transitions they make.

Round r + 1 (r ≥ 0) runs AWH along round r's exported CV ξ (:mod:`mdcv.md.pullcv`),
then a production run under the fixed bias along ξ fitted to that AWH PMF
(:mod:`mdcv.md.cvbias`). Everything but the pull block is the study's dynamics of the
system (:func:`mdcv.md.mdp.dynamics_mdp`: stages ``awh`` and ``biased``, same
integrator, step and output intervals); the round number enters the seeds (run
``round`` of the stage; the study's own runs are run 0).

AWH settings along ξ follow the study's along an angle (``md.awh``): the range is the
CV's range on the round's frames plus ``margin`` of it at each end; the force constant
keeps as many umbrella widths √(kT/k) across the range as ``md.awh.force_constant``
across 2π rad; the diffusion is ``md.awh.diffusion`` (rad²/ps) times the weighted mean
of |∇_θ ξ|² over the frames. Units: ps, kJ/mol, CV units, radians.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from mdcv import seeds
from mdcv.errors import ConfigError, DataError
from mdcv.md import mdp, pullcv
from mdcv.md.cvbias import DEFAULTS, FixedBias, check_bias, frame_angles, weights, with_bias
from mdcv.md.cvnet import CVNetwork

#: Fraction of the CV's range on the frames added at each end of the AWH range.
MARGIN = 0.1
_H = 1e-6  # radians: central-difference step of the CV gradient


def cv_gradient(cv: CVNetwork, theta) -> np.ndarray:
    """∂ξ/∂θ (n, m) per radian at dihedrals ``theta`` (n, m), by central differences."""
    theta = np.asarray(theta, dtype=np.float64)
    n, m = theta.shape
    steps = _H * np.eye(m)
    shifted = (theta[None] + np.concatenate([steps, -steps])[:, None]).reshape(-1, m)
    values = cv(shifted).reshape(2, m, n)
    return ((values[0] - values[1]) / (2 * _H)).T


def awh_settings(cvs: CVNetwork | Sequence[CVNetwork], theta, w, settings: Mapping,
                 round_: int, margin: float = MARGIN) -> dict:
    """The AWH block's settings along ``cvs`` (for :func:`mdcv.md.pullcv.pull_block`).

    ``cvs``: one CV (1D AWH) or several components (one AWH dimension each; start, end,
    force constant and diffusion per dimension). ``theta`` (n, m) radians and ``w`` (n,)
    weights: the round's frames; ``settings``: a system's merged md settings (``dt``,
    ``energy_every_ps``, ``awh``, ``seed``, ``name``).
    """
    cvs = [cvs] if isinstance(cvs, CVNetwork) else list(cvs)
    theta = np.asarray(theta, dtype=np.float64)
    w = np.asarray(w, dtype=np.float64)
    if theta.ndim != 2 or len(theta) < 2 or len(w) != len(theta):
        raise DataError(f"need frames' dihedrals (n ≥ 2, m) and n weights; got {theta.shape} "
                        f"and {w.shape}")
    if margin < 0:
        raise ConfigError(f"the AWH margin must be ≥ 0 (fraction of the range), got {margin}")
    awh = settings["awh"]
    out = {"start": [], "end": [], "force_constant": [], "diffusion": []}
    for j, cv in enumerate(cvs):
        xi = cv(theta)
        lo, hi = float(xi.min()), float(xi.max())
        if not hi > lo:
            raise DataError(f"CV component {j} takes one value ({lo}) on all {len(xi)} "
                            "frames: no AWH range")
        start, end = lo - margin * (hi - lo), hi + margin * (hi - lo)
        grad2 = np.average((cv_gradient(cv, theta) ** 2).sum(1), weights=w)
        out["start"].append(start)
        out["end"].append(end)
        out["force_constant"].append(float(awh["force_constant"] * (2 * np.pi / (end - start)) ** 2))
        out["diffusion"].append(float(awh["diffusion"] * grad2))
    energy = mdp.every(settings["energy_every_ps"], settings["dt"])
    nstout = max(energy, mdp.every(awh["output_every"], settings["dt"]) // energy * energy)
    return {"potential": awh["potential"], "seed": _seed(settings, "awh", round_),
            "nstout": nstout, "nstsample": awh["nstsample"],
            "nsamples_update": awh["nsamples_update"], "error_init": awh["error_init"], **out}


def _seed(settings: Mapping, stage: str, round_: int) -> int:
    if int(round_) < 1:
        raise ConfigError(f"loop runs belong to round 1 or later (round 0 is the study's own "
                          f"data), got round {round_}")
    return seeds.derive(settings["seed"], settings["name"], "cv-loop", stage, int(round_))


def awh_mdp(settings: Mapping, template_dir, cvs: CVNetwork | Sequence[CVNetwork], theta, w,
            length_ps: float, round_: int, margin: float = MARGIN, layout: str = "auto"
            ) -> tuple[str, pullcv.PullCV]:
    """The .mdp text of round ``round_``'s AWH run along ``cvs`` (one CV, or components
    on the same dihedrals: one AWH dimension each) and its pull block (the index groups
    to append to the system's index: :meth:`PullCV.write_index`)."""
    _seed(settings, "awh", round_)
    awh = awh_settings(cvs, theta, w, settings, round_, margin)
    energy = mdp.stage_values(settings, "awh", length_ps, round_)["nstenergy"]
    block = pullcv.pull_block(cvs, nstxout=energy, awh=awh, layout=layout)
    text = mdp.dynamics_mdp(settings, "awh", length_ps, template_dir, run=round_, pull=block.mdp)
    return text, block


def production_mdp(settings: Mapping, template_dir, cv: CVNetwork, bias: FixedBias,
                   length_ps: float, round_: int, layout: str = "auto"
                   ) -> tuple[str, pullcv.PullCV]:
    """The .mdp text of round ``round_``'s production run under ``bias`` along ``cv``,
    and its pull block. The CV is recorded (pullx.xvg) and the bias energy written
    (``COM Pull En.``) at every saved frame."""
    _seed(settings, "biased", round_)
    save = mdp.stage_values(settings, "biased", length_ps, round_)["nstxout"]
    block = with_bias(pullcv.pull_block(cv, nstxout=save, layout=layout), bias)
    text = mdp.dynamics_mdp(settings, "biased", length_ps, template_dir, run=round_,
                            pull=block.mdp)
    return text, block


def biased_frames(cv: CVNetwork, bias: FixedBias, xyz, kT: float, v_gromacs=None,
                  tolerance: float = DEFAULTS["tolerance"], source: str = "the run") -> dict:
    """Dihedrals ``theta`` (n, m) rad, ``xi`` (n,), ``v_bias`` (n,) kJ/mol and weights
    ``w`` (n,) ∝ exp(V_b/kT), mean 1, of the frames ``xyz`` (n, atoms, 3) nm (whole
    molecules: :func:`mdcv.md.features.load_solute`) of a run under ``bias``. With
    ``v_gromacs`` (the applied bias at the frames, :func:`mdcv.md.cvbias.gromacs_bias`)
    the two are compared first
    (:func:`mdcv.md.cvbias.check_bias`); ``max_dev`` is the largest difference (kJ/mol).
    """
    theta = frame_angles(cv.atoms, xyz)
    xi = cv(theta)
    v = bias(xi)
    dev = None if v_gromacs is None else check_bias(v, v_gromacs, tolerance, source)
    return {"theta": theta, "xi": xi, "v_bias": v, "w": weights(v, kT), "max_dev": dev}


def transitions(phi, t_ps, traj=None, cores=None) -> dict:
    """C7eq/β ⇄ C7ax/αL transitions of φ time series (radians) and their rate.

    A transition is entering the other core after leaving one (cores:
    :func:`mdcv.reference.cores.phi_cores`; frames between keep the last core visited).
    ``t_ps`` (n,) frame times; ``traj`` (n,) trajectory ids (contiguous; default one).
    The simulated time is the sum over trajectories of their time spans.
    """
    from mdcv.reference.cores import phi_cores

    phi, t = np.asarray(phi, dtype=np.float64), np.asarray(t_ps, dtype=np.float64)
    traj = np.zeros(len(phi), int) if traj is None else np.asarray(traj)
    if not len(phi) == len(t) == len(traj) or len(phi) == 0:
        raise DataError(f"phi, t_ps and traj need one equal, nonzero length; got {len(phi)}, "
                        f"{len(t)}, {len(traj)}")
    core = phi_cores(phi, cores)
    first = np.r_[True, traj[1:] != traj[:-1]]
    last = np.r_[first[1:], True]
    idx = np.where((core >= 0) | first, np.arange(len(core)), 0)
    filled = core[np.maximum.accumulate(idx)]
    change = (filled[1:] != filled[:-1]) & (filled[1:] >= 0) & (filled[:-1] >= 0) & ~first[1:]
    ns = float((t[last] - t[first]).sum()) / 1000.0
    count = int(change.sum())
    return {"transitions": count, "ns_simulated": ns,
            "transitions_per_ns": count / ns if ns > 0 else float("nan")}
