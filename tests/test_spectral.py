import numpy as np

from mdcv.learn import spectral


def ou(n=200_000, a=1.0, b=6.0, seed=0):
    """OU samples; in span{x, y} the Ritz values are a and b (λ = n·a + m·b overall)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 2)) / np.sqrt([a, b])
    return x


def test_ritz_recovers_eigenvalues_from_mixed_functions():
    x = ou()
    # span{x, y} in a rotated, scaled basis: Ritz must undo the mixing.
    f = np.stack([x[:, 0] + 0.5 * x[:, 1], 2.0 * x[:, 1] - x[:, 0]], 1)
    grad = np.zeros((len(x), 2, 2))
    grad[:, 0] = [1.0, 0.5]
    grad[:, 1] = [-1.0, 2.0]
    vals, _ = spectral.ritz(f, grad, np.ones(len(x)), np.ones(2))
    np.testing.assert_allclose(vals, [1.0, 6.0], rtol=0.02)
    rq = spectral.rayleigh_quotients(f, grad, np.ones(len(x)), np.ones(2))
    assert rq[0] > 1.05  # the mixed function alone overestimates λ1


def test_effective_dynamics_along_the_slow_coordinate_is_exact():
    # Separable OU: the effective dynamics along ξ = x has λ̃1 = λ1 = a.
    x = ou()
    grad = np.tile([1.0, 0.0], (len(x), 1))
    vals, psi, _ = spectral.effective_1d(x[:, 0], grad, np.ones(len(x)), np.ones(2), n_cells=100)
    assert abs(vals[0] - 1.0) < 0.02
    assert abs(np.corrcoef(psi, x[:, 0])[0, 1]) > 0.999


def test_galerkin_flattens_a_monotone_distortion_of_phi1():
    x = ou()
    z = np.tanh(2.0 * x[:, 0]) + 0.1 * x[:, 0]  # monotone in x, far from linear
    dz = 2.0 / np.cosh(2.0 * x[:, 0]) ** 2 + 0.1
    f = np.stack([z, x[:, 1]], 1)
    grad = np.zeros((len(x), 2, 2))
    grad[:, 0, 0] = dz
    grad[:, 1, 1] = 1.0
    w = np.ones(len(x))
    rq = spectral.rayleigh_quotients(f, grad, w, np.ones(2))
    gal = spectral.galerkin(f, grad, w, np.ones(2), n_cells=100, n_cells_rest=10)
    assert rq[0] > 1.1
    np.testing.assert_allclose(gal, [1.0, 6.0], rtol=0.03)


def test_hat_basis_is_a_partition_of_unity():
    z = np.linspace(-2, 2, 101)
    h, dh = spectral.hat_basis(z, np.array([-2.0, -0.5, 0.3, 2.0]))
    np.testing.assert_allclose(np.asarray(h.sum(1)).ravel(), 1.0)
    np.testing.assert_allclose(np.asarray(dh.sum(1)).ravel(), 0.0, atol=1e-12)


def test_quantile_nodes_leave_no_cell_empty_when_values_repeat():
    # Ornstein–Uhlenbeck samples (V = x²/2, k_BT = D = 1: λ1 = 1) stored on a grid of
    # 0.02, as a float32 network flat in a basin repeats its output values exactly.
    # Interpolated quantiles left a cell empty here and gave λ1 = 1.27.
    x = np.random.default_rng(0).standard_normal(60000)
    z = np.round(x / 0.02) * 0.02
    nodes = spectral.quantile_nodes(z, 200)
    cell = np.clip(np.searchsorted(nodes, z, side="right") - 1, 0, len(nodes) - 2)
    assert len(nodes) > 100
    assert np.bincount(cell, minlength=len(nodes) - 1).min() > 0
    assert nodes[0] == z.min() and nodes[-1] == z.max() and np.all(np.diff(nodes) > 0)
    vals, _, _ = spectral.effective_1d(z, np.ones((len(z), 1)), np.ones(len(z)), np.ones(1), 200)
    np.testing.assert_allclose(vals[0], 1.0, rtol=0.02)


def test_energy_frames_counts_the_frames_that_carry_the_energy():
    n = 1000
    rng = np.random.default_rng(1)
    f = rng.normal(size=(n, 2))
    w = np.ones(n)
    # A linear function has the same gradient on every frame: all n frames count.
    grad = np.zeros((n, 2, 2))
    grad[:, 0] = [1.0, 0.0]
    grad[:, 1] = [0.0, 3.0]
    vals, vecs = spectral.ritz(f, grad, w, np.ones(2))
    np.testing.assert_allclose(spectral.energy_frames(grad, w, np.ones(2), vecs), [n, n])
    # A step: the gradient of f1 sits on 4 frames, first equally, then one carries 36/39.
    grad[:, 0] = 0.0
    grad[:4, 0, 0] = 1.0
    frames = spectral.energy_frames(grad, w, np.ones(2), np.eye(2))
    np.testing.assert_allclose(frames, [4.0, n])
    grad[0, 0, 0] = 6.0  # energy 36 against 3 × 1
    share = 36.0 / 39.0
    np.testing.assert_allclose(spectral.energy_frames(grad, w, np.ones(2), np.eye(2))[0],
                               1.0 / (share**2 + 3 * (1.0 / 39.0) ** 2))
    # the weights enter the per-frame energy: w = 1/36 evens that frame out again
    w2 = w.copy()
    w2[0] = 1.0 / 36.0
    np.testing.assert_allclose(spectral.energy_frames(grad, w2, np.ones(2), np.eye(2))[0], 4.0)
