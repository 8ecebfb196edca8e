import numpy as np
import torch
from conftest import harmonic

from mdcv.stats import weighted_mean
from mdcv.toy.langevin import biased_dataset, even_subset, unbiased_trajectories


def test_biased_samples_with_weights_reproduce_unbiased_moments():
    # Harmonic V (a = 1, b = 4), β = 2: Var(x) = 1/(β a) = 0.5, Var(y) = 1/(β b) = 0.125.
    pot, beta, box = harmonic(1.0, 4.0), 2.0, [[-6, 6], [-4, 4]]
    biased, stats = biased_dataset(pot, beta, box, potential_fraction=0.3, n_samples=40_000,
                                   n_walkers=2000, dt=0.02, stride=10, burn_in=200,
                                   metropolis=True, seed=3)
    unbiased, _ = biased_dataset(pot, beta, box, potential_fraction=1.0, n_samples=40_000,
                                 n_walkers=2000, dt=0.02, stride=10, burn_in=200,
                                 metropolis=True, seed=4)
    x2_b = weighted_mean(biased.x.astype(float) ** 2, biased.w)
    x2_u = unbiased.x.astype(float).var(0)
    exact = np.array([0.5, 0.125])
    # Sampling error: the effective sample size sets the scale (a few % here).
    tol = 4 * exact * np.sqrt(2.0 / stats["effective_sample_size"])
    np.testing.assert_array_less(np.abs(x2_b - exact), tol)
    np.testing.assert_array_less(np.abs(x2_u - exact), 4 * exact * np.sqrt(2.0 / 40_000) * 3)
    # The raw biased samples are wider than μ: the weights do real work.
    assert biased.x.astype(float).var(0)[0] > 1.5 * exact[0]
    assert abs(biased.w.mean() - 1) < 1e-9


def test_unbiased_trajectories_are_contiguous_and_timed():
    ds = unbiased_trajectories(harmonic(), 1.0, [[-5, 5], [-5, 5]], n_walkers=7, length=1.0,
                               dt=0.01, stride=10, seed=1)
    assert ds.n == 7 * 11
    assert np.all(np.diff(ds.traj) >= 0)
    t0 = ds.t[ds.traj == 0]
    np.testing.assert_allclose(t0, np.arange(11) * 0.1)
    assert np.all(ds.w == 1)


def test_walkers_stay_in_the_box():
    ds = unbiased_trajectories(harmonic(0.01, 0.01), 1.0, [[-0.5, 0.5], [-0.5, 0.5]], n_walkers=50,
                               length=2.0, dt=0.01, stride=1, seed=2)
    assert np.all(np.abs(ds.x) <= 0.5 + 1e-6)


def test_sampling_is_reproducible_with_a_seed():
    kw = dict(potential_fraction=0.5, n_samples=500, n_walkers=50, dt=0.01, stride=2, burn_in=5,
              metropolis=False, seed=11)
    a, _ = biased_dataset(harmonic(), 1.0, [[-4, 4], [-4, 4]], **kw)
    b, _ = biased_dataset(harmonic(), 1.0, [[-4, 4], [-4, 4]], **kw)
    np.testing.assert_array_equal(a.x, b.x)
    assert torch.is_tensor(torch.as_tensor(a.x))


def test_even_subset_spreads_indices_and_keeps_all_when_asked_for_more():
    np.testing.assert_array_equal(even_subset(10, 4), [0, 3, 6, 9])
    np.testing.assert_array_equal(even_subset(5, 9), np.arange(5))
    # The biased sampler thins its frames with it: n_samples of them, evenly spaced.
    ds, _ = biased_dataset(harmonic(), 1.0, [[-5, 5], [-5, 5]], potential_fraction=1.0,
                           n_samples=30, n_walkers=4, dt=0.01, stride=2, burn_in=0,
                           metropolis=False, seed=0)
    assert ds.n == 30
