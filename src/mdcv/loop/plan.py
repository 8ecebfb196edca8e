"""Inputs and params of the loop's rules (workflow/rules/loop.smk); pure Python.

:func:`walk` is the recursive-checkpoint pattern: the files of round 0, 1, … of every
loop system, asking each round's ``loop_round`` checkpoint whether the next one runs.
"""

from __future__ import annotations

from mdcv.config import learner_settings, toy_systems
from mdcv.loop import settings, status
from mdcv.workflow import paths


def learner(config: dict, system: str) -> dict:
    """The merged settings of the loop's learner on ``system``."""
    return learner_settings(config, system, settings.learner(config, system))


def sample_inputs(system: str, round_) -> dict:
    """Round r ≥ 1 samples under round r-1's model and free energy (round 0: nothing)."""
    r = int(round_)
    if r == 0:
        return {}
    return {"torchscript": paths.loop_model_files(system, r - 1)["torchscript"],
            "profile": paths.loop_round(system, r - 1, "free_energy.npz"),
            "previous": paths.loop_round(system, r - 1, "round.json")}


def round_inputs(config: dict, system: str, round_) -> dict:
    """The round's samples, statistics, model and previous record; the grid spectrum of a
    toy system (its reference λ)."""
    r = int(round_)
    out = {"samples": paths.loop_round(system, r, "samples.npz"),
           "stats": paths.loop_round(system, r, "samples_stats.json"),
           "torchscript": paths.loop_model_files(system, r)["torchscript"]}
    if r > 0:
        out["previous"] = paths.loop_round(system, r - 1, "round.json")
    if system in toy_systems(config):
        out["spectrum"] = paths.toy_reference(system, "spectrum.npz")
    return out


def walk(config: dict, checkpoint, name: str) -> list[str]:
    """File ``name`` of every round that runs, system by system: round r+1 only when
    round r's record (``checkpoint.get(system=, round=).output.status``) says go on.
    Asking an unfinished checkpoint raises Snakemake's IncompleteCheckpointException,
    which runs it and asks again."""
    out = []
    for system in settings.systems(config):
        for r in range(int(config["loop"]["rounds"]) + 1):
            record = checkpoint.get(system=system, round=r).output.status
            out.append(paths.loop_round(system, r, name))
            if not status.goes_on(record):
                break
    return out
