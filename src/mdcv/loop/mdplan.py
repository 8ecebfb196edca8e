"""Inputs and params of the loop's rules for molecules (workflow/rules/loop_md.smk);
pure Python (no torch), so the Snakefile imports it.

Round r ≥ 1 of an MD system runs in ``results/<system>/loop/round<r>/``: ``awh/`` (AWH
along round r-1's CV), ``bias/`` (F along it and the fixed bias) and ``biased/`` (the
production run). Its settings are ``loop.md`` over the system's md settings.
"""

from __future__ import annotations

import copy

from mdcv.config import md_systems
from mdcv.loop import settings as loop_settings
from mdcv.md.settings import equilibrated_stage, stage_settings, system_settings
from mdcv.workflow import paths

#: The fixed-bias fit settings (mdcv.md.cvbias.fit) taken from ``loop`` and ``loop.md``.
FIT_KEYS = ("cap", "smooth", "degree", "fit_tolerance")


def systems(config: dict) -> list[str]:
    """The MD systems among the loop's systems."""
    return [s for s in loop_settings.systems(config) if s in md_systems(config)]


def run_file(system: str, round_, run: str, name: str) -> str:
    """A file of a round's ``awh``, ``bias`` or ``biased`` step."""
    return paths.loop_round(system, round_, f"{run}/{name}")


def work_dir(system: str, round_, run: str) -> str:
    """The restartable mdrun directory of a round's run (not a declared output)."""
    return paths.loop_round(system, round_, f"work/{run}")


def previous_model(system: str, round_) -> dict:
    """Round r-1's trained model (model.pt: the CV to export; model.ts)."""
    return paths.loop_model_files(system, int(round_) - 1, ("model", "torchscript"))


def awh_inputs(config: dict, system: str, round_) -> dict:
    """The previous round's model and samples, the equilibrated state, topology, index."""
    prev = equilibrated_stage(system_settings(config, system))
    return {**previous_model(system, round_),
            "samples": paths.loop_round(system, int(round_) - 1, "samples.npz"),
            "gro": paths.md(system, prev, "confout.gro"),
            "cpt": paths.md(system, prev, "state.cpt"),
            "top": paths.md(system, "topology", "topol.top"),
            "index": paths.md(system, "topology", "index.ndx")}


def md_loop(config: dict) -> dict:
    """``loop.md`` with ``fraction`` added."""
    out = copy.deepcopy(config["loop"]["md"])
    out["fraction"] = float(config["loop"]["fraction"])
    return out


def run_settings(config: dict, system: str, stage: str) -> dict:
    """The system's merged md settings of ``stage`` (``awh``, ``biased``): what a round's
    run reads, with its length (ps) under ``length_ps``."""
    s = stage_settings(config, system, stage)
    loop_md = md_loop(config)
    s["length_ps"] = 1000.0 * float(loop_md[f"{stage}_ns"])
    s["layout"] = loop_md["layout"]
    s["margin"] = float(loop_md["margin"])
    return s


def fit_settings(config: dict) -> dict:
    """What the fixed bias's fit reads (``fraction``, :data:`FIT_KEYS`)."""
    loop_md = md_loop(config)
    return {"fraction": loop_md["fraction"], **{k: loop_md[k] for k in FIT_KEYS}}


def samples_settings(config: dict, system: str) -> dict:
    """What the production's featurization reads: discarded start (ps), temperature (K),
    bias check tolerance (kJ/mol), and the round's simulated time (ns)."""
    s = system_settings(config, system)
    loop_md = md_loop(config)
    return {"discard_ps": s["features"]["discard_ps"], "temperature": s["temperature"],
            "tolerance": float(loop_md["tolerance"]),
            "ns_simulated": float(loop_md["awh_ns"]) + float(loop_md["biased_ns"])}


def round0_ns(config: dict, system: str) -> float:
    """Simulated time (ns) behind round 0, the study's AWH and biased runs."""
    s = system_settings(config, system)
    return float(s["awh_ns"]) + float(s["biased_ns"])


def runtime(config: dict, system: str, stage: str) -> int:
    """Runtime (minutes) of a round's ``awh`` or ``biased`` run: as the study's stage of
    that length, times 10 (the network CV's pull code costs several times the plain run:
    benchmarks/cv_bias_cost.py)."""
    from mdcv.workflow.resources import md_stage_runtime

    s = system_settings(config, system)
    s[f"{stage}_ns"] = float(md_loop(config)[f"{stage}_ns"])
    return md_stage_runtime(s, stage, factor=20.0)
