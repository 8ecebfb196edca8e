"""Per-job values of the rules: functions of a job's wildcards, bound to one config.

The rule files call these as input, params, threads and resources functions, so the
files hold rules only. Wildcard names (common.smk): ``toy``, ``md_system``, ``ref``,
``system``, ``learner``, ``fold``, ``stage``. Memory in MB, runtime in minutes.
"""

from __future__ import annotations

from pathlib import Path

from mdcv.config import toy_settings
from mdcv.md import settings as mdsettings
from mdcv.workflow import inputs, params, paths, resources


class Jobs:
    """Input, params and resource functions of the rules for ``config`` (prepared)."""

    def __init__(self, config: dict, mdp_dir: str | Path):
        self.config = config
        self.mdp_dir = str(mdp_dir)

    # --- seeds and shared helpers -------------------------------------------------------------
    def seed(self, step: str, *names: str):
        """The seed of ``step``: config seed, step name and the wildcard values ``names``."""
        return lambda wc: params.seed(self.config, step, *[str(wc[n]) for n in names])

    @staticmethod
    def template_dir(wc, input) -> str:
        """The directory of the mdp templates a job declares as ``templates``."""
        return str(Path(input.templates[0]).parent)

    # --- toy systems --------------------------------------------------------------------------
    def toy_sampling(self, wc) -> dict:
        """Resources of a toy sampling job (biased, unbiased or trajectories)."""
        return resources.toy_dataset(toy_settings(self.config, wc.toy)["sampling"])

    def toy_models(self, *keys: str):
        """Input function: named lists ``<key>s`` of those model files of a toy's learners."""
        return lambda wc: {f"{key}s": inputs.toy_models(self.config, wc.toy, key) for key in keys}

    # --- the MD chain and the references ------------------------------------------------------
    def md_settings(self, wc) -> dict:
        return mdsettings.system_settings(self.config, wc.md_system)

    def stage_templates(self, stage: str | None = None):
        """Input function: the mdp templates of ``stage`` (default: the ``stage`` wildcard)."""
        return lambda wc: mdsettings.stage_templates(self.config, wc.md_system,
                                                     stage or wc.stage, self.mdp_dir)

    def md_threads(self, wc) -> int:
        return int(self.md_settings(wc)["threads"])

    def md_runtime(self, wc) -> int:
        return resources.md_stage_runtime(self.md_settings(wc), wc.stage)

    def reference_inputs(self, wc) -> dict:
        """What the reference and shooting runs start from: biased frames, topology, templates."""
        ref = wc.ref
        return {
            "biased": paths.dataset(ref, "biased"),
            "xtc": paths.md(ref, "biased", "traj.xtc"),
            "solute": paths.md(ref, "topology", "solute.pdb"),
            "gro": paths.md(ref, "topology", "conf.gro"),
            "top": paths.md(ref, "topology", "topol.top"),
            "index": paths.md(ref, "topology", "index.ndx"),
            "templates": mdsettings.stage_templates(self.config, ref, "unbiased", self.mdp_dir),
        }

    def reference_md_settings(self, wc) -> dict:
        """The md settings of the reference and shooting runs: the unbiased stage's."""
        return mdsettings.stage_settings(self.config, wc.ref, "unbiased0")

    def reference_runs(self, wc) -> dict:
        return resources.reference_runs(self.config["alanine"]["reference"], wc.dyn)

    # --- training -----------------------------------------------------------------------------
    def learner(self, wc) -> dict:
        """Merged settings of a training job's learner (any learner wildcard)."""
        return params.learner(self.config, wc.system, params.learner_name(wc))

    def train_inputs(self, wc) -> dict:
        """A training job's dataset and, for a cross-fitted learner's ``train`` job, its
        members: ``members`` (each model.pt, in fold order) and ``member_files`` (every
        file of their model directories, which the averaging reads)."""
        name = params.learner_name(wc)
        out = {"dataset": inputs.learner_dataset(self.config, wc.system, name)}
        if "fold" not in wc.keys():
            out["members"] = inputs.fold_models(self.config, wc.system, name)
            out["member_files"] = [paths.model_file(wc.system, name, key, j)
                                   for j in range(params.folds(self.config, wc.system, name))
                                   for key in params.FOLD_FILES]
        return out

    def train_seed(self, wc) -> int:
        """Seed of a ``train`` job (system, learner) or a ``train_fold`` job (+ fold)."""
        name = params.learner_name(wc)
        if "fold" in wc.keys():
            return params.seed(self.config, "train_fold", wc.system, name, wc.fold)
        return params.seed(self.config, "train", wc.system, name)

    def checkpoint(self, wc) -> str:
        fold = wc.fold if "fold" in wc.keys() else None
        return paths.checkpoint(wc.system, params.learner_name(wc), fold)

    def train_threads(self, wc) -> int:
        """Torch CPU threads of a training job: the learner's ``threads``, else 1 (small nets)."""
        return int(self.learner(wc).get("threads") or 1)

    def train(self, wc) -> dict:
        """Resources of a ``train`` job (of a cross-fitted learner: its averaging) or a
        ``train_fold`` job."""
        name = params.learner_name(wc)
        averaging = "fold" not in wc.keys() and params.folds(self.config, wc.system, name) > 0
        return resources.train_job(self.config, wc.system, name, averaging)
