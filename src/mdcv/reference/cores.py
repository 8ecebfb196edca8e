"""Core sets of alanine dipeptide's slow φ process (radians), shared by the references.

No heavy imports: the GROMACS rules use it to pick shooting starts.
"""

from __future__ import annotations

import numpy as np

PHI_CORES = {"a": (2.5, -0.5), "b": (0.5, 2.0)}  # radians: C7eq/β/αR and C7ax/αL


def _on_arc(phi: np.ndarray, arc) -> np.ndarray:
    """φ on the arc from arc[0] to arc[1] (radians, counter-clockwise, wrapping at ±π)."""
    lo, hi = (float(v) for v in arc)
    return (phi > lo) & (phi < hi) if lo < hi else (phi > lo) | (phi < hi)


def phi_cores(phi, cores=None) -> np.ndarray:
    """Core of each frame by φ (radians): 0 = core ``a``, 1 = core ``b``, -1 between.

    ``cores``: {"a": (from, to), "b": (from, to)}, arcs of φ in radians, counter-clockwise
    (from > to wraps through ±π). Default (:data:`PHI_CORES`): a = C7eq/β/αR
    (φ > 2.5 or φ < -0.5), b = C7ax/αL (0.5 < φ < 2.0), leaving out the barriers around
    φ = 0 and φ ≈ 2.2.
    """
    cores = PHI_CORES if cores is None else cores
    phi = np.asarray(phi)
    core = np.full(len(phi), -1)
    in_a, in_b = _on_arc(phi, cores["a"]), _on_arc(phi, cores["b"])
    if np.any(in_a & in_b):
        raise ValueError(f"φ cores overlap: {dict(cores)}")
    core[in_a] = 0
    core[in_b] = 1
    return core
