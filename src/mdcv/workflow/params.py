"""The params of each rule: only the settings its outputs depend on.

Snakemake reruns a job when its params change, so a rule gets the slice of the config
its step reads and nothing more: changing an MSM setting (``lags_ps``, ``n_bootstrap``)
reruns the MSM, not the GROMACS reference runs it reads. The MD chain's slices are
:func:`mdcv.md.settings.stage_settings` and :func:`~mdcv.md.settings.topology_settings`;
the toy steps' :func:`mdcv.config.toy_step_settings`. Pure Python (no torch).
"""

from __future__ import annotations

import copy

from mdcv import seeds
from mdcv.config import learner_settings
from mdcv.learn.modeldir import ALWAYS, written
from mdcv.md.settings import system_settings

#: ``alanine.reference`` keys the MSM estimate reads (:func:`mdcv.analysis.alanine.msm_reference`).
MSM_KEYS = ("states", "stationary", "k", "lag_ps", "lags_ps", "n_bootstrap", "ck_steps")
#: Keys of a dynamics block (``bd``, ``langevin``) that shape its runs (not the throughput
#: estimate, which only sizes the job).
RUN_KEYS = ("runs", "length_ns", "dt", "constraints", "save_every_ps", "diffusion_constant")
#: ``shooting`` keys that shape the shooting runs, and those the rate estimate reads.
SHOOTING_RUN_KEYS = ("max_starts", "runs_per_start", "length_ps", "save_every_ps", "cores")
SHOOTING_RATE_KEYS = ("length_ps", "cores", "block_ps", "n_bootstrap", "level")
#: Keys of the ``bd`` block a shooting run uses (the integrator's, not the MSM runs' count).
SHOOTING_BD_KEYS = ("dt", "constraints", "save_every_ps", "diffusion_constant")


def _pick(block: dict, keys) -> dict:
    return {k: copy.deepcopy(block[k]) for k in keys if k in block}


def seed(config: dict, *parts: str) -> int:
    """The seed of one step: the study seed and the step's name and wildcard values."""
    return seeds.derive(config["seed"], *parts)


def learner(config: dict, system: str, name: str) -> dict:
    """Merged settings of one learner on one system (a training job's params)."""
    return learner_settings(config, system, name)


def folds(config: dict, system: str, name: str) -> int:
    """Cross-fitting members of a learner (its ``folds`` setting; 0 when off)."""
    k = int(learner_settings(config, system, name).get("folds") or 0)
    return k if k > 1 else 0


# --- MD featurization ------------------------------------------------------------------------
def features(config: dict, system: str, kind: str) -> dict:
    """What a featurization step reads: atoms, discarded start (ps), temperature (K) and,
    for the biased dataset, the bias check's tolerance (kJ/mol)."""
    s = system_settings(config, system)
    out = {"atoms": s["features"]["atoms"], "temperature": s["temperature"],
           "discard_ps": s["features"]["discard_ps"] if kind == "biased" else 0.0}
    if kind == "biased":
        out["tolerance"] = s["bias"]["tolerance"]
    return out


# --- alanine references ----------------------------------------------------------------------
def _reference(config: dict) -> dict:
    return config["alanine"]["reference"]


def reference_runs(config: dict, dynamics: str) -> dict:
    """What the reference runs of one dynamics read: ``start_bins`` and its block."""
    ref = _reference(config)
    return {"start_bins": ref["start_bins"], dynamics: _pick(ref[dynamics], RUN_KEYS)}


def shooting_runs(config: dict) -> dict:
    """What the committor-shooting runs read: the run part of ``shooting`` and the BD
    integrator (``bd`` block without its run count and length)."""
    ref = _reference(config)
    return {"shooting": _pick(ref["shooting"], SHOOTING_RUN_KEYS),
            "bd": _pick(ref["bd"], SHOOTING_BD_KEYS)}


def msm(config: dict) -> dict:
    """What an MSM estimate reads (states, lags in ps, bootstrap, CK steps)."""
    return _pick(_reference(config), MSM_KEYS)


