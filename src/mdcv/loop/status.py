"""The round record (round.json) and the stopping rule; pure Python (the Snakefile's
checkpoint walk reads it).

A round record holds the round's numbers (:data:`FIELDS`) and ``continue``: whether a
next round runs. Round r (r ≥ 1) stops the loop when both λ1 and the effective sample
size fraction stopped changing within their intervals: each of the two rounds' values
lies inside the other round's 95 % interval, for λ1 and for the ESS fraction. The loop
also stops after ``rounds`` rounds beyond round 0. The record is the same for toy and MD
systems.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

#: Numbers of a round record (besides system, round, continue, stop_reason).
FIELDS = ("ns_simulated", "transitions", "transitions_per_ns", "samples", "ess_fraction",
          "ess_fraction_lo", "ess_fraction_hi", "lambda1", "lambda1_lo", "lambda1_hi",
          "lambda2", "lambda2_lo", "lambda2_hi", "lambda1_ref", "lambda2_ref")


def _within(a: dict, b: dict, name: str) -> bool:
    """a's value inside b's interval (NaN never is)."""
    value, lo, hi = a[name], b[f"{name}_lo"], b[f"{name}_hi"]
    return not any(map(math.isnan, (value, lo, hi))) and lo <= value <= hi


def settled(previous: dict, current: dict) -> bool:
    """λ1 and the ESS fraction of two consecutive rounds each inside the other's interval."""
    return all(_within(a, b, name) and _within(b, a, name)
               for name in ("lambda1", "ess_fraction") for a, b in [(previous, current)])


def decide(round_: int, rounds: int, current: dict, previous: dict | None) -> tuple[bool, str]:
    """(go on, why not) after round ``round_`` of at most ``rounds`` beyond round 0."""
    if round_ >= rounds:
        return False, f"reached loop.rounds = {rounds}"
    if previous is not None and settled(previous, current):
        return False, "λ1 and the ESS fraction stopped changing within their intervals"
    return True, ""


def record(system: str, round_: int, numbers: dict, rounds: int, previous: dict | None) -> dict:
    """The round record: ``numbers`` (:data:`FIELDS`, missing ones NaN) and the decision."""
    rec = {"system": system, "round": int(round_),
           **{k: float(numbers.get(k, math.nan)) for k in FIELDS}}
    go_on, why = decide(round_, rounds, rec, previous)
    return {**rec, "continue": go_on, "stop_reason": why}


def write(rec: dict, path: str | Path) -> None:
    Path(path).write_text(json.dumps(rec, indent=2))


def read(path: str | Path) -> dict:
    """A round record; NaN numbers come back as NaN."""
    return json.loads(Path(path).read_text())


def goes_on(path: str | Path) -> bool:
    """Whether the round recorded at ``path`` lets a next round run."""
    return bool(read(path)["continue"])
