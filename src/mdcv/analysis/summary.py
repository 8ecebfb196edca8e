"""The results summary: the study's tables condensed into one page and its CSVs.

Pure functions of data frames and directories (no Snakemake): each ``*_section``
takes a table the workflow wrote (``results/tables/*.csv``) and returns the frame the
summary shows; :func:`rule_times` and :func:`run_totals` read the per-rule benchmark
files (Snakemake ``benchmark:`` TSVs, times in seconds); :func:`page` renders it all
as Markdown. Eigenvalues keep the units of their table (toy: the potential's time
unit; alanine: 1/ns).
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pandas as pd

from mdcv.learn.modeldir import ModelDir

SHOOTING_METHOD = "tpt-bd-uniform"
#: The sections of the page, in order: (key, title, what the CSV holds).
SECTIONS = [
    ("toy_spectrum", "Toy spectra against the exact grid spectrum",
     "learned eigenvalues, their relative error to the grid reference and the floor's "
     "(the exact eigenfunctions through the same estimator on the same samples)"),
    ("cv_quality", "CV quality (effective dynamics along each learned CV)",
     "λ̃1 of the effective dynamics along the CV against the exact λ1 (λ̃1 ≥ λ1; "
     "rel_gap = λ̃1/λ1 − 1, smaller is better)"),
    ("alanine_eigenvalues", "Alanine dipeptide eigenvalues (1/ns) with every reference",
     "learned, MSM, committor-shooting and published eigenvalues; ratio_to_shooting = "
     "λ1 / the shooting λ1 of the same system"),
    ("reweighting", "Reweighting checks", "reweighted free energy of each biased run "
     "against its AWH PMF, |ΔF| in kT over populated bins"),
    ("awh_convergence", "AWH convergence", "the AWH PMF at half of each AWH run against "
     "the final one, |ΔF| in kT over the bins below max_F_kJ_mol (what the second half "
     "changed; mdcv.md.convergence)"),
    ("cv_loop", "CV loop, round by round", "per system and round (mdcv.loop.table): "
     "simulated time, core-to-core transitions per time unit, the ESS fraction and λ1 with "
     "its 95 % walker-bootstrap interval against the reference; figure: cv_loop.png"),
    ("shooting_check", "Committor-shooting estimator against the exact λ1 (toy)",
     "per toy system and seed: λ by committor shooting (mdcv.toy.shooting, the estimator of "
     "the alanine reference) with its 95 % block-bootstrap interval, the grid λ1 and the exact "
     "committor quotient λ_q of the same cores; rel_err = λ/λ1 − 1, rel_err_committor = "
     "λ/λ_q − 1; rows `mean`: their mean over seeds, ± the standard error (`_se`)"),
    ("models", "Model directories", "every trained model: device, training wall time, "
     "chosen step and its first eigenvalues (eigenvalues.csv)"),
    ("replicas", "Spread over seed replicas", "each learner trained with seed replicas "
     "(`replicas: N`: <learner>-r2 … -rN) on a system: seeds = their number, and the "
     "median, min and max over them of λ1 and λ2 (the models' eigenvalues.csv)"),
    ("rule_times", "Wall and CPU time per rule", "sums over each rule's jobs of the "
     "benchmark files' wall (s) and CPU (cpu_time) seconds"),
]


def toy_spectrum_section(table: pd.DataFrame) -> pd.DataFrame:
    """Learned rows of ``toy_spectrum.csv`` with the floor's relative error beside each."""
    floor = table.loc[table["method"] == "floor", ["system", "index", "rel_error"]]
    floor = floor.rename(columns={"rel_error": "floor_rel_error"})
    learned = table.loc[table["method"] != "floor"]
    out = learned.merge(floor, on=["system", "index"], how="left")
    cols = ["system", "method", "index", "eigenvalue", "std", "reference", "rel_error",
            "floor_rel_error", "correlation"]
    return out[[c for c in cols if c in out.columns]].reset_index(drop=True)


