"""Figures of the alanine stage: data, learned functions over (φ, ψ), training
convergence, MSM implied timescales. One figure per file, PNG and PDF; angles in
degrees on the axes, eigenvalues in ns⁻¹ with their convention in the legend.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from mdcv.learn.modeldir import ModelDir
from mdcv.plots.common import angle_axes, pyplot, save, subsample


def data_figure(dataset, system: str, paths: Sequence[str]) -> None:
    """Training data in (φ, ψ) coloured by log10 of the weight (the study's panels a, b)."""
    plt = pyplot()
    idx = subsample(dataset.n)
    phi, psi = np.degrees(dataset["phi"][idx]), np.degrees(dataset["psi"][idx])
    fig, ax = plt.subplots(figsize=(5, 4.2))
    sc = ax.scatter(phi, psi, c=np.log10(dataset.w[idx]), s=2, cmap="viridis", rasterized=True)
    fig.colorbar(sc, ax=ax, label="log10 weight")
    angle_axes(ax)
    ax.set_title(f"{system}: biased training data ({dataset.n} frames)")
    save(fig, paths)


def learner_figure(dataset, cv_file, title: str, paths: Sequence[str]) -> None:
    """Each learned function over (φ, ψ): the eigenfunction estimates (generator,
    transfer: sorted by eigenvalue, φ1, φ2, …) or the encoder outputs (autoencoders).

    Learners trained on another dataset (transfer: the Langevin runs) are evaluated on
    the frames of ``dataset`` through their model.ts (next to ``cv_file``).
    """
    from pathlib import Path

    plt = pyplot()
    cv = np.load(cv_file)
    values = cv["eigenfunctions"] if "eigenfunctions" in cv.files else cv["cv"]
    label = "φ" if "eigenfunctions" in cv.files else "ξ"
    if len(values) != dataset.n:
        from mdcv.analysis.effective import functions_on_data

        values = functions_on_data(Path(cv_file).parent, dataset.x, dataset.w)["eigenfunctions"]
    k = values.shape[1]
    idx = subsample(dataset.n)
    phi, psi = np.degrees(dataset["phi"][idx]), np.degrees(dataset["psi"][idx])
    fig, axes = plt.subplots(1, k, figsize=(4.6 * k, 4.0), squeeze=False, layout="constrained")
    for i, ax in enumerate(axes[0]):
        sc = ax.scatter(phi, psi, c=values[idx, i], s=2, cmap="coolwarm", rasterized=True)
        fig.colorbar(sc, ax=ax, shrink=0.8)
        angle_axes(ax)
        ax.set_title(f"{label}{i + 1}")
    fig.suptitle(title, fontsize=9)
    save(fig, paths)


def convergence_figure(histories: Sequence[str], labels: Sequence[str], published: dict,
                       system: str, paths: Sequence[str]) -> None:
    """Eigenvalue estimates (ns⁻¹, log scale) over training steps, published values dashed.

    Where a learner chose its model on validation frames (``selected_step`` in the
    run.json beside its history.csv), a dotted line in the colour of its λ1 curve marks that step.
    A cross-fitted learner (history.csv with a ``fold`` column) draws each member's curves
    in the same colours, with each member's chosen step.
    """
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(9, 4))
    for path, label in zip(histories, labels, strict=True):
        hist = pd.read_csv(path)
        cols = sorted(c for c in hist.columns if c.startswith("estimate_"))
        run = ModelDir(Path(path).parent).run
        info = json.loads(run.read_text()) if run.is_file() else {}
        members = hist.groupby("fold") if "fold" in hist else [(None, hist)]
        colours: list = []
        for fold, part in members:
            for j, col in enumerate(cols):
                name = f"{label} λ{j + 1}" + (f" ({len(info.get('members', []))} members)"
                                              if fold is not None else "")
                first = fold is None or fold == 0
                (line,) = ax.plot(part["step"], np.abs(part[col]), lw=1,
                                  color=colours[j] if j < len(colours) else None,
                                  label=name if j < 3 and first else None)
                if j >= len(colours):
                    colours.append(line.get_color())
        selected = [info.get("selected_step")] + [m.get("selected_step")
                                                  for m in info.get("members", [])]
        for i, step in enumerate(s for s in selected if s):
            ax.axvline(step, color=colours[0] if colours else None, ls=":", lw=1,
                       label=f"{label}: chosen model" if i == 0 else None)
    if system == "ala2-vacuum":
        for lam in published["eigenvalues"]:
            ax.axhline(lam, color="k", ls="--", lw=0.8)
        ax.plot([], [], "k--", lw=0.8, label="study (published, uniform D)")
    ax.set_yscale("log")
    ax.set_xlabel("training step")
    ax.set_ylabel("eigenvalue estimate (1/ns)")
    ax.set_title(f"{system}: eigenvalue estimates during training (outputs unsorted)")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.02, 1.0))
    save(fig, paths)