def shooting_rate(config: dict) -> dict:
    """What the shooting rate and committors read (cores, bootstrap block length, draws
    and level)."""
    return _pick(_reference(config)["shooting"], SHOOTING_RATE_KEYS)


def shooting_cores(config: dict) -> dict:
    """What the core-choice table reads: the rate's keys and ``core_table``."""
    return _pick(_reference(config)["shooting"], (*SHOOTING_RATE_KEYS, "core_table"))


def reference_threads(config: dict) -> int:
    """Single-thread gmx runs the reference and shooting jobs simulate at once."""
    return int(_reference(config)["threads"])


# --- the MD chain ----------------------------------------------------------------------------
def stage_kind(stage: str) -> str:
    """The kind of a dynamics stage: ``unbiased`` for ``unbiased<i>``, else the stage."""
    return "unbiased" if stage.startswith("unbiased") else stage


def stage_run(stage: str) -> int:
    """The run number of a stage: ``i`` of ``unbiased<i>``, 0 for the others."""
    return int(stage[len("unbiased"):]) if stage_kind(stage) == "unbiased" else 0


# --- training jobs: which model-directory files each writes ---------------------------------
#: The ``train`` rule variants by the files their jobs write (mdcv.learn.modeldir.written),
#: each with its own learner wildcard: the files a rule declares are the files it writes.
TRAIN_VARIANTS = {
    "plain_learner": ALWAYS,
    "selecting_learner": (*ALWAYS, "validation"),
    "crossfit_learner": (*ALWAYS, "validation", "members"),
}

#: Files a ``train_fold`` job writes: members are generator learners, which choose their
#: model on their fold.
FOLD_FILES = (*ALWAYS, "validation")


def train_variants(config: dict, trainings) -> dict[str, list[str]]:
    """Learner names by ``train`` variant (:data:`TRAIN_VARIANTS`): the variant whose files
    the learner's ``train`` job writes on every system it trains on (``trainings``: its
    (system, learner) pairs). A learner whose files differ between systems (a per-system
    ``folds``, ``validation`` or ``holdout``) takes ``plain_learner``: its extra files
    are written but not declared."""
    by_keys = {keys: name for name, keys in TRAIN_VARIANTS.items()}
    written_by: dict[str, set] = {}
    for system, name in trainings:
        written_by.setdefault(name, set()).add(written(learner_settings(config, system, name)))
    out: dict[str, list[str]] = {name: [] for name in TRAIN_VARIANTS}
    for name, keys in written_by.items():
        variant = by_keys.get(next(iter(keys))) if len(keys) == 1 else None
        out[variant or "plain_learner"].append(name)
    return out


def learner_name(wc) -> str:
    """The learner of a training job, whichever learner wildcard its rule uses."""
    return next(wc[n] for n in ("learner", *TRAIN_VARIANTS) if n in wc.keys())


# --- the toy shooting check (mdcv.toy.shooting) ----------------------------------------------
def shooting_check_systems(config: dict) -> list[str]:
    """Systems of ``toy.shooting_check`` (none: the check is off)."""
    return list(config["toy"]["shooting_check"]["systems"])


def shooting_check(config: dict, system: str) -> dict:
    """One system's shooting check: ``system`` (potential, beta, box, grid, core_radius) and
    ``settings`` (the section's, with the system's ``sampling``, ``starts``, ``dt``
    overrides merged in)."""
    section = config["toy"]["shooting_check"]
    spec = copy.deepcopy(section["systems"][system])
    settings = {k: copy.deepcopy(v) for k, v in section.items() if k not in ("systems", "seeds")}
    settings["sampling"].update(spec.pop("sampling", {}))
    for key in ("starts", "dt"):
        if key in spec:
            settings[key] = spec.pop(key)
    spec.setdefault("grid", [200, 200])
    return {"system": {"name": system, **spec}, "settings": settings}
