"""Shared fixtures: fixed seeds, the repository root, small datasets."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]


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
