"""Cluster resource requests (memory in MB, runtime in minutes) derived from config.

The numbers are deliberate over-estimates (×3 of what was measured on one CPU core of
a 2-core cloud machine; training: benchmarks/train_cost.py; GROMACS runs: ×2 of the
configured ``expected_ns_per_day``) so that a scheduler does not kill a job that is
merely slow; they scale with the sizes in config (samples, steps, batch, widths, MD
length). On a GPU a training job runs far inside its request.
"""

from __future__ import annotations

import math

from mdcv.config import learner_settings, toy_settings, toy_systems
from mdcv.md.settings import dataset_frames, stage_length_ps, system_settings

SAFETY = 3.0


def _minutes(seconds: float, floor: int = 5) -> int:
    return max(floor, math.ceil(SAFETY * seconds / 60.0))


def toy_dataset(sampling: dict) -> dict:
    """Memory and runtime of a toy sampling job (biased and unbiased runs together)."""
    n_walkers = sampling["n_walkers"]
    steps = sampling["burn_in"] + math.ceil(sampling["n_samples"] / n_walkers) * sampling["stride"]
    unb = sampling["unbiased"]
    steps_unb = unb["length"] / unb["dt"]
    seconds = (steps * (3e-4 + 2e-7 * n_walkers)
               + steps_unb * (3e-4 + 2e-7 * unb["n_walkers"]))
    saved_unb = unb["n_walkers"] * steps_unb / unb["stride"]
    mem = 1000 + (sampling["n_samples"] + saved_unb) * 2 * 8 * 6 / 1e6
    return {"mem_mb": int(mem), "runtime": _minutes(seconds)}


# Seconds per sample and per multiply-add of the networks, by learner kind: the passes
# one optimizer step makes (second-order autograd for the generator losses, both ends
# of each pair for transfer, encoder and decoder for the autoencoders). And seconds per
# sample of a Kabsch alignment layer (`align`), per function whose gradient passes back
# through it. One CPU thread; measured with benchmarks/train_cost.py.
PER_MULTIPLY_ADD = {"generator": 1.8e-9, "transfer": 6.5e-10, "autoencoder": 4.3e-10,
                    "regularized_autoencoder": 7.9e-10}
PER_ALIGNED_SAMPLE = {"generator": 8.5e-6, "transfer": 7e-6, "autoencoder": 1e-5,
                      "regularized_autoencoder": 1.6e-5}
SECOND_ORDER = ("generator", "regularized_autoencoder")


def multiply_adds(n_in: int, hidden: list[int], n_out: int) -> int:
    """Multiply-adds of one pass of an MLP n_in → hidden → n_out, per sample."""
    sizes = [n_in, *hidden, n_out]
    return sum(a * b for a, b in zip(sizes[:-1], sizes[1:], strict=False))


def training_step_seconds(settings: dict, dim: int) -> float:
    """Seconds of one optimizer step of the learner ``settings`` on d = ``dim`` inputs.

    (One CPU thread, before the safety factor.) batch × (networks' multiply-adds × the
    kind's cost per multiply-add + the alignment layer's cost).
    """
    kind, k = settings["kind"], int(settings.get("k", 1))
    if "encoder_layers" in settings:
        madds = (multiply_adds(dim, settings["encoder_layers"], k)
                 + multiply_adds(k, settings["decoder_layers"], dim))
    else:
        separate = settings.get("architecture") == "separate"
        layers = settings.get("layers", [64])
        madds = k * multiply_adds(dim, layers, 1) if separate else multiply_adds(dim, layers, k)
    # a kind added later is sized as the dearest known one until it is measured
    per_sample = PER_MULTIPLY_ADD.get(kind, max(PER_MULTIPLY_ADD.values())) * madds
    if settings.get("align"):
        per_aligned = PER_ALIGNED_SAMPLE.get(kind, max(PER_ALIGNED_SAMPLE.values()))
        first_order = kind in PER_ALIGNED_SAMPLE and kind not in SECOND_ORDER
        per_sample += per_aligned * (1 if first_order else k)
    return 1e-3 + int(settings["batch_size"]) * per_sample


def readout_seconds(settings: dict, n_samples: int, dim: int) -> float:
    """Seconds of one full-data read-out (values and gradients on every sample, spectra)."""
    copies = settings.get("k", 1) if settings.get("architecture") == "separate" else 1
    return 2e-5 * n_samples * copies * max(dim, 2)