def msm_figure(scan_file, ck_file, title: str, paths: Sequence[str], shooting_file=None) -> None:
    """Implied timescales 1/λ_i (ns) vs lag and vs number of runs, and the CK test.

    ``shooting_file``: the committor-shooting row (``tpt-bd-uniform``), drawn as a band
    (1/λ_1 ± 1 std) across the lag panel.
    """
    plt = pyplot()
    scan = pd.read_csv(scan_file)
    ck = pd.read_csv(ck_file)
    fig, axes = plt.subplots(1, 3, figsize=(14, 4))
    for (scan_kind, x_col, xlabel), ax in zip(
            [("lag", "lag_ps", "lag (ps)"), ("runs", "runs", "runs")], axes[:2], strict=True):
        part = scan[scan["scan"] == scan_kind]
        if scan_kind == "runs":  # the full run count at the reported lag closes the scan
            full = scan[(scan["scan"] == "lag") & (scan["lag_ps"] == part["lag_ps"].max())]
            part = pd.concat([part, full])
        for i, grp in part.groupby("index"):
            grp = grp.sort_values(x_col)
            err = grp["std"] / grp["eigenvalue"] ** 2  # std of 1/λ by propagation
            ax.errorbar(grp[x_col], grp["timescale_ns"], yerr=err, marker="o", capsize=3,
                        label=f"1/λ{i}")
        ax.set_yscale("log")
        ax.set_xlabel(xlabel)
        ax.set_ylabel("implied timescale (ns)")
        ax.legend(fontsize=8)
    if shooting_file is not None:
        row = pd.read_csv(shooting_file).iloc[0]
        lam, std = float(row["eigenvalue"]), float(row["std"])
        if np.isfinite(lam) and lam > 0:
            lo, hi = 1.0 / (lam + std), 1.0 / max(lam - std, 1e-12)
            axes[0].axhspan(lo, min(hi, 1e3 / lam), color="0.8", zorder=0,
                            label="1/λ1, committor shooting")
            axes[0].axhline(1.0 / lam, color="0.4", lw=1, zorder=0)
            axes[0].legend(fontsize=8)
    axes[0].set_title("vs lag (all runs)")
    axes[1].set_title("vs number of runs (reported lag)")
    ax = axes[2]
    stay = ck[ck["set_from"] == ck["set_to"]]
    for a, grp in stay.groupby("set_from"):
        ax.plot(grp["step"], grp["estimated"], "o-", label=f"set {a}: estimated")
        ax.plot(grp["step"], grp["predicted"], "k--", lw=1)
    ax.set_xlabel("multiple of the lag")
    ax.set_ylabel("P(stay in set)")
    ax.set_title("Chapman–Kolmogorov (dashed: predicted)")
    ax.legend(fontsize=8)
    fig.suptitle(title, fontsize=10)
    save(fig, paths)


def study_figure(dataset, encoder_cv, eigen_cv, pmf_file, system: str, paths: Sequence[str],
                 k: int = 3) -> None:
    """The study's water panels in one row: encoder, φ1..φk over (φ, ψ), and the PMF.

    ``encoder_cv``/``eigen_cv``: cv.npz of an autoencoder and of a generator learner
    trained on ``dataset``; ``pmf_file``: the AWH free energy (kJ/mol).
    """
    from mdcv.md.pmf import Pmf

    plt = pyplot()
    enc = np.load(encoder_cv)["cv"][:, 0]
    eig = np.load(eigen_cv)["eigenfunctions"][:, :k]
    idx = subsample(dataset.n)
    phi, psi = np.degrees(dataset["phi"][idx]), np.degrees(dataset["psi"][idx])
    panels = [("encoder ξ1", enc)] + [(f"φ{i + 1}", eig[:, i]) for i in range(eig.shape[1])]
    fig, axes = plt.subplots(1, len(panels) + 1, figsize=(3.9 * (len(panels) + 1), 3.6),
                             layout="constrained")
    for ax, (name, values) in zip(axes, panels, strict=False):
        ax.scatter(phi, psi, c=values[idx], s=2, cmap="coolwarm", rasterized=True)
        angle_axes(ax)
        ax.set_title(name)
    pmf = Pmf.load(pmf_file)
    f = pmf.f - np.nanmin(pmf.f)
    top = float(np.nanpercentile(f, 99))
    cs = axes[-1].contourf(np.degrees(pmf.phi), np.degrees(pmf.psi), np.minimum(f, top).T,
                           levels=20, cmap="viridis")
    fig.colorbar(cs, ax=axes[-1], label="F (kJ/mol)", shrink=0.8)
    angle_axes(axes[-1])
    axes[-1].set_title("PMF (GROMACS AWH)")
    fig.suptitle(f"{system}: encoder, eigenfunctions (uniform D) and free energy", fontsize=10)
    save(fig, paths)
