"""Provenance of a run: commit, config, software versions, machine, date, run time.

Every function returns plain data (str, dict) and tolerates a missing tool: a value
that cannot be found reads ``"unknown"`` or ``"not found"`` instead of raising, so a
summary page can always be written. Times are in seconds.
"""

from __future__ import annotations

import datetime
import hashlib
import importlib.metadata
import json
import os
import platform
import shutil
import subprocess
from pathlib import Path

UNKNOWN = "unknown"


def _run(cmd: list[str], cwd: str | Path | None = None, timeout: float = 30.0) -> str | None:
    """stdout of ``cmd``, or None when it cannot run or fails."""
    try:
        proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    except (OSError, subprocess.SubprocessError):
        return None
    return proc.stdout if proc.returncode == 0 else None


def git_state(root: str | Path) -> dict:
    """``commit`` (full hash) and ``dirty`` (tracked files changed) of the tree at ``root``.

    Ignored files (``results/``) do not count as changes; untracked ones do not either.
    """
    commit = _run(["git", "rev-parse", "HEAD"], cwd=root)
    if commit is None:
        return {"commit": UNKNOWN, "dirty": UNKNOWN}
    status = _run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root)
    dirty = UNKNOWN if status is None else bool(status.strip())
    return {"commit": commit.strip(), "dirty": dirty}


def config_digest(config: dict) -> str:
    """sha256 of the merged config as canonical JSON (sorted keys): equal configs, equal digests."""
    text = json.dumps(config, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def config_files(files, default: str | Path, root: str | Path) -> list[str]:
    """The config files in merge order: ``default`` first (Snakemake loads it before the
    ``--configfile`` overlays, which win), then the others as given; paths inside
    ``root`` relative to it."""
    root, default = Path(root).resolve(), Path(default).resolve()
    paths = [Path(f).resolve() for f in files]
    ordered = [p for p in paths if p == default] + [p for p in paths if p != default]
    return [str(p.relative_to(root)) if p.is_relative_to(root) else str(p) for p in ordered]


def package_version(name: str) -> str:
    """Installed version of a Python distribution, or ``"not installed"``."""
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def gromacs_version(gmx: str | None = None) -> str:
    """The version ``gmx --version`` prints (``$MDCV_GMX`` or ``gmx``), or ``"not found"``."""
    exe = gmx or os.environ.get("MDCV_GMX", "gmx")
    if shutil.which(exe) is None:
        return "not found"
    out = _run([exe, "--version"])
    for line in (out or "").splitlines():
        if line.strip().startswith("GROMACS version:"):
            return line.split(":", 1)[1].strip()
    return UNKNOWN


def versions() -> dict:
    """Versions of Python, snakemake, torch and GROMACS."""
    return {
        "python": platform.python_version(),
        "snakemake": package_version("snakemake"),
        "torch": package_version("torch"),
        "gromacs": gromacs_version(),
    }


def gpus() -> list[str]:
    """Names of the NVIDIA GPUs ``nvidia-smi -L`` lists (empty without one)."""
    if shutil.which("nvidia-smi") is None:
        return []
    out = _run(["nvidia-smi", "--query-gpu=name", "--format=csv,noheader"]) or ""
    return [line.strip() for line in out.splitlines() if line.strip()]


def machine() -> dict:
    """Cores, memory (GiB), CPU architecture, operating system and GPUs of this machine."""
    try:
        mem_gib = round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)
    except (ValueError, OSError, AttributeError):
        mem_gib = UNKNOWN
    return {
        "cores": os.cpu_count() or UNKNOWN,
        "memory_gib": mem_gib,
        "architecture": platform.machine() or UNKNOWN,
        "system": f"{platform.system()} {platform.release()}".strip() or UNKNOWN,
        "gpus": ", ".join(gpus()) or "none",
    }


def utc_now() -> str:
    """The current time, UTC, ISO 8601 to the second."""
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def collect(root: str | Path, configfiles: list[str], config: dict, run_time: dict) -> dict:
    """Everything a summary page states about how it was made.

    ``configfiles``: the config files in merge order (:func:`config_files`); ``config``:
    the merged config;
    ``run_time``: the run's time totals (``mdcv.analysis.summary.run_totals``).
    """
    return {
        "date": utc_now(),
        **git_state(root),
        "configfiles": [str(f) for f in configfiles],
        "config_digest": config_digest(config),
        "versions": versions(),
        "machine": machine(),
        "run_time": run_time,
    }


def _hours(seconds) -> str:
    if not isinstance(seconds, int | float):
        return str(seconds)
    return f"{seconds:.0f} s ({seconds / 3600:.2f} h)"


def header_markdown(prov: dict) -> str:
    """The provenance block of a summary page (Markdown list)."""
    dirty = prov["dirty"]
    state = {True: "with uncommitted changes", False: "clean"}.get(dirty, f"state {dirty}")
    v, m, t = prov["versions"], prov["machine"], prov["run_time"]
    lines = [
        f"- date (UTC): {prov['date']}",
        f"- commit: `{prov['commit']}` ({state})",
        f"- config files: {', '.join(f'`{f}`' for f in prov['configfiles']) or 'none'}",
        f"- merged config sha256: `{prov['config_digest']}`",
        f"- versions: Python {v['python']}, snakemake {v['snakemake']}, torch {v['torch']}, "
        f"GROMACS {v['gromacs']}",
        f"- machine: {m['cores']} cores, {m['memory_gib']} GiB, {m['architecture']}, "
        f"{m['system']}; GPU: {m['gpus']}",
        f"- run time: {t.get('jobs', 0)} benchmarked jobs; span {_hours(t.get('span_s', UNKNOWN))} "
        f"wall; jobs' wall time summed {_hours(t.get('wall_s', 0.0))}; "
        f"CPU time {_hours(t.get('cpu_s', 0.0))}",
    ]
    return "\n".join(lines)
