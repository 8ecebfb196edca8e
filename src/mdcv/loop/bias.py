"""Free energy along a CV, the bias -c·F(ξ) built from it, and the weights it implies.

Energies are in the potential's unit (kJ/mol for molecules), ``beta`` = 1/kT in its
inverse. F(ξ) = -kT ln p(ξ), p the weighted histogram of ξ on ``bins`` equal bins over
the visited range, Gaussian-smoothed over ``smooth_bins`` bins; F is shifted to min 0,
interpolated linearly between bin centres and flat beyond the first and last centre.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from scipy.ndimage import gaussian_filter1d

from mdcv.data import log_weights_to_weights


@dataclass(frozen=True)
class Profile:
    """F (kJ/mol or the potential's unit) at the bin centres ``centres`` of ξ."""

    centres: np.ndarray
    free_energy: np.ndarray

    def __call__(self, xi: np.ndarray) -> np.ndarray:
        """F at ξ (numpy), flat beyond the ends."""
        return np.interp(xi, self.centres, self.free_energy)

    def torch(self, xi: torch.Tensor) -> torch.Tensor:
        """F at ξ (torch, differentiable in ξ), flat beyond the ends."""
        c = torch.as_tensor(self.centres, dtype=xi.dtype)
        f = torch.as_tensor(self.free_energy, dtype=xi.dtype)
        z = xi.clamp(c[0], c[-1])
        i = torch.searchsorted(c, z.detach().contiguous(), right=True).clamp(1, len(c) - 1) - 1
        s = (z - c[i]) / (c[i + 1] - c[i])
        return f[i] + s * (f[i + 1] - f[i])

    def save(self, path: str | Path, **extra) -> None:
        np.savez(path, centres=self.centres, free_energy=self.free_energy, **extra)

    @classmethod
    def load(cls, path: str | Path) -> Profile:
        with np.load(path) as z:
            return cls(z["centres"], z["free_energy"])


def free_energy(xi: np.ndarray, w: np.ndarray, beta: float, bins: int,
                smooth_bins: float = 1.0) -> Profile:
    """F(ξ) = -kT ln p(ξ) from samples ξ (n,) with weights w (n,) (see the module).

    Bins left empty after smoothing take the largest F of the others.
    """
    xi = np.asarray(xi, dtype=np.float64)
    lo, hi = float(xi.min()), float(xi.max())
    if not hi > lo:
        raise ValueError(f"ξ takes one value ({lo}) on every sample: no free energy along it; "
                         "the CV is constant, train it longer or on more samples")
    counts, edges = np.histogram(xi, bins=bins, range=(lo, hi), weights=np.asarray(w, float))
    if smooth_bins > 0:
        counts = gaussian_filter1d(counts, smooth_bins, mode="nearest")
    p = counts / counts.sum()
    f = np.full(bins, np.nan)
    f[p > 0] = -np.log(p[p > 0]) / beta
    f = np.where(np.isnan(f), np.nanmax(f), f)
    return Profile(0.5 * (edges[1:] + edges[:-1]), f - f.min())


def bias_energy(profile: Profile, fraction: float, xi):
    """V_b = -c·F(ξ) (numpy or torch ξ)."""
    if isinstance(xi, torch.Tensor):
        return -fraction * profile.torch(xi)
    return -fraction * profile(xi)


def weights(v_bias: np.ndarray, beta: float) -> np.ndarray:
    """w ∝ exp(β V_b), normalized to mean 1 (V_b in the unit of 1/β)."""
    return log_weights_to_weights(beta * np.asarray(v_bias, dtype=np.float64))


def ess_fraction(w: np.ndarray) -> float:
    """Kish effective sample size over the number of samples, (Σw)² / (n Σw²)."""
    w = np.asarray(w, dtype=np.float64)
    return float(w.sum() ** 2 / (len(w) * (w * w).sum()))
