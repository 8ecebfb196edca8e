"""Dataset files: the contract between samplers/featurizers and learners.

A dataset is one ``.npz`` file with

- ``x`` (n, d) float32: coordinates fed to the networks;
- ``w`` (n,) float: reweighting weights, mean 1 (all ones when unbiased);
- ``t`` (n,) float: time in the system's time unit (ps for MD);
- ``traj`` (n,) int: trajectory id; frames of one trajectory are contiguous and in
  time order, and lagged pairs never cross trajectories;
- optional: ``phi``, ``psi`` (n,) radians (alanine); ``atoms`` (names), ``ref``
  (alignment reference, (n_atoms, 3) nm), ``masses`` (amu), ``v`` (n,) potential
  energy, and the scalars ``beta`` (1/energy unit) and ``kT`` (kJ/mol).

:func:`save` and :func:`load` check the contract, so a bad file fails where it is read
with a message that names the file and the key.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from mdcv.errors import DataError

REQUIRED = ("x", "w", "t", "traj")
OPTIONAL = ("phi", "psi", "atoms", "ref", "masses", "v", "beta", "kT", "box")
# Optional keys that hold one value per frame (the rest describe the system).
PER_FRAME = ("phi", "psi", "v")


@dataclass
class Dataset:
    """In-memory dataset; see the module docstring for the meaning of each field."""

    x: np.ndarray
    w: np.ndarray
    t: np.ndarray
    traj: np.ndarray
    extra: dict = field(default_factory=dict)

    def __post_init__(self):
        self.x = np.asarray(self.x, dtype=np.float32)
        self.w = np.asarray(self.w, dtype=np.float64)
        self.t = np.asarray(self.t, dtype=np.float64)
        self.traj = np.asarray(self.traj, dtype=np.int64)
        validate(self)

    @property
    def n(self) -> int:
        return self.x.shape[0]

    @property
    def dim(self) -> int:
        return self.x.shape[1]

    def __getitem__(self, key):
        if key in REQUIRED:
            return getattr(self, key)
        return self.extra[key]

    def get(self, key, default=None):
        try:
            return self[key]
        except KeyError:
            return default


def take(ds: Dataset, index: np.ndarray) -> Dataset:
    """The frames ``index`` of ``ds``, in that order, as independent samples.

    Per-frame arrays (x, w, t and :data:`PER_FRAME`) are reordered; ``w`` is renormalized
    to mean 1; ``traj`` becomes the contiguous pieces of the new order (the original
    trajectory id where frames stay neighbours), so the result is for learners that
    treat frames as samples (generator), not for lagged pairs.
    """
    index = np.asarray(index)
    traj = ds.traj[index]
    neighbours = (np.diff(index) == 1) & (np.diff(traj) == 0)
    pieces = np.concatenate([[0], np.cumsum(~neighbours)])
    extra = {k: (np.asarray(v)[index] if k in PER_FRAME else v) for k, v in ds.extra.items()}
    return Dataset(x=ds.x[index], w=normalized_weights(ds.w[index]), t=ds.t[index], traj=pieces,
                   extra=extra)


def validate(ds: Dataset, source: str = "dataset") -> None:
    """Raise :class:`DataError` naming ``source`` if ``ds`` breaks the contract."""
    if ds.x.ndim != 2 or ds.x.shape[0] == 0:
        raise DataError(f"{source}: 'x' must be a non-empty (n, d) array, got shape {ds.x.shape}")
    n = ds.x.shape[0]
    for key in ("w", "t", "traj"):
        arr = getattr(ds, key)
        if arr.shape != (n,):
            raise DataError(f"{source}: {key!r} must have shape ({n},), got {arr.shape}")
    for key in ("x", "w", "t"):
        if not np.all(np.isfinite(getattr(ds, key))):
            raise DataError(f"{source}: {key!r} holds NaN or inf values")
    if np.any(ds.w < 0):
        raise DataError(f"{source}: weights 'w' must be non-negative")
    if not np.isclose(ds.w.mean(), 1.0, rtol=1e-3):
        raise DataError(f"{source}: weights 'w' must have mean 1, got {ds.w.mean():.6g}")
    starts = np.flatnonzero(np.diff(ds.traj) != 0) + 1
    seen = ds.traj[np.concatenate([[0], starts])]
    if len(np.unique(seen)) != len(seen):
        raise DataError(f"{source}: frames of one trajectory ('traj') must be contiguous")
    for key in ("phi", "psi"):
        if key in ds.extra and np.asarray(ds.extra[key]).shape != (n,):
            raise DataError(f"{source}: {key!r} must have shape ({n},)")


def normalized_weights(w: np.ndarray) -> np.ndarray:
    """Weights rescaled to mean 1 (float64)."""
    w = np.asarray(w, dtype=np.float64)
    total = w.sum()
    if not np.isfinite(total) or total <= 0:
        raise DataError("weights must be finite with a positive sum")
    return w * (len(w) / total)


def log_weights_to_weights(log_w: np.ndarray) -> np.ndarray:
    """exp(log_w) normalized to mean 1, computed without overflow."""
    log_w = np.asarray(log_w, dtype=np.float64)
    return normalized_weights(np.exp(log_w - log_w.max()))


def save(ds: Dataset, path: str | Path) -> None:
    """Write ``ds`` to ``path`` (.npz), after checking the contract."""
    validate(ds, str(path))
    arrays = {"x": ds.x, "w": ds.w, "t": ds.t, "traj": ds.traj}
    arrays.update({k: np.asarray(v) for k, v in ds.extra.items()})
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, **arrays)


def load(path: str | Path) -> Dataset:
    """Read a dataset file, checking the contract; errors name the file and key."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"dataset file {str(path)!r} does not exist; run the rule that makes it")
    with np.load(path, allow_pickle=False) as f:
        missing = [k for k in REQUIRED if k not in f.files]
        if missing:
            raise DataError(f"{path}: missing key(s) {missing}; a dataset needs {list(REQUIRED)}")
        extra = {k: f[k] for k in f.files if k not in REQUIRED}
        ds = Dataset.__new__(Dataset)
        ds.x = f["x"].astype(np.float32)
        ds.w = f["w"].astype(np.float64)
        ds.t = f["t"].astype(np.float64)
        ds.traj = f["traj"].astype(np.int64)
        ds.extra = extra
    validate(ds, str(path))
    return ds
