"""The loop's workflow steps as plain functions (the rules' scripts call these).

Files of round r (:func:`mdcv.workflow.paths.loop_round`): ``samples.npz`` (dataset
contract; weights w ∝ exp(β V_b)), ``samples_stats.json`` (``samples``,
``ns_simulated``, ``transitions``, ``transitions_per_ns`` and sampler details: what an
MD system's sampling step must write too), ``model/`` (a model directory),
``round.json`` (:mod:`mdcv.loop.status`) and ``free_energy.npz`` (F_r along ξ_r: the
bias of round r+1, with ξ_r's ``mean`` and ``vector``, ``fraction`` and ``beta``).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np

from mdcv import data
from mdcv.learn.diffusion import coefficients
from mdcv.loop import bias, status, toy
from mdcv.loop.cv import FirstEigenfunction, load_model, values_and_gradients
from mdcv.loop.readout import read_out

log = logging.getLogger(__name__)


def load_bias(model_dir: str | Path, profile_path: str | Path):
    """V_b(x) = -c·F_r(ξ_r(x)) (torch, differentiable) of a round's free_energy.npz."""
    with np.load(profile_path) as z:
        mean, vector, fraction = z["mean"], z["vector"], float(z["fraction"])
    profile = bias.Profile.load(profile_path)
    xi = FirstEigenfunction(load_model(model_dir), mean, vector)
    return lambda x: bias.bias_energy(profile, fraction, xi(x))


def toy_sample(system: dict, seed: int, out: str | Path, stats_out: str | Path,
               previous: tuple | None = None, base_dir: str | Path = ".") -> dict:
    """A toy round's samples: unbiased (round 0) or under the bias of the previous round's
    (model directory, free_energy.npz) ``previous``; counts core-to-core transitions."""
    import torch

    from mdcv.toy.potentials import load_potential

    torch.set_num_threads(1)
    potential = load_potential(system["potential"], base_dir)
    v_b = load_bias(*previous) if previous else None
    s = system["sampling"]
    ds, states, stats = toy.sample(potential, system["beta"], system["box"], s, seed, v_b)
    labels = toy.core_labels(potential, system["box"], states, system["beta"], s["core_energy"])
    n_trans = toy.count_transitions(labels)
    stats.update({"samples": ds.n, "ns_simulated": stats["simulated_time"],
                  "transitions": n_trans,
                  "transitions_per_ns": n_trans / stats["sampled_time"],
                  "ess_fraction": bias.ess_fraction(ds.w)})
    data.save(ds, out)
    Path(stats_out).write_text(json.dumps(stats, indent=2))
    log.info("round samples of %s: %s", system["name"], stats)
    return stats


def readout_frames(ds: data.Dataset, settings: dict) -> tuple[np.ndarray, np.ndarray]:
    """The frames a round is read out on and their bootstrap units.

    A learner with ``holdout`` h > 0 (the molecules' learners): its held-out frames (the
    last h of the samples, never trained on or used to choose the model), resampled in
    contiguous stretches of ``holdout_block`` (absent: 1000, 1 ns in ps) within each
    trajectory (:func:`mdcv.stats.block_ids`), as its own ``-holdout`` read-outs. Otherwise
    (toy rounds of many independent walkers): all samples, resampled by walker.
    """
    from mdcv.learn.learners.base import block_frames
    from mdcv.stats import block_ids

    n_holdout = block_frames(settings, "holdout", ds.n)
    if n_holdout == 0:
        return np.arange(ds.n), np.asarray(ds.traj)
    idx = np.arange(ds.n - n_holdout, ds.n)
    block = float(settings.get("holdout_block", 1000.0))
    return idx, block_ids(np.asarray(ds.t)[idx], block, np.asarray(ds.traj)[idx])


def _beta(ds: data.Dataset) -> float:
    if ds.get("beta") is not None:
        return float(ds["beta"])
    if ds.get("kT") is not None:
        return 1.0 / float(ds["kT"])
    raise ValueError("the round's samples carry neither 'beta' nor 'kT': cannot build F; "
                     "write one of them into samples.npz")


def round_status(system: str, round_: int, samples: str | Path, stats: str | Path,
                 model_dir: str | Path, settings: dict, loop: dict, seed: int,
                 status_out: str | Path, profile_out: str | Path,
                 previous: str | Path | None = None, reference: tuple = ()) -> dict:
    """Read out round ``round_`` (λ1, λ2, ESS with intervals, on :func:`readout_frames`),
    decide whether the loop goes on, and write F along the round's CV (the next round's
    bias; a molecule's next round takes its bias from AWH along the CV instead).
    ``reference``: the exact (λ1, λ2) where known."""
    ds = data.load(samples)
    diffusion, unit = coefficients(ds, settings)
    model = load_model(model_dir)
    f, g = values_and_gradients(model, ds.x)
    idx, units = readout_frames(ds, settings)
    numbers = read_out(f[idx], g[idx], ds.w[idx], units, diffusion, settings,
                       int(loop["n_bootstrap"]), seed)
    numbers.update({k: v for k, v in json.loads(Path(stats).read_text()).items()
                    if k in status.FIELDS})
    numbers.update(dict(zip(("lambda1_ref", "lambda2_ref"), map(float, reference), strict=False)))
    rec = status.record(system, round_, numbers, int(loop["rounds"]),
                        status.read(previous) if previous else None)
    rec["unit"] = unit
    xi = FirstEigenfunction.fit(model, f, g, ds.w, diffusion)
    beta = _beta(ds)
    profile = bias.free_energy(xi.values(f), ds.w, beta, int(loop["bins"]),
                               float(loop["smooth_bins"]))
    profile.save(profile_out, mean=xi.mean, vector=xi.vector, fraction=float(loop["fraction"]),
                 beta=beta)
    status.write(rec, status_out)
    log.info("round %d of %s: %s", round_, system, rec)
    return rec
