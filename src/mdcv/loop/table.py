"""results/tables/cv_loop.csv: one row per (system, round) from the round records.

Columns (:data:`COLUMNS`): ``ns_simulated`` is the simulated time of the round, burn-in
included and summed over walkers, in ns for molecules and in the potential's time unit
for toy systems; ``transitions_per_ns`` the transitions between the two cores (toys: the
two deepest minima's) per that unit of sampled time; ``ess_fraction`` the Kish effective
sample size over the number of samples; ``lambda1`` with its 95 % walker-bootstrap
interval ``lambda1_lo``/``lambda1_hi``, ``lambda2``, and the references ``lambda1_ref``/
``lambda2_ref`` (toys: the grid spectrum), in the learner's unit; ``samples`` the round's
samples; ``stopped`` true on a system's last round.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from mdcv.loop import status

COLUMNS = ["system", "round", "ns_simulated", "transitions_per_ns", "ess_fraction", "lambda1",
           "lambda1_lo", "lambda1_hi", "lambda2", "lambda1_ref", "lambda2_ref", "samples",
           "stopped", "stop_reason"]


def table(records: Iterable[str | Path]) -> pd.DataFrame:
    """The cv_loop table from round.json files (any order)."""
    rows = [status.read(p) for p in records]
    df = pd.DataFrame(rows)
    if df.empty:
        return pd.DataFrame(columns=COLUMNS)
    df["stopped"] = ~df["continue"].astype(bool)
    df["samples"] = df["samples"].astype(int)
    return df.sort_values(["system", "round"])[COLUMNS].reset_index(drop=True)