def training(settings: dict, n_samples: int, dim: int) -> dict:
    """Memory and runtime of a training job for the learner ``settings``."""
    seconds = (settings["steps"] * training_step_seconds(settings, dim)
               + readout_seconds(settings, n_samples, dim))
    mem = 1500 + n_samples * (dim * 4 * 8 + 64) / 1e6
    return {"mem_mb": int(mem), "runtime": _minutes(seconds, 10)}


def averaging(settings: dict, n_samples: int, dim: int) -> dict:
    """Memory and runtime of a cross-fitted learner's ``train`` job (``folds`` K > 1).

    It trains nothing: it evaluates the K members (``train_fold`` jobs, sized by
    :func:`training`) on the data, reads out their average and, on the held-out block,
    the subsets of members.csv. It asks for K + 1 full-data read-outs, not the members'
    training steps.
    """
    seconds = (int(settings["folds"]) + 1) * readout_seconds(settings, n_samples, dim)
    return {"mem_mb": training(settings, n_samples, dim)["mem_mb"],
            "runtime": _minutes(seconds, 10)}


# --- GROMACS and reference runs (estimates from the configured throughput) ---------------------
def md_stage_runtime(settings: dict, stage: str, factor: float = 2.0) -> int:
    """Runtime (minutes) of an MD stage from its length and ``expected_ns_per_day``.

    ``settings``: the system's merged md settings (:func:`mdcv.md.settings.system_settings`).
    """
    ns = stage_length_ps(settings, stage) / 1000.0 if stage != "em" else 0.0
    return int(10 + factor * ns / settings["expected_ns_per_day"] * 1440)


def reference_runs(reference: dict, dynamics: str) -> dict:
    """Memory and runtime (minutes) of the reference runs of one dynamics: twice the
    expected time on ``threads`` concurrent runs, + 10. ``reference``: ``alanine.reference``."""
    block = reference[dynamics]
    ns = block["runs"] * block["length_ns"] / max(1, int(reference.get("threads", 1)))
    runtime = int(10 + 2.0 * ns / block["expected_ns_per_day"] * 1440 + block["runs"] * 0.1)
    return {"mem_mb": 2000, "runtime": runtime}


def shooting_runs(reference: dict) -> dict:
    """Memory and runtime (minutes) of the committor-shooting runs: ~2 s of gmx start-up
    per run and twice the expected simulation time, on ``threads`` concurrent runs, + 10."""
    block = reference["shooting"]
    runs = block["max_starts"] * block["runs_per_start"] / max(1, int(reference.get("threads", 1)))
    ns = runs * block["length_ps"] / 1000.0
    runtime = int(10 + 2.0 * ns / reference["bd"]["expected_ns_per_day"] * 1440 + runs * 2.0 / 60)
    return {"mem_mb": 2000, "runtime": runtime}


def msm(reference: dict) -> dict:
    """Memory and runtime (minutes) of one MSM estimate: 10 + bootstrap × lags / 10."""
    return {"mem_mb": 4000,
            "runtime": 10 + reference["n_bootstrap"] * len(reference["lags_ps"]) // 10}


# --- training jobs ------------------------------------------------------------------------------
def md_dataset_size(config: dict, system: str, kind: str = "biased") -> tuple[int, int]:
    """(frames, coordinates) of an MD system's dataset."""
    atoms = system_settings(config, system)["features"]["atoms"]
    return dataset_frames(config, system, kind), 3 * (22 if atoms == "all" else 10)


def training_data_size(config: dict, system: str, learner: str) -> tuple[int, int]:
    """(samples, input dimension) a learner trains on: a toy system's ``n_samples`` in
    2-D, else the MD dataset's frames and coordinates."""
    if system in toy_systems(config):
        return int(toy_settings(config, system)["sampling"]["n_samples"]), 2
    return md_dataset_size(config, system, learner_settings(config, system, learner)["dataset"])


def train_job(config: dict, system: str, learner: str, averaging_members: bool = False) -> dict:
    """Memory and runtime of a ``train`` or ``train_fold`` job; ``averaging_members``:
    the ``train`` job of a cross-fitted learner, which only reads out its members."""
    settings = learner_settings(config, system, learner)
    n, dim = training_data_size(config, system, learner)
    return (averaging if averaging_members else training)(settings, n, dim)
