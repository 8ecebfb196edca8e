"""Input files of rules that depend on the config (Snakemake input functions call these).

Pure Python over the config: each function returns paths from :mod:`mdcv.workflow.paths`.
"""

from __future__ import annotations

from mdcv.config import learner_settings, toy_learners
from mdcv.md.settings import equilibrated_stage, system_settings
from mdcv.workflow import paths
from mdcv.workflow.params import folds


def md_stage(config: dict, system: str, stage: str) -> dict[str, str]:
    """Inputs of a dynamics stage: start coordinates (and checkpoint), topology, index.

    ``nvt`` starts from the minimized structure; ``npt`` continues ``nvt``; AWH and
    production continue the last equilibration stage (biased runs with the CMAP topology).
    """
    inputs = {"index": paths.md(system, "topology", "index.ndx"),
              "top": paths.md(system, "topology", "topol.top")}
    if stage == "biased":
        inputs["top"] = paths.md(system, "topology", "topol_biased.top")
    if stage == "nvt":
        inputs["gro"] = paths.md(system, "em", "confout.gro")
        return inputs
    prev = "nvt" if stage == "npt" else equilibrated_stage(system_settings(config, system))
    inputs["gro"] = paths.md(system, prev, "confout.gro")
    inputs["cpt"] = paths.md(system, prev, "state.cpt")
    return inputs


def unbiased_xtcs(config: dict, system: str) -> list[str]:
    """Trajectories of the unbiased runs of ``system``."""
    n = system_settings(config, system)["unbiased_runs"]
    return [paths.md(system, f"unbiased{i}", "traj.xtc") for i in range(n)]


def learner_dataset(config: dict, system: str, learner: str) -> str:
    """The dataset a learner trains on (its ``dataset`` setting: biased, unbiased, trajectories)."""
    return paths.dataset(system, learner_settings(config, system, learner)["dataset"])


def fold_models(config: dict, system: str, learner: str) -> list[str]:
    """The members' model files a cross-fitted learner averages (none for other learners)."""
    return [paths.model_file(system, learner, "model", j)
            for j in range(folds(config, system, learner))]


def toy_models(config: dict, toy: str, key: str, learners=None) -> list[str]:
    """One model-directory file (``key``) of each learner of a toy system, in config order."""
    names = toy_learners(config, toy) if learners is None else learners
    return [paths.model_file(toy, name, key) for name in names]
