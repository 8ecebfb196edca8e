"""Eigenvalue read-outs of the generator from functions evaluated on weighted samples.

All read-outs take the values ``f`` (n, k) of trial functions, their gradients
``grad`` (n, k, d) with respect to the coordinates, the weights ``w`` (n,) and the
per-coordinate diffusion ``diffusion`` (d,), so that the Dirichlet form is

    E(f, g) = E_w[Σ_a D_a ∂_a f ∂_a g]      (toy systems: D_a = 1/β).

- :func:`rayleigh_quotients`: E(f_i) / Var_w(f_i) for each function (the study's);
- :func:`ritz`: Rayleigh–Ritz in span{1, f_1, …, f_k} (the generalized eigenproblem
  of the energy and covariance matrices);
- :func:`galerkin`: Rayleigh–Ritz in the span of piecewise-linear hat functions of
  each learned function (nodes at weighted quantiles), i.e. the effective dynamics
  along the learned CVs solved by Galerkin. A function that is flat where the
  learned one has small leftover slopes is in this space, so its eigenvalues are
  upper bounds that are far less sensitive to those slopes.
- :func:`energy_frames`: on how many frames the Dirichlet energy of each Ritz
  eigenfunction effectively rests, a check that a read-out is not carried by a few
  frames (then it is heavy-tailed, and its bootstrap std understates the error).

Everything is computed in float64 numpy.
"""

from __future__ import annotations

import numpy as np
import scipy.linalg
import scipy.sparse as sp

from mdcv.stats import weighted_cov, weighted_var


def energy_matrix(grad: np.ndarray, w: np.ndarray, diffusion: np.ndarray) -> np.ndarray:
    """A_ij = E_w[Σ_a D_a ∂_a f_i ∂_a f_j] for grad (n, k, d)."""
    g = np.asarray(grad, dtype=np.float64)
    wn = np.asarray(w, dtype=np.float64) / np.sum(w)
    diffusion = np.asarray(diffusion, dtype=np.float64)
    out = np.zeros((g.shape[1], g.shape[1]))
    for a in range(g.shape[2]):  # coordinates, not samples
        ga = g[:, :, a]
        out += diffusion[a] * ((wn[:, None] * ga).T @ ga)
    return out


def rayleigh_quotients(f, grad, w, diffusion) -> np.ndarray:
    """E(f_i) / Var_w(f_i) for each of the k functions, in the order given."""
    f = np.asarray(f, dtype=np.float64)
    return np.diag(energy_matrix(grad, w, diffusion)) / weighted_var(f, np.asarray(w, float))


