"""Figures of the study. Each function draws one figure and writes it as PNG and PDF.

Matplotlib runs headless (Agg); axes carry labels with units; colour maps are
perceptually uniform (viridis family) or diverging around 0 for eigenfunctions.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from mdcv.plots.common import save

sns.set_theme(context="paper", style="ticks")


def grid_points(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    gx, gy = np.meshgrid(x, y, indexing="ij")
    return np.stack([gx.ravel(), gy.ravel()], axis=1)


def potential_panel(ax, x, y, v, levels: int = 25, vmax: float | None = None):
    """Filled contours of the potential V (nx, ny) in energy units."""
    vmax = vmax if vmax is not None else np.percentile(v, 60)
    cs = ax.contourf(x, y, np.minimum(v, vmax).T, levels=levels, cmap="viridis")
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    return cs


def eigenfunction_panel(ax, x, y, values, mask, title: str):
    """A function on the grid, diverging colours centred at 0, masked where μ ≈ 0."""
    z = np.where(mask, np.nan, values)
    lim = np.nanpercentile(np.abs(z), 99) or 1.0
    cs = ax.contourf(x, y, z.T, levels=np.linspace(-lim, lim, 21), cmap="RdBu_r", extend="both")
    ax.set_title(title)
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    return cs


def toy_eigenfunctions(spectrum, samples: np.ndarray, learned: dict[str, np.ndarray],
                       k: int, png, pdf, system: str, max_points: int = 4000) -> None:
    """Potential with samples, reference φ_1..φ_k, and each learner's φ_1..φ_k.

    ``learned`` maps a learner name to its functions on the grid, shape (k, nx, ny),
    already matched in sign to the reference.
    """
    x, y = spectrum.x, spectrum.y
    beta = spectrum.beta
    v = spectrum.potential
    mask = beta * (v - v.min()) > 25.0
    rows = 1 + len(learned)
    fig, axes = plt.subplots(rows, k + 1, figsize=(3.2 * (k + 1), 2.8 * rows), squeeze=False)
    cs = potential_panel(axes[0, 0], x, y, v)
    fig.colorbar(cs, ax=axes[0, 0], label="V (energy units)")
    step = max(1, len(samples) // max_points)
    axes[0, 0].scatter(samples[::step, 0], samples[::step, 1], s=0.5, c="white", alpha=0.4,
                       rasterized=True)
    axes[0, 0].set_title(f"{system}: V and biased samples")
    for i in range(1, k + 1):
        eigenfunction_panel(axes[0, i], x, y, spectrum.eigenfunctions[i], mask,
                            f"reference φ{i} (λ={spectrum.eigenvalues[i]:.4g})")
    for row, (name, funcs) in enumerate(learned.items(), start=1):
        axes[row, 0].axis("off")
        axes[row, 0].text(0.5, 0.5, name, ha="center", va="center", fontsize=12)
        for i in range(1, k + 1):
            if i <= len(funcs):
                eigenfunction_panel(axes[row, i], x, y, funcs[i - 1], mask, f"{name}: f{i}")
            else:
                axes[row, i].axis("off")
    fig.tight_layout()
    save(fig, [png, pdf], pdf_dpi=None)


def training_curves(histories: dict[str, pd.DataFrame], reference: np.ndarray, png, pdf,
                    system: str, unit: str = "1/time") -> None:
    """Loss and eigenvalue estimates against training step, reference λ_i dashed."""
    fig, (ax_loss, ax_eig) = plt.subplots(1, 2, figsize=(10, 3.6))
    palette = sns.color_palette("colorblind")
    for c, (name, h) in enumerate(histories.items()):
        ax_loss.plot(h["step"], h["loss"], color=palette[c % len(palette)], label=name)
        cols = sorted(col for col in h.columns if col.startswith("estimate_"))
        for j, col in enumerate(cols):
            ax_eig.plot(h["step"], h[col], color=palette[c % len(palette)],
                        ls=["-", "--", ":", "-."][j % 4], label=f"{name} λ{j + 1}")
    for i, lam in enumerate(reference, start=1):
        ax_eig.axhline(lam, color="k", lw=0.8, ls=":")
        ax_eig.text(ax_eig.get_xlim()[0], lam, f" λ{i} ref", va="bottom", fontsize=7)
    ax_loss.set_yscale("symlog", linthresh=1e-3)
    ax_loss.set_xlabel("training step")
    ax_loss.set_ylabel("loss")
    ax_loss.set_title(f"{system}: loss")
    ax_eig.set_yscale("log")
    ax_eig.set_xlabel("training step")
    ax_eig.set_ylabel(f"eigenvalue estimate ({unit})")
    ax_eig.set_title("minibatch Rayleigh quotients")
    ax_loss.legend(fontsize=7)
    ax_eig.legend(fontsize=6, ncol=2)
    fig.tight_layout()
    save(fig, [png, pdf], pdf_dpi=None)
