"""Cluster resource requests (memory in MB, runtime in minutes) derived from config.

The numbers are deliberate over-estimates (×3 of what was measured on one CPU core of
a laptop-class machine) so that a scheduler does not kill a job that is merely slow;
they scale with the sizes in config (samples, steps, batch, widths, MD length).
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


def training(settings: dict, n_samples: int, dim: int) -> dict:
    """Memory and runtime of a training job for the learner ``settings``."""
    width = sum(settings.get("layers", [64])) + dim
    copies = settings.get("k", 1) if settings.get("architecture") == "separate" else 1
    per_step = 1e-3 + 1.5e-8 * settings["batch_size"] * width * copies * max(dim, 2)
    readout = 2e-5 * n_samples * copies * max(dim, 2)
    mem = 1500 + n_samples * (dim * 4 * 8 + 64) / 1e6
    return {"mem_mb": int(mem), "runtime": _minutes(settings["steps"] * per_step + readout, 10)}