def cv_quality_section(table: pd.DataFrame) -> pd.DataFrame:
    """The gap λ̃1/λ1 − 1 of every learned 1D CV (``toy_cv_quality.csv``)."""
    cols = ["system", "learner", "kind", "lambda_tilde_1", "std", "lambda_1", "rel_gap",
            "bound_holds"]
    return table[[c for c in cols if c in table.columns]].reset_index(drop=True)


def alanine_section(table: pd.DataFrame) -> pd.DataFrame:
    """``alanine_eigenvalues.csv`` with each λ1 as a multiple of its system's shooting λ1."""
    out = table[[c for c in ["system", "method", "index", "eigenvalue", "std", "convention",
                             "readout"] if c in table.columns]].copy()
    shots = table.loc[(table["method"] == SHOOTING_METHOD) & (table["index"] == 1)]
    ref = dict(zip(shots["system"], shots["eigenvalue"], strict=True))
    ratio = [lam / ref[s] if i == 1 and s in ref and ref[s] > 0 else np.nan
             for s, i, lam in zip(out["system"], out["index"], out["eigenvalue"], strict=True)]
    out["ratio_to_shooting"] = ratio
    return out.reset_index(drop=True)


def loop_section(table: pd.DataFrame) -> pd.DataFrame:
    """``cv_loop.csv`` with λ1 relative to its reference (``rel_error``)."""
    out = table.reset_index(drop=True)
    out["rel_error"] = out["lambda1"] / out["lambda1_ref"] - 1.0
    return out


def shooting_check_section(table: pd.DataFrame) -> pd.DataFrame:
    """``shooting_check.csv`` (one row per system and seed) and per system a ``mean`` row:
    the mean over seeds of λ, rel_err and rel_err_committor, with standard errors (``_se``)."""
    cols = ["system", "seed", "lambda1_grid", "lambda_committor", "lambda1_shooting", "lo", "hi",
            "rel_err", "rel_err_committor", "starts", "runs_per_start", "core_radius", "dt"]
    out = table[[c for c in cols if c in table.columns]].copy()
    out["seed"] = out["seed"].astype(str)
    means = []
    for system, part in table.groupby("system", sort=False):
        row = {"system": system, "seed": "mean", "lambda1_grid": part["lambda1_grid"].iloc[0],
               "lambda_committor": part["lambda_committor"].iloc[0]}
        for col in ("lambda1_shooting", "rel_err", "rel_err_committor"):
            row[col] = part[col].mean()
            row[f"{col}_se"] = part[col].std(ddof=1) / math.sqrt(len(part)) if len(part) > 1 \
                else np.nan
        means.append(row)
    return pd.concat([out, pd.DataFrame(means)], ignore_index=True)


def reweighting_section(table: pd.DataFrame) -> pd.DataFrame:
    """``reweighting_check.csv`` as it is (one row per MD system)."""
    return table.reset_index(drop=True)


def awh_convergence_section(table: pd.DataFrame) -> pd.DataFrame:
    """``awh_convergence.csv`` as it is (one row per MD system)."""
    return table.reset_index(drop=True)


def models_section(model_dirs: dict[tuple[str, str], str | Path], k: int = 2) -> pd.DataFrame:
    """One row per model directory: device, wall_s, selected step and λ_1..λ_k.

    ``model_dirs`` maps (system, learner) to a directory; missing files leave blanks.
    """
    rows = []
    for (system, learner), root in model_dirs.items():
        md = ModelDir(root)
        row = {"system": system, "learner": learner}
        if md.run.exists():
            run = md.read_run()
            row |= {"device": run.get("device"), "wall_s": run.get("wall_s"),
                    "selected_step": run.get("selected_step")}
        if md.eigenvalues.exists():
            eig = pd.read_csv(md.eigenvalues)
            for _, r in eig.head(k).iterrows():
                row[f"lambda_{int(r['index'])}"] = r["eigenvalue"]
            if "unit" in eig.columns and len(eig):
                row["unit"] = eig["unit"].iloc[0]
        rows.append(row)
    return pd.DataFrame(rows)


