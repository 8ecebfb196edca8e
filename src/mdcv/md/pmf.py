"""Free energies on (φ, ψ): the AWH PMF written by ``gmx awh`` and reweighted histograms.

Angles in radians, energies in kJ/mol; ``kT`` converts to units of k_B T.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mdcv.errors import DataError


@dataclass
class Pmf:
    """F (kJ/mol) on a periodic grid: ``phi`` (n,), ``psi`` (m,) radians, ``f`` (n, m)."""

    phi: np.ndarray
    psi: np.ndarray
    f: np.ndarray

    def save(self, path) -> None:
        np.savez(path, phi=self.phi, psi=self.psi, f=self.f)

    @classmethod
    def load(cls, path) -> Pmf:
        with np.load(path, allow_pickle=False) as data:
            return cls(data["phi"], data["psi"], data["f"])


def read_awh_xvg(path) -> Pmf:
    """The 2D PMF in a ``gmx awh`` output file (columns φ°, ψ°, F kJ/mol, φ major)."""
    data = np.loadtxt(path, comments=("#", "@"))
    if data.ndim != 2 or data.shape[1] < 3:
        raise DataError(f"{path}: expected columns phi, psi, PMF; got shape {data.shape}")
    phi, psi = np.unique(data[:, 0]), np.unique(data[:, 1])
    if len(phi) * len(psi) != len(data):
        raise DataError(f"{path}: the PMF is not on a regular (phi, psi) grid")
    order = np.lexsort((data[:, 1], data[:, 0]))
    f = data[order, 2].reshape(len(phi), len(psi))
    return Pmf(np.radians(phi), np.radians(psi), f - np.nanmin(f))


def bin_edges(bins: int) -> np.ndarray:
    """Edges of ``bins`` equal bins over [-π, π]."""
    return np.linspace(-np.pi, np.pi, bins + 1)


def histogram_free_energy(phi, psi, weights, bins: int, kT: float):
    """Weighted histogram free energy F = -kT ln p (kJ/mol, min 0) and raw counts per bin."""
    edges = bin_edges(bins)
    counts, _, _ = np.histogram2d(phi, psi, bins=[edges, edges])
    mass, _, _ = np.histogram2d(phi, psi, bins=[edges, edges], weights=weights)
    with np.errstate(divide="ignore"):
        f = -kT * np.log(mass / mass.sum())
    return f - f[np.isfinite(f)].min(), counts


def pmf_on_bins(pmf: Pmf, bins: int, kT: float) -> np.ndarray:
    """The PMF coarse-grained to the histogram bins: F_bin = -kT ln Σ exp(-F/kT) (min 0)."""
    edges = bin_edges(bins)
    pp, ss = np.meshgrid(pmf.phi, pmf.psi, indexing="ij")
    boltz = np.exp(-(pmf.f - np.nanmin(pmf.f)) / kT)
    mass, _, _ = np.histogram2d(pp.ravel(), ss.ravel(), bins=[edges, edges],
                                weights=np.nan_to_num(boltz).ravel())
    with np.errstate(divide="ignore"):
        f = -kT * np.log(mass / mass.sum())
    return f - f[np.isfinite(f)].min()


def compare(f_reweighted, f_reference, counts, kT: float, min_count: int) -> dict:
    """|ΔF| in kT over bins with ≥ ``min_count`` samples, after the best constant shift.

    The shift makes the count-weighted mean of ΔF zero over the populated bins.
    """
    populated = (counts >= min_count) & np.isfinite(f_reweighted) & np.isfinite(f_reference)
    if not populated.any():
        raise DataError(f"no bin holds {min_count} samples or more; cannot compare free energies")
    diff = (f_reweighted - f_reference)[populated] / kT
    w = counts[populated]
    diff -= np.average(diff, weights=w)
    return {
        "bins_populated": int(populated.sum()),
        "samples_in_populated": int(w.sum()),
        "max_abs_dF_kT": float(np.abs(diff).max()),
        "mean_abs_dF_kT": float(np.abs(diff).mean()),
        "weighted_mean_abs_dF_kT": float(np.average(np.abs(diff), weights=w)),
        "rms_dF_kT": float(np.sqrt(np.mean(diff**2))),
    }


def write_table(rows: list[dict], path) -> Path:
    """Write rows (dicts with equal keys) as CSV."""
    import pandas as pd

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows).to_csv(path, index=False, float_format="%.4g")
    return path


def reweighting_check(system: str, dataset, pmf_file, bins: int, min_count: int) -> dict:
    """Compare the reweighted (φ, ψ) free energy of a biased dataset with the AWH PMF."""
    from mdcv import data

    ds = data.load(dataset)
    kT = float(ds["kT"])
    f_rw, counts = histogram_free_energy(ds["phi"], ds["psi"], ds.w, bins, kT)
    f_awh = pmf_on_bins(Pmf.load(pmf_file), bins, kT)
    row = {"system": system, "samples": ds.n, "bins": f"{bins}x{bins}", "min_count": min_count,
           "kT_kJ_mol": kT, "ess_fraction": float(ds.w.sum() ** 2 / (ds.w**2).sum() / ds.n)}
    row.update(compare(f_rw, f_awh, counts, kT, min_count))
    return row
