"""Time-lagged pairs (x_t, x_{t+τ}) of a trajectory dataset, by index arithmetic.

A dataset stores its trajectories contiguously and in time order (``traj``, ``t``;
see :mod:`mdcv.data`). With frames saved every δ time units, the partner of frame i
at lag τ = s·δ is frame i + s, and the pair is valid when both frames belong to the
same trajectory and are τ apart in ``t``. Only the (m,) array of valid start indices
is kept, never an (n, n) structure: memory is linear in the number of frames.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mdcv.errors import DataError


@dataclass(frozen=True)
class LaggedPairs:
    """Start indices of the valid pairs; partners are ``start + steps``.

    ``lag``: the lag in the dataset's time unit (``steps`` · ``frame_dt``).
    """

    start: np.ndarray
    steps: int
    frame_dt: float
    lag: float

    @property
    def end(self) -> np.ndarray:
        return self.start + self.steps

    def __len__(self) -> int:
        return len(self.start)


def frame_interval(t: np.ndarray, traj: np.ndarray) -> float:
    """The time δ between consecutive saved frames of one trajectory (checked uniform)."""
    t = np.asarray(t, dtype=np.float64)
    traj = np.asarray(traj)
    same = traj[1:] == traj[:-1]
    dts = np.diff(t)[same]
    if len(dts) == 0:
        raise DataError("no two consecutive frames share a trajectory id: no lagged pairs exist")
    delta = float(np.median(dts))
    if delta <= 0 or not np.allclose(dts, delta, rtol=1e-4, atol=1e-9 * max(delta, 1.0)):
        raise DataError(f"frames must be equally spaced in time within each trajectory; "
                        f"found intervals from {dts.min():.6g} to {dts.max():.6g}")
    return delta


def lagged_pairs(t: np.ndarray, traj: np.ndarray, lag: float) -> LaggedPairs:
    """Valid pairs at lag ``lag`` (dataset time unit; rounded to a multiple of δ).

    Raises :class:`DataError` if the lag is not a positive multiple of the frame
    interval within 1 % or if no trajectory is long enough for one pair.
    """
    t = np.asarray(t, dtype=np.float64)
    traj = np.asarray(traj)
    delta = frame_interval(t, traj)
    steps = int(round(lag / delta))
    if steps < 1 or abs(steps * delta - lag) > 0.01 * lag:
        raise DataError(f"lag {lag!r} is not a positive multiple of the frame interval "
                        f"{delta:.6g}; choose a lag of n·{delta:.6g}")
    if steps >= len(t):
        raise DataError(f"lag {lag!r} ({steps} frames) is longer than the dataset ({len(t)} frames)")
    ok = traj[:-steps] == traj[steps:]
    ok &= np.isclose(t[steps:] - t[:-steps], steps * delta, rtol=1e-4)
    start = np.flatnonzero(ok)
    if len(start) == 0:
        raise DataError(f"no trajectory is longer than the lag {lag!r}: no lagged pairs")
    return LaggedPairs(start=start, steps=steps, frame_dt=delta, lag=steps * delta)
