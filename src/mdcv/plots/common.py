"""Helpers every figure module shares: headless pyplot, saving, (φ, ψ) axes, subsampling.

Matplotlib is imported on first use (Agg backend), so modules that only name figure
files (``plots.md.figure_paths``, read while Snakemake parses the rules) stay light.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np

#: Scatter plots draw at most this many points (a seeded, sorted random subset).
MAX_POINTS = 50_000


def pyplot():
    """``matplotlib.pyplot`` on the headless Agg backend."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save(fig, paths: Iterable[str | Path | None], dpi: float = 150,
         pdf_dpi: float | None = 150) -> None:
    """Write ``fig`` to every path (format from its suffix; None entries skipped), close it.

    ``dpi``: dots per inch of raster files (PNG); ``pdf_dpi``: of the rasterized artists
    inside a PDF (None: matplotlib's default, the figure's own dpi).
    """
    for path in paths:
        if path is None:
            continue
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        resolution = pdf_dpi if path.suffix == ".pdf" else dpi
        fig.savefig(path, bbox_inches="tight", **({} if resolution is None else {"dpi": resolution}))
    pyplot().close(fig)


def angle_axes(ax) -> None:
    """(φ, ψ) axes in degrees, -180..180, square."""
    ax.set_xlim(-180, 180)
    ax.set_ylim(-180, 180)
    ax.set_xticks(np.arange(-180, 181, 90))
    ax.set_yticks(np.arange(-180, 181, 90))
    ax.set_xlabel("φ (deg)")
    ax.set_ylabel("ψ (deg)")
    ax.set_aspect("equal")


def subsample(n: int, seed: int = 0) -> np.ndarray:
    """Indices of at most :data:`MAX_POINTS` of ``n`` points, sorted (all when n is smaller)."""
    if n <= MAX_POINTS:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, MAX_POINTS, replace=False))
