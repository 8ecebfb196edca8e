import numpy as np
import pytest
from conftest import harmonic

from mdcv.toy.potentials import separable_double_well
from mdcv.toy.reference import compute_spectrum, grid_convergence


def test_harmonic_spectrum_is_n_a_plus_m_b():
    # OU with a = 1, b = 2.5 (β = 2): λ = n·1 + m·2.5 → 1, 2, 2.5, 3.
    spec = compute_spectrum(harmonic(1.0, 2.5), 2.0, [[-4, 4], [-3, 3]], (120, 120), 4)
    np.testing.assert_allclose(spec.eigenvalues[1:5], [1.0, 2.0, 2.5, 3.0], rtol=2e-3)
    assert abs(spec.eigenvalues[0]) < 1e-8


def test_eigenfunctions_are_mu_orthonormal_and_match_hermite():
    spec = compute_spectrum(harmonic(1.0, 3.0), 1.0, [[-5, 5], [-3, 3]], (100, 80), 2)
    pi = spec.density.ravel()
    funcs = spec.eigenfunctions.reshape(3, -1)
    gram = (funcs * pi) @ funcs.T
    np.testing.assert_allclose(gram, np.eye(3), atol=1e-8)
    # φ1 of OU along x is ∝ x.
    gx = np.repeat(spec.x, len(spec.y))
    corr = np.corrcoef(funcs[1] * np.sqrt(pi), gx * np.sqrt(pi))[0, 1]
    assert abs(corr) > 0.999


def test_separable_spectrum_is_sum_of_one_dimensional_parts():
    # V = (x² - 1)² + y²: the y part is OU with curvature 2, eigenvalues 2m;
    # the x part has its own spectrum μ_n, so λ(n=1, m=0) + 2 = λ(n=1, m=1).
    spec = compute_spectrum(separable_double_well, 2.0, [[-2.2, 2.2], [-3, 3]], (160, 120), 4)
    lam = spec.eigenvalues
    mu1 = lam[1]
    assert mu1 < 1.0  # the double-well mode is the slowest
    assert np.min(np.abs(lam[2:] - (mu1 + 2.0))) / (mu1 + 2.0) < 5e-3
    assert np.min(np.abs(lam[2:] - 2.0)) / 2.0 < 5e-3


def test_grid_convergence_shrinks_with_refinement():
    conv = grid_convergence(harmonic(1.0, 2.0), 1.0, [[-4, 4], [-4, 4]], [(20, 20), (40, 40), (80, 80)], 2)
    err = conv[conv["index"] == 1].set_index("nx")["rel_change_to_finest"]
    assert err[20] > err[40] > 0
    assert err[40] < 0.01


def test_low_density_cells_keep_bounded_eigenfunctions():
    from mdcv.toy.potentials import mueller_brown

    spec = compute_spectrum(mueller_brown, 1.0, [[-1.5, 1.2], [-0.5, 2.0]], (80, 80), 2)
    assert np.all(np.isfinite(spec.eigenfunctions))
    assert np.abs(spec.eigenfunctions).max() < 1e3
    assert spec.eigenvalues[1] == pytest.approx(1.248e-3, rel=0.02)


def test_spectrum_is_identical_between_calls():
    """The eigensolver starts from a fixed vector: two calls agree to the last bit."""
    first, second = (compute_spectrum(separable_double_well, 1.0, [[-2, 2], [-2, 2]], (30, 30), 3)
                     for _ in range(2))
    np.testing.assert_array_equal(first.eigenvalues, second.eigenvalues)
    np.testing.assert_array_equal(first.eigenfunctions, second.eigenfunctions)
