"""Per-coordinate diffusion coefficients D_a of the Dirichlet form E(f) = E_w[Σ D_a (∂_a f)²].

Conventions (setting ``diffusion`` of a generator learner):

- ``beta``: toy systems, friction 1: D_a = 1/β; eigenvalues in the potential's time unit.
- ``uniform``: one D for every Cartesian coordinate, ``diffusion_constant`` in nm²/ns
  (the study's code: 1e-5 cm²/s = 1 nm²/ns); eigenvalues in ns⁻¹.
- ``mass_weighted``: D_i = k_B T / (γ m_i) per atom (kT in kJ/mol = amu·nm²/ps², γ in
  ps⁻¹, m in amu), converted to nm²/ns; eigenvalues in ns⁻¹.
"""

from __future__ import annotations

import numpy as np

from mdcv.data import Dataset
from mdcv.errors import ConfigError, DataError
from mdcv.units import PS_PER_NS


def coefficients(dataset: Dataset, settings: dict) -> tuple[np.ndarray, str]:
    """D (d,) for ``dataset`` under the convention in ``settings``, and the eigenvalue unit."""
    convention = settings.get("diffusion", "beta")
    d = dataset.dim
    if convention == "beta":
        beta = dataset.get("beta")
        if beta is None:
            raise DataError("diffusion 'beta' needs the dataset scalar 'beta' (toy datasets carry it)")
        return np.full(d, 1.0 / float(beta)), "1/time"
    if convention == "uniform":
        return np.full(d, float(settings["diffusion_constant"])), "1/ns"
    if convention == "mass_weighted":
        masses, kt = dataset.get("masses"), dataset.get("kT")
        if masses is None or kt is None:
            raise DataError("diffusion 'mass_weighted' needs 'masses' (amu) and 'kT' (kJ/mol) "
                            "in the dataset")
        masses = np.asarray(masses, dtype=np.float64)
        if 3 * len(masses) != d:
            raise DataError(f"dataset has {d} coordinates but {len(masses)} masses")
        per_atom = float(kt) / (float(settings["friction"]) * masses) * PS_PER_NS  # nm²/ns
        return np.repeat(per_atom, 3), "1/ns"
    raise ConfigError(f"diffusion must be one of beta, uniform, mass_weighted; got {convention!r}")
