"""Loss functions of the learners. Each takes weights ``w`` (n,) and applies them to
every expectation, mean, variance and covariance (DESIGN: biased sampling).
"""

from __future__ import annotations

import torch
from torch import nn


def weighted_moments(f: torch.Tensor, w: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Weighted mean (k,) and covariance (k, k) of f (n, k)."""
    wn = (w / w.sum())[:, None]
    mean = (wn * f).sum(0)
    fc = f - mean
    return mean, (wn * fc).T @ fc


def dirichlet_energy(grad: torch.Tensor, w: torch.Tensor, diffusion: torch.Tensor) -> torch.Tensor:
    """E(f_i) = E_w[Σ_a D_a (∂_a f_i)²] for grad (n, k, d) → (k,)."""
    wn = (w / w.sum())[:, None]
    return (wn * (grad**2 * diffusion).sum(-1)).sum(0)


def orthonormality_penalty(f: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    """Σ_{i≤j} (Cov_w(f_i, f_j) - δ_ij)²."""
    _, cov = weighted_moments(f, w)
    k = f.shape[1]
    eye = torch.eye(k, dtype=f.dtype, device=f.device)
    upper = torch.triu(torch.ones(k, k, dtype=torch.bool, device=f.device))
    return ((cov - eye)[upper] ** 2).sum()


def deflate(f: torch.Tensor, grad: torch.Tensor, w: torch.Tensor
            ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Gram–Schmidt of each f_j against the detached, already deflated f_1..f_{j-1}.

    f_j ← f_j - Σ_{i<j} c_ji f_i with c_ji = Cov_w(f_j, f_i)/Var_w(f_i), f_i detached,
    applied to values (n, k) and gradients (n, k, d) alike. A later function can then
    neither copy nor pull an earlier one. Returns f, grad and the (k, k) unit lower
    triangular matrix M with f_deflated = f @ M.T (for freezing into the model).
    """
    k = f.shape[1]
    wn = (w / w.sum())[:, None]
    fs, gs = [f[:, 0]], [grad[:, 0]]
    mix = torch.eye(k, dtype=f.dtype, device=f.device)
    for j in range(1, k):
        fj, gj, row = f[:, j], grad[:, j], mix[j].clone()
        for i in range(j):
            fi = fs[i].detach()
            fic = fi - (wn[:, 0] * fi).sum()
            c = (wn[:, 0] * fic * fj).sum() / (wn[:, 0] * fic * fic).sum()
            fj = fj - c * fi
            gj = gj - c * gs[i].detach()
            row = row - c.detach() * mix[i]
        fs.append(fj)
        gs.append(gj)
        mix[j] = row
    return torch.stack(fs, 1), torch.stack(gs, 1), mix


def generator_loss(f: torch.Tensor, grad: torch.Tensor, w: torch.Tensor,
                   diffusion: torch.Tensor, omega: torch.Tensor, alpha: float,
                   deflation: bool = False) -> tuple[torch.Tensor, dict]:
    """The generator eigenfunction loss of the study (Zhang, Li & Schütte 2022):

        Σ_i ω_i E(f_i) / Var_w(f_i) + α Σ_{i≤j} (Cov_w(f_i, f_j) - δ_ij)².

    With ``deflation`` the functions are first orthogonalized by :func:`deflate`
    (a better-conditioned variant; the study's loss is ``deflation=False``).
    Returns the loss and its parts: ``rayleigh`` (k,) the Rayleigh quotients
    E(f_i)/Var(f_i) (the eigenvalue estimates), ``penalty``, ``energy``, ``var``.
    """
    if deflation and f.shape[1] > 1:
        f, grad, _ = deflate(f, grad, w)
    energy = dirichlet_energy(grad, w, diffusion)
    _, cov = weighted_moments(f, w)
    var = torch.diagonal(cov)
    rayleigh = energy / var
    penalty = orthonormality_penalty(f, w)
    loss = (omega * rayleigh).sum() + alpha * penalty
    return loss, {"rayleigh": rayleigh, "penalty": penalty, "energy": energy, "var": var}


class GeneratorLoss(nn.Module):
    """Module form of :func:`generator_loss` with fixed ω, α, diffusion and deflation."""

    def __init__(self, omega, alpha: float, diffusion, deflation: bool = False):
        super().__init__()
        self.register_buffer("omega", torch.as_tensor(omega, dtype=torch.get_default_dtype()))
        self.register_buffer("diffusion", torch.as_tensor(diffusion,
                                                          dtype=torch.get_default_dtype()))
        self.alpha = alpha
        self.deflation = deflation

    def forward(self, f, grad, w):
        return generator_loss(f, grad, w, self.diffusion, self.omega, self.alpha, self.deflation)