def replicas_section(models: pd.DataFrame) -> pd.DataFrame:
    """The spread of λ_1, λ_2 over each learner's seed replicas (``models_section`` rows).

    A row ``<learner>-r<i>`` (i ≥ 2, as :mod:`mdcv.config.replicas` names them) belongs
    to ``<learner>`` on the same system when that row is present; groups of one are left
    out. Eigenvalues keep their unit (the ``unit`` column).
    """
    if models.empty:
        return pd.DataFrame()
    names = set(zip(models["system"], models["learner"], strict=True))
    groups = []
    for system, learner in zip(models["system"], models["learner"], strict=True):
        match = re.fullmatch(r"(.+)-r([2-9]|[1-9]\d+)", learner)
        base = match.group(1) if match and (system, match.group(1)) in names else learner
        groups.append((system, base))
    frame = models.assign(_system=[g[0] for g in groups], _base=[g[1] for g in groups])
    lambdas = [c for c in ("lambda_1", "lambda_2") if c in frame.columns]
    rows = []
    for (system, base), group in frame.groupby(["_system", "_base"], sort=False):
        if len(group) < 2:
            continue
        row = {"system": system, "learner": base, "seeds": len(group)}
        for col in lambdas:
            values = group[col].dropna()
            row |= {f"{col}_median": values.median(), f"{col}_min": values.min(),
                    f"{col}_max": values.max()}
        if "unit" in group.columns:
            row["unit"] = group["unit"].dropna().iloc[0] if group["unit"].notna().any() else None
        rows.append(row)
    return pd.DataFrame(rows)


def read_benchmarks(directory: str | Path) -> pd.DataFrame:
    """Every benchmark TSV under ``directory`` (``<rule>/...``): rule, file, s, cpu_s, mtime.

    The rule is the first folder under ``directory`` (the file's stem when it lies at the
    top). A TSV with several rows (``repeat``) counts each row; ``NA`` reads as 0 CPU s.
    """
    directory = Path(directory)
    rows = []
    for path in sorted(directory.rglob("*.tsv")) if directory.is_dir() else []:
        rel = path.relative_to(directory)
        rule = rel.parts[0] if len(rel.parts) > 1 else path.stem
        try:
            bench = pd.read_csv(path, sep="\t")
        except (pd.errors.EmptyDataError, pd.errors.ParserError):
            continue
        if "s" not in bench.columns:
            continue
        cpu = pd.to_numeric(bench.get("cpu_time", pd.Series(0.0, index=bench.index)),
                            errors="coerce").fillna(0.0)
        wall = pd.to_numeric(bench["s"], errors="coerce").fillna(0.0)
        rows.append({"rule": rule, "file": str(rel), "s": float(wall.sum()),
                     "cpu_s": float(cpu.sum()), "mtime": path.stat().st_mtime})
    return pd.DataFrame(rows, columns=["rule", "file", "s", "cpu_s", "mtime"])


def rule_times(bench: pd.DataFrame) -> pd.DataFrame:
    """Per rule: jobs, summed wall and CPU seconds; longest first, then a ``total`` row."""
    cols = ["rule", "jobs", "wall_s", "cpu_s"]
    if bench.empty:
        return pd.DataFrame(columns=cols)
    per = (bench.groupby("rule")
           .agg(jobs=("file", "size"), wall_s=("s", "sum"), cpu_s=("cpu_s", "sum"))
           .reset_index().sort_values(["wall_s", "rule"], ascending=[False, True]))
    total = pd.DataFrame([{"rule": "total", "jobs": int(per["jobs"].sum()),
                           "wall_s": per["wall_s"].sum(), "cpu_s": per["cpu_s"].sum()}])
    return pd.concat([per, total], ignore_index=True)[cols]


