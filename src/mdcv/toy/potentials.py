"""Toy potentials on R² and the loader for user potentials.

A potential is a function of an ``(n, 2)`` torch tensor of positions returning the
``(n,)`` tensor of energies in units of the system's energy scale (the toy systems
use reduced units: β is given in config, time is the potential's own time unit with
friction 1, so the dynamics is dX = -∇V dt + sqrt(2/β) dW). Gradients are taken by
autograd (:func:`gradient`), so a user potential only has to be written in torch.

Built-in potentials are looked up by name (:data:`BUILTIN`); anything else given as
``package.module:function`` or ``path/to/file.py:function`` is imported
(:func:`load_potential`).
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from mdcv.errors import ConfigError

Potential = Callable[[torch.Tensor], torch.Tensor]

# Müller & Brown (1979), Theor. Chim. Acta 53, 75.
_MB_A = (-200.0, -100.0, -170.0, 15.0)
_MB_a = (-1.0, -1.0, -6.5, 0.7)
_MB_b = (0.0, 0.0, 11.0, 0.6)
_MB_c = (-10.0, -10.0, -6.5, 0.7)
_MB_X0 = (1.0, 0.0, -0.5, -1.0)
_MB_Y0 = (0.0, 0.5, 1.5, 1.0)
MUELLER_BROWN_SCALE = 0.15
MUELLER_BROWN_SHIFT = 146.7


def mueller_brown_raw(x: torch.Tensor) -> torch.Tensor:
    """The original Müller-Brown potential V_MB (minimum ≈ -146.70 at (-0.558, 1.442))."""
    px, py = x[:, 0], x[:, 1]
    v = torch.zeros_like(px)
    for amp, a, b, c, x0, y0 in zip(_MB_A, _MB_a, _MB_b, _MB_c, _MB_X0, _MB_Y0, strict=True):
        dx, dy = px - x0, py - y0
        v = v + amp * torch.exp(a * dx * dx + b * dx * dy + c * dy * dy)
    return v


def mueller_brown(x: torch.Tensor) -> torch.Tensor:
    """Scaled Müller-Brown potential 0.15·(V_MB + 146.7), used at β = 1, friction 1.

    This is the scaling of the CV-learning literature (and of mlcolvar's generator
    tutorial): the global minimum is ≈ 0 and the barriers are a few to ~15 k_BT.
    """
    return MUELLER_BROWN_SCALE * (mueller_brown_raw(x) + MUELLER_BROWN_SHIFT)


def three_well(x: torch.Tensor) -> torch.Tensor:
    """Three-well potential of Metzner, Schütte & Vanden-Eijnden (2006), J. Chem. Phys. 125.

    Two deep wells near (±1, 0), a shallow one near (0, 1.5), and a weak confinement
    0.2·(x⁴ + (y - 1/3)⁴). Commonly used at β = 1.67 (their "low temperature").
    """
    px, py = x[:, 0], x[:, 1]
    return (
        3.0 * torch.exp(-(px**2) - (py - 1.0 / 3.0) ** 2)
        - 3.0 * torch.exp(-(px**2) - (py - 5.0 / 3.0) ** 2)
        - 5.0 * torch.exp(-((px - 1.0) ** 2) - py**2)
        - 5.0 * torch.exp(-((px + 1.0) ** 2) - py**2)
        + 0.2 * px**4
        + 0.2 * (py - 1.0 / 3.0) ** 4
    )


def separable_double_well(x: torch.Tensor) -> torch.Tensor:
    """(x² - 1)² + y²: a double well in x times a harmonic direction in y.

    Its generator separates, so its spectrum is the sum of the 1D spectra; used in
    tests as a case with a known answer (harmonic part: eigenvalues n·1 for β-free
    curvature 2 and friction 1).
    """
    return (x[:, 0] ** 2 - 1.0) ** 2 + x[:, 1] ** 2


BUILTIN: dict[str, Potential] = {
    "mueller_brown": mueller_brown,
    "three_well": three_well,
    "separable_double_well": separable_double_well,
}


def _load_from_file(path: Path, function: str) -> Potential:
    if not path.is_file():
        raise ConfigError(f"potential file {str(path)!r} does not exist (spec 'path/to/file.py:function')")
    spec = importlib.util.spec_from_file_location(f"mdcv_user_potential_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, function, None)


def load_potential(spec: str, base_dir: str | Path = ".") -> Potential:
    """Return the potential named by ``spec``.

    ``spec`` is a built-in name (see :data:`BUILTIN`), ``package.module:function`` or
    ``path/to/file.py:function`` (relative paths are resolved against ``base_dir``).
    """
    if spec in BUILTIN:
        return BUILTIN[spec]
    if ":" not in spec:
        raise ConfigError(
            f"unknown potential {spec!r}: use a built-in name ({', '.join(sorted(BUILTIN))}), "
            "'package.module:function' or 'path/to/file.py:function'"
        )
    target, function = spec.rsplit(":", 1)
    if target.endswith(".py"):
        path = Path(target)
        if not path.is_absolute():
            path = Path(base_dir) / path
        func = _load_from_file(path, function)
    else:
        try:
            module = importlib.import_module(target)
        except ImportError as exc:
            raise ConfigError(f"potential {spec!r}: cannot import module {target!r} ({exc})") from exc
        func = getattr(module, function, None)
    if not callable(func):
        raise ConfigError(f"potential {spec!r}: {function!r} is not a function in {target!r}")
    return func


def evaluate(potential: Potential, x: np.ndarray) -> np.ndarray:
    """Potential energy (n,) at positions x (n, 2), numpy in and out, float64."""
    with torch.no_grad():
        v = potential(torch.as_tensor(np.asarray(x), dtype=torch.float64))
    return _checked(v, x).numpy()


def gradient(potential: Potential, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Energies (n,) and gradients (n, 2) of ``potential`` at x (n, 2), by autograd."""
    x = x.detach().requires_grad_(True)
    with torch.enable_grad():
        v = _checked(potential(x), x)
        (g,) = torch.autograd.grad(v.sum(), x)
    return v.detach(), g


def _checked(v: torch.Tensor, x) -> torch.Tensor:
    if not isinstance(v, torch.Tensor) or v.shape != (len(x),):
        shape = getattr(v, "shape", type(v).__name__)
        raise ConfigError(
            f"a potential must map an (n, 2) tensor to an (n,) tensor; got {shape} for n={len(x)}"
        )
    return v
