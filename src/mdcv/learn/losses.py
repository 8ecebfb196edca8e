"""Loss functions of the learners. Each takes weights ``w`` (n,) and applies them to
every expectation, mean, variance and covariance (DESIGN: biased sampling).
"""

from __future__ import annotations

import torch


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
    rows, cols = torch.triu_indices(k, k, device=f.device)  # i ≤ j, row by row
    return ((cov - eye)[rows, cols] ** 2).sum()


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


def transfer_loss(f0: torch.Tensor, f1: torch.Tensor, w: torch.Tensor, omega: torch.Tensor,
                  alpha: float, lag: float, normalized: bool = True,
                  deflation: bool = False) -> tuple[torch.Tensor, dict]:
    """Transfer-operator eigenfunction loss on lagged pairs (x_t, x_{t+τ}).

    ``f0``, ``f1`` (n, k): the functions at the pair's start and end; ``w`` (n,): the
    weight of each pair (its start's); ``lag``: τ in the data's time unit. Means and
    covariances use both ends (the symmetrized, time-reversible estimate). The study's
    loss (``normalized=False``) is

        ½ Σ_i ω_i E_w|f_i(x_{t+τ}) - f_i(x_t)|² + α Σ_{i≤j} (Cov_w(f_i, f_j) - δ_ij)²;

    ``normalized=True`` divides each transition term by τ·Var_w(f_i), i.e. uses
    (1 - σ_i)/τ ≈ λ_i, which is on the scale of the generator loss whatever τ (a
    better-conditioned variant). ``deflation`` orthogonalizes as in :func:`deflate`.
    Parts: ``sigma`` (k,) the transfer eigenvalue estimates 1 - ½E|Δf_i|²/Var(f_i),
    ``rate`` (k,) the implied generator eigenvalues -ln(σ_i)/τ, ``penalty``, ``var``.
    """
    n, k = f0.shape
    fs = torch.cat([f0, f1])
    ws = torch.cat([w, w])
    if deflation and k > 1:
        fs, _, _ = deflate(fs, torch.zeros(2 * n, k, 1, dtype=fs.dtype, device=fs.device), ws)
        f0, f1 = fs[:n], fs[n:]
    _, cov = weighted_moments(fs, ws)
    var = torch.diagonal(cov)
    wn = (w / w.sum())[:, None]
    half_sq = 0.5 * (wn * (f1 - f0) ** 2).sum(0)
    one_minus_sigma = half_sq / var
    data = one_minus_sigma / lag if normalized else half_sq
    penalty = orthonormality_penalty(fs, ws)
    loss = (omega * data).sum() + alpha * penalty
    sigma = 1.0 - one_minus_sigma
    rate = -torch.log(sigma.detach().clamp_min(1e-12)) / lag
    return loss, {"sigma": sigma, "rate": rate, "penalty": penalty, "var": var}


def reconstruction_loss(x: torch.Tensor, x_hat: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    """Weighted autoencoder loss E_w|x - x̂|² (squared Euclidean norm per sample)."""
    wn = w / w.sum()
    return (wn * ((x - x_hat) ** 2).sum(1)).sum()


def regularized_autoencoder_loss(x: torch.Tensor, x_hat: torch.Tensor, z: torch.Tensor,
                                 grad_z: torch.Tensor, w: torch.Tensor, diffusion: torch.Tensor,
                                 omega: torch.Tensor, alpha: float, gamma1: float,
                                 gamma2: float) -> tuple[torch.Tensor, dict]:
    """γ1·E_w|x - D(ξ(x))|² + γ2·R(ξ), R the generator loss on the encoder output ξ = z.

    Seed formula (8) (Lelièvre, Pigeon, Stoltz & Zhang 2024): R is
    :func:`generator_loss` of the CVs z (n, k) with gradients ``grad_z`` (n, k, d).
    Parts: ``reconstruction``, ``regularizer``, and those of :func:`generator_loss`.
    """
    recon = reconstruction_loss(x, x_hat, w)
    reg, parts = generator_loss(z, grad_z, w, diffusion, omega, alpha)
    loss = gamma1 * recon + gamma2 * reg
    return loss, {"reconstruction": recon, "regularizer": reg, **parts}
