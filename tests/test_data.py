import numpy as np
import pytest

from mdcv import data
from mdcv.errors import DataError


def make(n=10, **kw):
    fields = dict(x=np.zeros((n, 2)), w=np.ones(n), t=np.arange(n, dtype=float),
                  traj=np.zeros(n, dtype=int))
    fields.update(kw)
    return fields


def test_roundtrip(tmp_path):
    ds = data.Dataset(**make(), extra={"beta": np.float64(1.0)})
    data.save(ds, tmp_path / "d.npz")
    back = data.load(tmp_path / "d.npz")
    np.testing.assert_array_equal(back.x, ds.x)
    assert float(back["beta"]) == 1.0


@pytest.mark.parametrize("change, fragment", [
    (dict(w=np.full(10, 2.0)), "mean 1"),
    (dict(w=np.r_[np.ones(9) * 1.2, -0.8]), "non-negative"),
    (dict(x=np.full((10, 2), np.nan)), "NaN"),
    (dict(t=np.arange(9.0)), "shape"),
    (dict(traj=np.array([0, 0, 1, 1, 0, 0, 2, 2, 2, 2])), "contiguous"),
])
def test_contract_violations_are_named(change, fragment):
    with pytest.raises(DataError, match=fragment):
        data.Dataset(**make(**change))


def test_missing_file_and_key(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        data.load(tmp_path / "nope.npz")
    np.savez(tmp_path / "bad.npz", x=np.zeros((3, 2)))
    with pytest.raises(DataError, match="missing key"):
        data.load(tmp_path / "bad.npz")


def test_log_weights_do_not_overflow():
    w = data.log_weights_to_weights(np.array([1000.0, 999.0, 0.0]))
    assert np.isfinite(w).all() and w.mean() == pytest.approx(1.0)


def test_take_reorders_frames_as_samples():
    Dataset, take = data.Dataset, data.take
    n = 6
    ds = Dataset(x=np.arange(2 * n, dtype=float).reshape(n, 2), w=np.arange(1, n + 1) / 3.5,
                 t=np.arange(n, dtype=float), traj=np.array([0, 0, 0, 1, 1, 1]),
                 extra={"phi": np.arange(n) * 0.1, "masses": np.array([1.0, 12.0]),
                        "beta": np.float64(2.0)})
    index = np.array([4, 5, 0, 1, 3])
    sub = take(ds, index)
    np.testing.assert_array_equal(sub.x[:, 0], 2 * index)
    np.testing.assert_allclose(sub.extra["phi"], index * 0.1)
    np.testing.assert_array_equal(sub.extra["masses"], [1.0, 12.0])  # per system: unchanged
    assert sub.w.mean() == pytest.approx(1.0)
    np.testing.assert_allclose(sub.w / sub.w[0], ds.w[index] / ds.w[4])
    # neighbours of one trajectory stay one piece; every jump starts a new one
    np.testing.assert_array_equal(sub.traj, [0, 0, 1, 1, 2])
