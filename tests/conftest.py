"""Shared fixtures and markers: fixed seeds, the repository root, small datasets.

Markers (declared in pyproject.toml): ``slow`` (real workflow runs, minutes),
``gromacs`` (needs the gmx command line: skipped here when it is missing, so a test
never checks for gmx itself), ``snakemake`` (launches Snakemake subprocesses: lint,
dry runs; an unmarked test that starts one fails) and ``slurm``. ``make test-fast``
deselects ``slow`` and ``snakemake``.
"""

from __future__ import annotations

import os
import random
import subprocess
from pathlib import Path

import numpy as np
import pytest
import torch

from mdcv.errors import GromacsError
from mdcv.md import gromacs

ROOT = Path(__file__).resolve().parents[1]


def _gmx_missing() -> str:
    """Why gmx cannot be used ('' when it can)."""
    try:
        gromacs.executable()
    except GromacsError as err:
        return str(err)
    return ""


def pytest_collection_modifyitems(config, items):
    """Skip the ``gromacs`` tests, naming the fix, where gmx is not installed."""
    missing = _gmx_missing()
    if not missing:
        return
    skip = pytest.mark.skip(reason=f"marked gromacs: {missing}")
    for item in items:
        if item.get_closest_marker("gromacs"):
            item.add_marker(skip)


def _launches_snakemake(args) -> bool:
    words = [args] if isinstance(args, (str, bytes, os.PathLike)) else list(args)
    return any(os.path.basename(os.fsdecode(w)) == "snakemake" for w in words[:3])


@pytest.fixture(autouse=True)
def snakemake_needs_its_marker(request, monkeypatch):
    """A test that starts Snakemake without the ``snakemake`` marker fails at once."""
    if request.node.get_closest_marker("snakemake"):
        return
    popen_init = subprocess.Popen.__init__

    def guarded(self, args, *more, **kw):
        if _launches_snakemake(args):
            raise AssertionError(f"{request.node.nodeid} launches Snakemake: mark it "
                                 "@pytest.mark.snakemake (make test-fast leaves those out)")
        popen_init(self, args, *more, **kw)

    monkeypatch.setattr(subprocess.Popen, "__init__", guarded)


@pytest.fixture(autouse=True)
def fixed_seed():
    random.seed(0)
    np.random.seed(0)  # noqa: NPY002
    torch.manual_seed(0)
    torch.set_num_threads(1)


@pytest.fixture
def root() -> Path:
    return ROOT


def harmonic(a: float = 1.0, b: float = 4.0):
    """V = a x²/2 + b y²/2: an Ornstein–Uhlenbeck process with λ = n·a + m·b (friction 1)."""

    def potential(x: torch.Tensor) -> torch.Tensor:
        return 0.5 * a * x[:, 0] ** 2 + 0.5 * b * x[:, 1] ** 2

    return potential
