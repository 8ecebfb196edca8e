"""CMAP bias from a PMF: grid, evaluation, topology text, free-energy comparison."""

import numpy as np
import pytest

from mdcv.errors import ConfigError, DataError
from mdcv.md import bias, pmf


def _smooth(phi, psi):
    return 5 * np.cos(phi) + 3 * np.sin(psi) + 2 * np.sin(phi - 2 * psi)


def test_bias_grid_flattens_with_fraction_and_cap():
    axis = bias.grid_axis(72)
    pp, ss = np.meshgrid(axis, axis, indexing="ij")
    f = 10.0 + 30.0 * (1 - np.cos(pp)) / 2 + 20.0 * (1 - np.cos(ss)) / 2
    grid = bias.bias_grid(axis, axis, f, 36, fraction=0.7, cap=40.0)
    assert grid.shape == (36, 36)
    assert grid.max() == pytest.approx(0.0)          # at the PMF minimum
    assert grid.min() == pytest.approx(-0.7 * 40.0)  # capped
    sub = f[::2, ::2] - f.min()
    np.testing.assert_allclose(grid, -0.7 * np.minimum(sub, 40.0), atol=1e-9)
    with pytest.raises(ConfigError, match="fraction"):
        bias.bias_grid(axis, axis, f, 36, fraction=1.5, cap=40.0)


def test_evaluate_interpolates_periodically():
    axis = bias.grid_axis(36)
    pp, ss = np.meshgrid(axis, axis, indexing="ij")
    grid = _smooth(pp, ss)
    np.testing.assert_allclose(bias.evaluate(grid, pp.ravel(), ss.ravel()), grid.ravel(),
                               atol=1e-9)
    rng = np.random.default_rng(0)
    phi, psi = rng.uniform(-np.pi, np.pi, (2, 500))
    np.testing.assert_allclose(bias.evaluate(grid, phi, psi), _smooth(phi, psi), atol=0.05)
    np.testing.assert_allclose(bias.evaluate(grid, phi + 2 * np.pi, psi - 2 * np.pi),
                               bias.evaluate(grid, phi, psi), atol=1e-9)


def test_add_cmap_places_type_and_entry():
    top = ('#include "amber99sb-ildn.ff/forcefield.itp"\n\n[ moleculetype ]\nProtein 3\n\n'
           '[ atoms ]\n1 C 1 ACE C 1 0 12\n\n; Include Position restraint file\n#ifdef POSRES\n'
           '#include "posre.itp"\n#endif\n\n[ system ]\nx\n\n[ molecules ]\nProtein 1\n')
    out = bias.add_cmap(top, np.zeros((8, 8)))
    assert out.index("[ cmaptypes ]") < out.index("[ moleculetype ]")
    assert out.index("[ atoms ]") < out.index("[ cmap ]") < out.index("#ifdef POSRES")
    assert "C N CT C N 1 8 8\\\n" in out
    assert out.count("\\\n") == 7  # header + 6 of 7 value lines continue
    with pytest.raises(DataError, match="forcefield"):
        bias.add_cmap("[ moleculetype ]\n", np.zeros((8, 8)))


def test_awh_xvg_reading(tmp_path):
    deg = np.linspace(-180, 180, 12, endpoint=False)
    pp, ss = np.meshgrid(deg, deg, indexing="ij")
    f = 3.0 + _smooth(np.radians(pp), np.radians(ss))
    rows = np.c_[pp.ravel(), ss.ravel(), f.ravel()]
    path = tmp_path / "awh.xvg"
    np.savetxt(path, rows[::-1], header="@ title x", comments="")
    out = pmf.read_awh_xvg(path)
    np.testing.assert_allclose(out.phi, np.radians(deg))
    np.testing.assert_allclose(out.f, f - f.min(), atol=1e-9)


def test_reweighted_histogram_matches_a_known_density():
    kT = 2.5
    rng = np.random.default_rng(2)
    n = 200_000
    phi = rng.uniform(-np.pi, np.pi, n)
    psi = rng.uniform(-np.pi, np.pi, n)
    f_true = 4.0 * np.cos(phi) + 2.0 * np.sin(psi)  # uniform samples reweighted to exp(-F/kT)
    w = np.exp(-f_true / kT)
    f_rw, counts = pmf.histogram_free_energy(phi, psi, w / w.mean(), 12, kT)
    axis = np.linspace(-np.pi, np.pi, 241)[:-1] + np.pi / 240
    pp, ss = np.meshgrid(axis, axis, indexing="ij")
    ref = pmf.pmf_on_bins(pmf.Pmf(axis, axis, 4.0 * np.cos(pp) + 2.0 * np.sin(ss)), 12, kT)
    result = pmf.compare(f_rw, ref, counts, kT, min_count=100)
    assert result["bins_populated"] == 144
    assert result["max_abs_dF_kT"] < 0.15
    shifted = pmf.compare(f_rw + 7.0, ref, counts, kT, min_count=100)
    assert shifted["max_abs_dF_kT"] == pytest.approx(result["max_abs_dF_kT"])
