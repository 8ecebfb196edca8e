"""The CV loop's figure: λ1 per round with its interval and the reference, transitions
per time unit, and the bias of each round (F_r along ξ_r), one row per system."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from mdcv.plots.common import pyplot, save


def _round_of(path: str | Path) -> tuple[str, int]:
    """(system, round) of a results/<system>/loop/round<r>/… file."""
    parts = Path(path).parts
    return parts[-4], int(re.fullmatch(r"round(\d+)", parts[-2]).group(1))


def loop_figure(table: str | Path, profiles: Iterable[str | Path], out: Iterable[str | Path]):
    """Draw the figure from cv_loop.csv and the rounds' free_energy.npz files."""
    plt = pyplot()
    df = pd.read_csv(table)
    systems = list(dict.fromkeys(df["system"]))
    fig, axes = plt.subplots(len(systems), 3, figsize=(12, 3.4 * len(systems)), squeeze=False)
    by_system: dict[str, list] = {}
    for p in profiles:
        system, r = _round_of(p)
        by_system.setdefault(system, []).append((r, p))
    for row, system in zip(axes, systems, strict=True):
        d = df[df["system"] == system].sort_values("round")
        ax = row[0]
        ax.errorbar(d["round"], d["lambda1"], yerr=[d["lambda1"] - d["lambda1_lo"],
                                                    d["lambda1_hi"] - d["lambda1"]],
                    fmt="o-", capsize=3, label="λ1 (95 % walker bootstrap)")
        ref = d["lambda1_ref"].dropna()
        if len(ref):
            ax.axhline(ref.iloc[0], color="k", ls="--", label="reference")
            ax.axhspan(0.95 * ref.iloc[0], 1.05 * ref.iloc[0], color="k", alpha=0.08,
                       label="reference ± 5 %")
        ax.set(xlabel="round", ylabel="λ1 (log scale)", title=f"{system}: λ1 per round")
        if (d[["lambda1", "lambda1_lo"]] > 0).all().all():
            ax.set_yscale("log")
        ax.set_xticks(d["round"])
        ax.legend(fontsize=8)
        ax = row[1]
        ax.plot(d["round"], d["transitions_per_ns"], "o-")
        ax.set(xlabel="round", ylabel="core-to-core transitions per time unit",
               title="transitions (toys: per potential's time unit)")
        ax.set_xticks(d["round"])
        ax = row[2]
        shown = {int(r) for r in d["round"]}
        for r, p in sorted(by_system.get(system, [])):
            if r not in shown or r == int(d["round"].max()):
                continue  # the last round's F biases no round
            with np.load(p) as z:
                ax.plot(z["centres"], -float(z["fraction"]) * z["free_energy"],
                        label=f"round {r + 1}: -c·F{r}(ξ{r})")
        ax.set(xlabel="ξ_r (first eigenfunction of round r)", ylabel="bias V_b",
               title="bias of each round along its CV")
        if ax.lines:
            ax.legend(fontsize=8)
    fig.tight_layout()
    save(fig, out)
