"""Learned spectra against the exact grid reference (toy systems).

One row per (system, method, index) with the learned eigenvalue of -L, its std, the
grid reference, the relative error and the μ-weighted correlation |corr_w(f_i, φ_i)|
of the learned eigenfunction with the reference one on the dataset. Methods are the
learner names (their default read-out), ``<learner>:<readout>`` for the other
read-outs, and ``floor``: the exact eigenfunctions scored by the Rayleigh quotient on
the same samples, with a bootstrap std, i.e. the accuracy the data allow at best.

The correlation of a ``ritz`` or ``galerkin`` row uses the Rayleigh–Ritz eigenfunction
estimates in the span of the learned functions (cv.npz ``eigenfunctions``); that of a
``rayleigh`` row uses the learned functions themselves, sorted by Rayleigh quotient.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from mdcv.data import Dataset
from mdcv.learn import spectral
from mdcv.stats import weighted_corr
from mdcv.toy.reference import Spectrum

COLUMNS = ["system", "method", "index", "eigenvalue", "std", "reference", "rel_error",
           "correlation"]


def reference_on_data(spectrum: Spectrum, x: np.ndarray, k: int):
    """Exact φ_1..φ_k (n, k) and gradients (n, k, 2) at the data points (spline)."""
    vals, grads = zip(*[spectrum.eigenfunction_at(i, x) for i in range(1, k + 1)], strict=True)
    return np.stack(vals, 1), np.stack(grads, 1)


def floor_rows(system: str, spectrum: Spectrum, ds: Dataset, k: int, n_boot: int = 20,
               seed: int = 0) -> pd.DataFrame:
    """Rayleigh quotients of the exact eigenfunctions on the dataset, bootstrap std."""
    x = ds.x.astype(np.float64)
    f, g = reference_on_data(spectrum, x, k)
    d = np.full(2, 1.0 / spectrum.beta)
    values = spectral.rayleigh_quotients(f, g, ds.w, d)
    rng = np.random.default_rng(seed)
    boot = [spectral.rayleigh_quotients(f[s], g[s], ds.w[s], d)
            for s in (rng.integers(0, ds.n, ds.n) for _ in range(n_boot))]
    ref = spectrum.eigenvalues[1:k + 1]
    return pd.DataFrame({"system": system, "method": "floor", "index": np.arange(1, k + 1),
                         "eigenvalue": values, "std": np.std(boot, 0), "reference": ref,
                         "rel_error": values / ref - 1.0, "correlation": 1.0})


def learner_rows(system: str, learner: str, default_readout: str | None, model_dir: str | Path,
                 spectrum: Spectrum, ds: Dataset) -> pd.DataFrame:
    """Rows of one trained learner: every read-out, the default one under its own name."""
    model_dir = Path(model_dir)
    readouts = pd.read_csv(model_dir / "readouts.csv")
    if readouts.empty:
        return pd.DataFrame(columns=COLUMNS)
    cv = dict(np.load(model_dir / "cv.npz"))
    if len(cv["cv"]) != ds.n:  # trained on other data (transfer: trajectories): evaluate here
        from mdcv.analysis.effective import functions_on_data

        cv.update(functions_on_data(model_dir, ds.x, ds.w))
    k = int(readouts["index"].max())
    phi, _ = reference_on_data(spectrum, ds.x.astype(np.float64), k)
    rows = []
    for readout, table in readouts.groupby("readout", sort=False):
        funcs = cv["sorted_cv"] if readout == "rayleigh" else cv["eigenfunctions"]
        method = learner if readout == default_readout else f"{learner}:{readout}"
        for _, r in table.iterrows():
            i = int(r["index"])
            ref = spectrum.eigenvalues[i]
            corr = abs(weighted_corr(funcs[:, i - 1].astype(np.float64), phi[:, i - 1], ds.w))
            rows.append({"system": system, "method": method, "index": i,
                         "eigenvalue": r["eigenvalue"], "std": r["std"], "reference": ref,
                         "rel_error": r["eigenvalue"] / ref - 1.0, "correlation": corr})
    return pd.DataFrame(rows, columns=COLUMNS)


def spectrum_table(system: str, spectrum: Spectrum, ds: Dataset, learners: list[str],
                   default_readouts: dict, model_dirs: list[str | Path]) -> pd.DataFrame:
    """The rows of results/tables/toy_spectrum.csv for one toy system."""
    parts = [learner_rows(system, name, default_readouts.get(name), d, spectrum, ds)
             for name, d in zip(learners, model_dirs, strict=True)]
    k = max([int(p["index"].max()) for p in parts if not p.empty] or [2])
    parts.append(floor_rows(system, spectrum, ds, k))
    return pd.concat([p for p in parts if not p.empty], ignore_index=True)[COLUMNS]