def run_totals(bench: pd.DataFrame) -> dict:
    """The run's totals: jobs, summed wall and CPU seconds, and its span in seconds.

    The span runs from the earliest job start (file time − its wall time) to the last
    job end (file time); when only part of the study was rerun it covers those jobs.
    """
    if bench.empty:
        return {"jobs": 0, "wall_s": 0.0, "cpu_s": 0.0, "span_s": 0.0}
    start = float((bench["mtime"] - bench["s"]).min())
    return {"jobs": len(bench), "wall_s": float(bench["s"].sum()),
            "cpu_s": float(bench["cpu_s"].sum()), "span_s": float(bench["mtime"].max()) - start}


def _cell(value) -> str:
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        if math.isnan(value):
            return ""
        return f"{value:.4g}"
    return "" if value is None else str(value).replace("|", "\\|")


def markdown_table(frame: pd.DataFrame) -> str:
    """A Markdown pipe table of ``frame`` (floats to 4 significant digits, NaN blank)."""
    if frame.empty:
        return "(no rows)"
    head = "| " + " | ".join(map(str, frame.columns)) + " |"
    rule = "| " + " | ".join("---" for _ in frame.columns) + " |"
    body = ["| " + " | ".join(_cell(v) for v in row) + " |"
            for row in frame.itertuples(index=False)]
    return "\n".join([head, rule, *body])


def page(provenance_md: str, sections: dict[str, pd.DataFrame], title: str = "Results summary") -> str:
    """The summary page: provenance, then each section present in ``sections`` with its CSV.

    ``sections`` maps a key of :data:`SECTIONS` to its frame; the CSV beside the page is
    ``<key>.csv``. Keys left out are listed as not produced by this run.
    """
    parts = [f"# {title}", "", "## Provenance", "", provenance_md, ""]
    missing = []
    for key, heading, what in SECTIONS:
        if key not in sections:
            missing.append(key)
            continue
        parts += [f"## {heading}", "", f"{what}. CSV: [{key}.csv]({key}.csv)", "",
                  markdown_table(sections[key]), ""]
    if missing:
        parts += ["## Not in this run", "", ", ".join(f"`{k}`" for k in missing), ""]
    return "\n".join(parts)


def page_html(markdown_page: str, sections: dict[str, pd.DataFrame]) -> str:
    """The same page as HTML for ``snakemake --report``: the provenance and each table.

    Headings and list lines of ``markdown_page`` become HTML; each table is rendered
    from its frame (links to the CSVs are kept).
    """
    import html

    out = ["<!DOCTYPE html><html><head><meta charset='utf-8'><title>Results summary</title>"
           "</head><body>"]
    in_list = False
    for line in markdown_page.splitlines():
        if line.startswith("- ") and not in_list:
            out.append("<ul>")
            in_list = True
        elif not line.startswith("- ") and in_list:
            out.append("</ul>")
            in_list = False
        if line.startswith("## "):
            out.append(f"<h2>{html.escape(line[3:])}</h2>")
            key = next((k for k, h, _ in SECTIONS if h == line[3:]), None)
            if key in sections:
                out.append(sections[key].to_html(index=False, na_rep="", float_format="%.4g"))
        elif line.startswith("# "):
            out.append(f"<h1>{html.escape(line[2:])}</h1>")
        elif line.startswith("- "):
            out.append(f"<li>{html.escape(line[2:]).replace('`', '')}</li>")
        elif "CSV: [" in line:
            text, link = line.split(" CSV: [", 1)
            name = link.split("]", 1)[0]
            out.append(f"<p>{html.escape(text)} CSV: <a href='{name}'>{name}</a></p>")
        elif line.startswith("`") or (line and not line.startswith("|") and line != "(no rows)"):
            out.append(f"<p>{html.escape(line).replace('`', '')}</p>")
    if in_list:
        out.append("</ul>")
    out.append("</body></html>")
    return "\n".join(out)