def ritz(f, grad, w, diffusion, n_eigen: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Rayleigh–Ritz eigenvalues (ascending) and coefficient vectors in span{f}.

    The constant is projected out by centring (Cov), so the values estimate λ_1..λ_k.
    """
    f = np.asarray(f, dtype=np.float64)
    a = energy_matrix(grad, w, diffusion)
    b = weighted_cov(f, np.asarray(w, dtype=np.float64))
    vals, vecs = scipy.linalg.eigh(a, b)
    k = n_eigen or len(vals)
    return vals[:k], vecs[:, :k]


def energy_frames(grad, w, diffusion, vecs) -> np.ndarray:
    """Effective number of frames carrying the energy of each Ritz eigenfunction (k,).

    For u_j = Σ_i f_i V_ij (``vecs`` from :func:`ritz`) the per-frame energy is
    e_n = w_n Σ_a D_a (∂_a u_j)²; the count is (Σ_n e_n)² / Σ_n e_n², which is n when
    all frames carry the same energy and 1 when a single frame carries all of it. A
    network that overfits sparse barrier frames puts sharp steps between them: on the
    frames it did not see, its energy then comes from the few that land on a step.
    """
    g = np.einsum("nkd,kj->njd", np.asarray(grad, dtype=np.float64), np.asarray(vecs, float))
    e = np.asarray(w, dtype=np.float64)[:, None] * np.einsum(
        "njd,d->nj", g * g, np.asarray(diffusion, dtype=np.float64))
    total, squares = e.sum(0), (e * e).sum(0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(squares > 0, total * total / squares, np.nan)


def hat_basis(z: np.ndarray, nodes: np.ndarray) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    """Hat functions on ``nodes`` at points z: sparse values and derivatives (n, m)."""
    m = len(nodes)
    z = np.clip(z, nodes[0], nodes[-1])
    cell = np.clip(np.searchsorted(nodes, z, side="right") - 1, 0, m - 2)
    width = nodes[cell + 1] - nodes[cell]
    s = (z - nodes[cell]) / width
    rows = np.repeat(np.arange(len(z)), 2)
    cols = np.stack([cell, cell + 1], axis=1).ravel()
    values = sp.csr_matrix((np.stack([1.0 - s, s], 1).ravel(), (rows, cols)), shape=(len(z), m))
    slope = np.stack([-1.0 / width, 1.0 / width], 1).ravel()
    derivs = sp.csr_matrix((slope, (rows, cols)), shape=(len(z), m))
    return values, derivs


def quantile_nodes(z: np.ndarray, n_cells: int, min_per_cell: int = 300) -> np.ndarray:
    """Nodes that split the samples z into cells of about equal sample counts (sorted).

    Quantiles of the samples themselves, not of μ: biased samples cover the
    transition regions that μ barely weights, which is where the resolution is
    needed. At most len(z) / ``min_per_cell`` cells. The end nodes are min(z) and
    max(z); every inner node lies midway between two consecutive distinct values of
    z, so every cell holds samples even when values repeat exactly. (A float32
    network that is flat in a basin returns a few hundred distinct values there;
    interpolated quantiles then left cells empty, which cut the hat-function chain
    in two and gave a Galerkin λ1 of 0.)
    """
    z = np.asarray(z, dtype=np.float64)
    n_cells = max(1, min(n_cells, len(z) // min_per_cell))
    values, counts = np.unique(z, return_counts=True)
    if len(values) < 2:
        return values
    split = np.searchsorted(np.cumsum(counts), np.linspace(0.0, len(z), n_cells + 1)[1:-1])
    split = np.unique(np.clip(split, 0, len(values) - 2))
    inner = 0.5 * (values[split] + values[split + 1])
    return np.concatenate([values[:1], inner, values[-1:]])


def _ritz_on_range(values: np.ndarray, grads: np.ndarray, w: np.ndarray, diffusion: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Rayleigh–Ritz on a possibly redundant basis (n, m): eigenvalues, coefficients (m, r)."""
    a = energy_matrix(grads, w, diffusion)
    b = weighted_cov(values, w)
    evals, evecs = np.linalg.eigh(b)
    keep = evals > 1e-10 * evals.max()
    p = evecs[:, keep] / np.sqrt(evals[keep])
    vals, vecs = np.linalg.eigh(p.T @ a @ p)
    return vals, p @ vecs


def effective_1d(z, grad_z, w, diffusion, n_cells: int = 200):
    """Effective dynamics along one CV z, solved by Galerkin on hat functions of z.

    ``z`` (n,) are the CV values, ``grad_z`` (n, d) its gradients. The trial space is
    {h(z)} for hat functions on ``n_cells`` sample-quantile cells (the generator of
    the effective dynamics, with ã(z) = E_μ[Σ D_a (∂_a z)² | z], in weak form).
    Returns the eigenvalues λ̃_1 < λ̃_2 < … (constant removed) and the values (n,)
    and gradients (n, d) of the first eigenfunction lifted to x, ψ(x) = g(z(x)).
    """
    z = np.asarray(z, dtype=np.float64)
    gz = np.asarray(grad_z, dtype=np.float64)
    w = np.asarray(w, dtype=np.float64) / np.sum(w)
    d = np.asarray(diffusion, dtype=np.float64)
    h, dh = hat_basis(z, quantile_nodes(z, n_cells))
    mean = np.asarray(h.T @ w).ravel()
    b = np.asarray((h.T @ sp.diags(w) @ h).todense()) - np.outer(mean, mean)
    metric = w * np.einsum("na,na->n", gz * d, gz)
    a = np.asarray((dh.T @ sp.diags(metric) @ dh).todense())
    # The hats sum to 1, so centring leaves one null direction: solve on b's range.
    evals, evecs = np.linalg.eigh(b)
    keep = evals > 1e-10 * evals.max()
    p = evecs[:, keep] / np.sqrt(evals[keep])
    vals, vecs = np.linalg.eigh(p.T @ a @ p)
    coef = p @ vecs[:, 0]
    psi = h @ coef
    dpsi = (dh @ coef)[:, None] * gz
    return vals, psi, dpsi


def galerkin(f, grad, w, diffusion, n_cells: int = 200, n_cells_rest: int = 10) -> np.ndarray:
    """λ_1..λ_k: effective dynamics along f_1, then Rayleigh–Ritz with hats of f_2..f_k.

    f_1 is replaced by the first eigenfunction ψ_1 of the effective dynamics along it
    (:func:`effective_1d` with ``n_cells``, which flattens the leftover slopes of f_1
    inside the basins); the eigenvalues are the Rayleigh–Ritz values of
    span{ψ_1} ∪ {h(f_i): i ≥ 2} with ``n_cells_rest`` hat functions per f_i. With
    exact expectations every value is an upper bound of the true λ_i.
    """
    f = np.asarray(f, dtype=np.float64)
    g = np.asarray(grad, dtype=np.float64)
    w = np.asarray(w, dtype=np.float64)
    d = np.asarray(diffusion, dtype=np.float64)
    _, psi, dpsi = effective_1d(f[:, 0], g[:, 0], w, d, n_cells)
    values, grads = [psi[:, None]], [dpsi[:, None, :]]
    for i in range(1, f.shape[1]):
        h, dh = hat_basis(f[:, i], quantile_nodes(f[:, i], n_cells_rest))
        values.append(h.toarray())
        grads.append(dh.toarray()[:, :, None] * g[:, i, None, :])
    vals, _ = _ritz_on_range(np.concatenate(values, 1), np.concatenate(grads, 1), w, d)
    return vals[: f.shape[1]]


def rbf_basis(x: np.ndarray, n_centres: int, rng: np.random.Generator
              ) -> tuple[np.ndarray, float]:
    """Centres and width of Gaussian radial basis functions for the samples ``x`` (n, d).

    Centres are ``n_centres`` samples drawn uniformly from x (biased samples cover the
    transition regions), width = 2 × median centre distance / n_centres^(1/d), in the
    units of x.
    """
    x = np.asarray(x, dtype=np.float64)
    centres = x[rng.choice(len(x), size=min(n_centres, len(x)), replace=False)]
    pair = np.sqrt(((centres[:, None, :] - centres[None, :, :]) ** 2).sum(-1))
    d = x.shape[1]
    width = 2.0 * np.median(pair[np.triu_indices(len(centres), 1)]) / len(centres) ** (1.0 / d)
    return centres, float(width)


def rbf_values(x: np.ndarray, centres: np.ndarray, width: float) -> np.ndarray:
    """exp(-|x - c|² / (2 width²)) for every sample and centre, (n, n_centres)."""
    x = np.asarray(x, dtype=np.float64)
    sq = (x**2).sum(1)[:, None] + (centres**2).sum(1)[None, :] - 2.0 * x @ centres.T
    return np.exp(-np.maximum(sq, 0.0) / (2.0 * width**2))


def rbf_ritz(x: np.ndarray, w: np.ndarray, diffusion: np.ndarray, n_centres: int, k: int,
             rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Rayleigh–Ritz on Gaussian radial basis functions: a cheap first guess of φ_1..φ_k.

    Basis from :func:`rbf_basis`. The gradients are formed one coordinate at a time, so
    memory is O(n · n_centres). Returns the eigenvalue estimates (k,) and the functions
    on x (n, k).
    """
    x = np.asarray(x, dtype=np.float64)
    w = np.asarray(w, dtype=np.float64) / np.sum(w)
    centres, width = rbf_basis(x, n_centres, rng)
    phi = rbf_values(x, centres, width)
    a = np.zeros((len(centres), len(centres)))
    for coord in range(x.shape[1]):  # coordinates, not samples
        dphi = -phi * (x[:, coord, None] - centres[None, :, coord]) / width**2
        a += diffusion[coord] * ((w[:, None] * dphi).T @ dphi)
    b = weighted_cov(phi, w)
    evals, evecs = np.linalg.eigh(b)
    keep = evals > 1e-10 * evals.max()
    p = evecs[:, keep] / np.sqrt(evals[keep])
    vals, vecs = np.linalg.eigh(p.T @ a @ p)
    return vals[:k], phi @ (p @ vecs[:, :k])
