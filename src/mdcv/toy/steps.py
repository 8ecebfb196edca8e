"""The toy-system steps of the workflow as plain functions (the rules' scripts call these)."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

import numpy as np
import pandas as pd

from mdcv import data
from mdcv.toy import langevin, reference
from mdcv.toy.potentials import load_potential

log = logging.getLogger(__name__)


def make_dataset(system: dict, kind: str, seed: int, out: str | Path, stats_out: str | Path,
                 base_dir: str | Path = ".") -> None:
    """Write the ``biased`` samples or ``unbiased`` trajectories of a toy system."""
    potential = load_potential(system["potential"], base_dir)
    s = system["sampling"]
    t0 = time.perf_counter()
    if kind == "biased":
        ds, stats = langevin.biased_dataset(
            potential, system["beta"], system["box"], potential_fraction=s["potential_fraction"],
            n_samples=s["n_samples"], n_walkers=s["n_walkers"], dt=s["dt"], stride=s["stride"],
            burn_in=s["burn_in"], metropolis=s["metropolis"], seed=seed)
    elif kind == "unbiased":
        u = s["unbiased"]
        ds = langevin.unbiased_trajectories(
            potential, system["beta"], system["box"], n_walkers=u["n_walkers"],
            length=u["length"], dt=u["dt"], stride=u["stride"], seed=seed, burn_in=s["burn_in"])
        stats = {"n": ds.n, "trajectories": int(u["n_walkers"]), "length": u["length"],
                 "saved_every": u["dt"] * u["stride"]}
    else:
        raise ValueError(f"kind must be 'biased' or 'unbiased', got {kind!r}")
    stats["wall_s"] = time.perf_counter() - t0
    data.save(ds, out)
    Path(stats_out).write_text(json.dumps(stats, indent=2))
    log.info("%s dataset of %s: %s", kind, system["name"], stats)


def make_reference(system: dict, out: str | Path, convergence_out: str | Path,
                   base_dir: str | Path = ".") -> pd.DataFrame:
    """Grid spectrum on the configured grid plus a convergence check on halved grids."""
    potential = load_potential(system["potential"], base_dir)
    r = system["reference"]
    nx, ny = r["grid"]
    sizes = [(max(nx // 4, 8), max(ny // 4, 8)), (max(nx // 2, 8), max(ny // 2, 8)), (nx, ny)]
    conv = reference.grid_convergence(potential, system["beta"], system["box"], sizes, r["n_eigen"])
    spectrum = reference.compute_spectrum(potential, system["beta"], system["box"], (nx, ny),
                                          r["n_eigen"])
    spectrum.save(out)
    conv.to_csv(convergence_out, index=False)
    worst = conv[(conv.nx == sizes[1][0]) & (conv.ny == sizes[1][1])]["rel_change_to_finest"].max()
    log.info("eigenvalues %s; largest relative change from the half grid: %.2e",
             np.array2string(spectrum.eigenvalues, precision=6), worst)
    return conv


def learned_on_grid(spectrum: reference.Spectrum, learners: list[str],
                    model_dirs: list[str | Path]) -> tuple[dict[str, np.ndarray], int]:
    """Each learner's functions on the reference grid (k, nx, ny), sign-matched to φ_i.

    Uses the exported TorchScript model (model.ts) of each learner; outputs keep the
    model's order, each centred and scaled to unit variance under the grid's μ.
    """
    import torch

    from mdcv.plots.toy import grid_points

    pts = torch.as_tensor(grid_points(spectrum.x, spectrum.y), dtype=torch.float32)
    pi = spectrum.density.ravel()
    out, k_max = {}, 1
    for name, model_dir in zip(learners, model_dirs, strict=True):
        model = torch.jit.load(str(Path(model_dir) / "model.ts"))
        with torch.no_grad():
            f = model(pts).double().numpy()
        k = f.shape[1]
        k_max = max(k_max, k)
        funcs = []
        for i in range(k):
            g = f[:, i] - (pi * f[:, i]).sum()
            g /= np.sqrt((pi * g * g).sum()) or 1.0
            ref = spectrum.eigenfunctions[min(i + 1, len(spectrum.eigenvalues) - 1)].ravel()
            sign = np.sign((pi * g * ref).sum()) or 1.0
            funcs.append((sign * g).reshape(len(spectrum.x), len(spectrum.y)))
        out[name] = np.stack(funcs)
    return out, k_max
