import numpy as np
import pytest
import torch

from mdcv.errors import ConfigError
from mdcv.toy.potentials import BUILTIN, evaluate, gradient, load_potential, mueller_brown


@pytest.mark.parametrize("name", sorted(BUILTIN))
def test_gradient_matches_finite_differences(name):
    potential = BUILTIN[name]
    x = torch.tensor([[-0.5, 1.4], [0.6, 0.05], [0.1, 0.4], [-1.0, 0.9]], dtype=torch.float64)
    _, grad = gradient(potential, x)
    h = 1e-6
    for axis in range(2):
        e = torch.zeros(2, dtype=torch.float64)
        e[axis] = h
        fd = (potential(x + e) - potential(x - e)) / (2 * h)
        np.testing.assert_allclose(grad[:, axis].numpy(), fd.numpy(), rtol=1e-6, atol=1e-6)


def test_mueller_brown_minimum_is_near_zero_after_scaling():
    # Global minimum of V_MB ≈ -146.70 at (-0.558, 1.442): the scaled potential is ≈ 0 there.
    v = evaluate(mueller_brown, np.array([[-0.558224, 1.441726]]))
    assert abs(v[0]) < 0.01


def test_user_potential_by_file_path(root):
    pot = load_potential("examples/potentials.py:wolfe_quapp", base_dir=root)
    v = pot(torch.tensor([[1.0, 2.0]]))
    assert v.item() == pytest.approx(1 + 16 - 2 - 16 + 2 + 0.3 + 0.2)


def test_user_potential_by_module_path():
    pot = load_potential("mdcv.toy.potentials:three_well")
    assert pot is BUILTIN["three_well"]


@pytest.mark.parametrize("spec, fragment", [
    ("no_such_potential", "unknown potential"),
    ("mdcv.nope:f", "cannot import"),
    ("mdcv.toy.potentials:nope", "not a function"),
    ("missing/file.py:f", "does not exist"),
])
def test_bad_potential_specs_name_the_problem(spec, fragment, root):
    with pytest.raises(ConfigError, match=fragment):
        load_potential(spec, base_dir=root)


def test_potential_with_wrong_output_shape_is_rejected():
    with pytest.raises(ConfigError, match=r"\(n,\)"):
        evaluate(lambda x: x, np.zeros((3, 2)))
