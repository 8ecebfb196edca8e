"""Figures of learned CVs on toy potentials: the study's Müller-Brown autoencoder panels.

Each panel: the potential (filled contours, energy units) with the data, the encoder's
level sets as contour lines, and the decoder's image of the CV range as black dots
(the transition path the decoder predicts). Headless (Agg), PNG + PDF.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from mdcv.learn.modeldir import ModelDir
from mdcv.plots.common import save
from mdcv.plots.toy import grid_points, plt, potential_panel


def encoder_on_grid(model_dir: str | Path, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The first CV of the exported model (model.ts) on the grid, shape (nx, ny)."""
    model = torch.jit.load(str(ModelDir(model_dir).torchscript))
    with torch.no_grad():
        z = model(torch.as_tensor(grid_points(x, y), dtype=torch.float32))[:, 0].double().numpy()
    return z.reshape(len(x), len(y))


def autoencoder_panel(ax, spectrum, samples: np.ndarray, model_dir: str | Path, title: str,
                      max_points: int = 3000, levels: int = 15):
    """One panel; returns the potential's contour set (for a colour bar)."""
    x, y, v = spectrum.x, spectrum.y, spectrum.potential
    cs = potential_panel(ax, x, y, v)
    step = max(1, len(samples) // max_points)
    ax.scatter(samples[::step, 0], samples[::step, 1], s=0.4, c="white", alpha=0.35,
               rasterized=True, label="data")
    z = encoder_on_grid(model_dir, x, y)
    # Level sets where μ is not negligible (the encoder is arbitrary far from the data).
    mask = spectrum.beta * (v - v.min()) > 30.0
    zq = np.quantile(z[~mask], np.linspace(0.02, 0.98, levels))
    ax.contour(x, y, np.where(mask, np.nan, z).T, levels=np.unique(zq), colors="0.9",
               linewidths=0.7, linestyles="solid")
    cv = np.load(ModelDir(model_dir).cv)
    if "decoder_x" in cv.files:
        dec = cv["decoder_x"]
        ax.scatter(dec[:, 0], dec[:, 1], s=7, c="black", zorder=5, label="decoder(ξ range)")
    ax.set_xlim(x[0], x[-1])
    ax.set_ylim(y[0], y[-1])
    ax.set_title(title, fontsize=9)
    return cs


def autoencoder_figure(spectrum, dataset, model_dirs: list, titles: list[str], png, pdf,
                       system: str) -> None:
    """One panel per model directory in a row (one file per panel, or the combined one)."""
    n = len(model_dirs)
    fig, axes = plt.subplots(1, n, figsize=(4.2 * n, 3.6), squeeze=False)
    cs = None
    for ax, model_dir, title in zip(axes[0], model_dirs, titles, strict=True):
        cs = autoencoder_panel(ax, spectrum, dataset.x, model_dir, title)
    fig.colorbar(cs, ax=axes[0].tolist(), label="V (energy units)", shrink=0.9)
    axes[0, 0].legend(loc="lower left", fontsize=7, framealpha=0.6)
    fig.suptitle(f"{system}: potential, data, encoder level sets, decoder image", fontsize=10)
    save(fig, [png, pdf], pdf_dpi=None)
