"""Example user potentials: any function of an (n, 2) torch tensor returning (n,).

Use one in a config with ``potential: examples/potentials.py:wolfe_quapp`` (path
relative to the project root) or, if this folder is importable,
``potential: examples.potentials:wolfe_quapp``.
"""

import torch


def wolfe_quapp(x: torch.Tensor) -> torch.Tensor:
    """Wolfe–Quapp potential x⁴ + y⁴ - 2x² - 4y² + xy + 0.3x + 0.1y (four minima)."""
    px, py = x[:, 0], x[:, 1]
    return px**4 + py**4 - 2 * px**2 - 4 * py**2 + px * py + 0.3 * px + 0.1 * py
