"""Cluster resource requests (memory in MB, runtime in minutes) derived from config.

The numbers are deliberate over-estimates (×3 of what was measured on one CPU core of
a 2-core cloud machine; training: benchmarks/train_cost.py) so that a scheduler does
not kill a job that is merely slow; they scale with the sizes in config (samples,
steps, batch, widths, MD length). On a GPU a training job runs far inside its request.
"""

from __future__ import annotations

import math

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
