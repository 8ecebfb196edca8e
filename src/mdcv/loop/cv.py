"""A round's CV ξ from its trained model directory: the first Rayleigh–Ritz eigenfunction.

ξ(x) = (f(x) - E_w f) · v_1, f = model.ts (n, d) → (n, k) and v_1 the first Ritz vector
of span{f} on the round's weighted samples (:func:`mdcv.learn.spectral.ritz`), so ξ is
round r's estimate of φ_1, centred and of unit weighted variance.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from mdcv.learn import spectral


def load_model(model_dir: str | Path) -> torch.jit.ScriptModule:
    """The TorchScript CV of a model directory (float32 inputs)."""
    return torch.jit.load(str(Path(model_dir) / "model.ts"))


def values_and_gradients(model, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Outputs f (n, k) and input gradients (n, k, d) of ``model`` at x (n, d), float64."""
    xt = torch.as_tensor(np.asarray(x), dtype=torch.float32).requires_grad_(True)
    f = model(xt)
    grads = [torch.autograd.grad(f[:, i].sum(), xt, retain_graph=i + 1 < f.shape[1])[0]
             for i in range(f.shape[1])]  # one backward per output (k is small)
    return f.detach().double().numpy(), torch.stack(grads, 1).double().numpy()


@dataclass(frozen=True)
class FirstEigenfunction:
    """ξ(x) = (f(x) - mean) · vector for a model ``model`` (see the module)."""

    model: torch.jit.ScriptModule
    mean: np.ndarray
    vector: np.ndarray

    @classmethod
    def fit(cls, model, f: np.ndarray, g: np.ndarray, w: np.ndarray, diffusion: np.ndarray
            ) -> FirstEigenfunction:
        """ξ from the model's values f (n, k) and gradients g (n, k, d) on weighted samples."""
        _, vecs = spectral.ritz(f, g, w, diffusion)
        mean = (np.asarray(w)[:, None] * f).sum(0) / np.sum(w)
        return cls(model, mean, vecs[:, 0])

    def values(self, f: np.ndarray) -> np.ndarray:
        """ξ from precomputed model outputs f (n, k)."""
        return (f - self.mean) @ self.vector

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        """ξ at x (n, d), differentiable (float64 out, the network in float32)."""
        f = self.model(x.float()).double()
        return (f - torch.as_tensor(self.mean)) @ torch.as_tensor(self.vector)
