"""Figures of the MD stage, one file per panel: PMF, biased samples, weights against angles.

Angles are shown in degrees, free energies in kJ/mol; every figure is saved as each of
the paths it is given (PNG and PDF).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from mdcv.plots.common import angle_axes, pyplot, save, subsample

PANELS = ("pmf", "biased_samples", "weights_phi", "weights_psi")


def figure_paths(system: str, root: str) -> list[str]:
    """The figure files of one system in ``root`` (the figures directory): every panel as PNG
    and PDF."""
    return [path for path, _, _ in figure_files(system, root)]


def figure_files(system: str, root: str) -> list[tuple[str, str, str]]:
    """(path, panel, caption name) of every figure file of one system."""
    captions = {"pmf": "pmf", "biased_samples": "biased_samples", "weights_phi": "weights",
                "weights_psi": "weights"}
    return [(f"{root}/md_{system}_{panel}.{ext}", panel, captions[panel])
            for panel in PANELS for ext in ("png", "pdf")]


def plot_pmf(pmf, title: str, paths: Sequence[str], cap: float | None = None) -> None:
    """Filled contour of F(φ, ψ) in kJ/mol."""
    plt = pyplot()
    f = pmf.f - np.nanmin(pmf.f)
    top = cap if cap is not None else float(np.nanpercentile(f, 99))
    top = 5.0 * max(1, np.ceil(top / 5.0))
    fig, ax = plt.subplots(figsize=(4.2, 3.6))
    cs = ax.contourf(np.degrees(pmf.phi), np.degrees(pmf.psi), np.minimum(f, top).T,
                     levels=np.linspace(0, top, int(top / 2.5) + 1), cmap="viridis")
    fig.colorbar(cs, ax=ax, label="F (kJ/mol)", ticks=np.arange(0, top + 1, 10))
    angle_axes(ax)
    ax.set_title(title)
    save(fig, paths)


def plot_samples(phi, psi, title: str, paths: Sequence[str]) -> None:
    """Biased samples as points in (φ, ψ)."""
    plt = pyplot()
    idx = subsample(len(phi))
    fig, ax = plt.subplots(figsize=(3.8, 3.6))
    ax.scatter(np.degrees(phi[idx]), np.degrees(psi[idx]), s=1, alpha=0.3, lw=0, rasterized=True)
    angle_axes(ax)
    ax.set_title(title)
    save(fig, paths)


def plot_weights(angle, w, label: str, title: str, paths: Sequence[str]) -> None:
    """Weights w (mean 1, log scale) against one angle."""
    plt = pyplot()
    idx = subsample(len(angle))
    fig, ax = plt.subplots(figsize=(4.2, 3.2))
    ax.scatter(np.degrees(angle[idx]), w[idx], s=1, alpha=0.3, lw=0, rasterized=True)
    ax.set_yscale("log")
    ax.set_xlim(-180, 180)
    ax.set_xticks(np.arange(-180, 181, 90))
    ax.set_xlabel(f"{label} (deg)")
    ax.set_ylabel("weight w (mean 1, dimensionless)")
    ax.set_title(title)
    save(fig, paths)


def system_figures(pmf_file, dataset_file, system: str, paths: Sequence[str]) -> None:
    """All panels of one system; ``paths`` as from :func:`figure_paths` (panel-major)."""
    from mdcv import data
    from mdcv.md.pmf import Pmf

    by_panel = {p: [s for s in paths if Path(s).stem.endswith(p)] for p in PANELS}
    ds = data.load(dataset_file)
    plot_pmf(Pmf.load(pmf_file), f"{system}: AWH free energy", by_panel["pmf"])
    plot_samples(ds["phi"], ds["psi"], f"{system}: biased samples", by_panel["biased_samples"])
    plot_weights(ds["phi"], ds.w, "φ", f"{system}: weights", by_panel["weights_phi"])
    plot_weights(ds["psi"], ds.w, "ψ", f"{system}: weights", by_panel["weights_psi"])
