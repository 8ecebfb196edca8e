"""The ``results/`` layout: the only library module that spells it.

Every function returns a path relative to the workflow's working directory, as a
string (what Snakemake declares). Arguments may be values (``"ala2-vacuum"``) or
wildcard patterns (``"{system}"``): the same function names a rule's output pattern
and the concrete file another rule asks for. The file names inside a model directory
come from :mod:`mdcv.learn.modeldir`.
"""

from __future__ import annotations

from pathlib import Path

from mdcv.learn.modeldir import FILES, MEMBERS, ModelDir

RESULTS = "results"
TABLES = f"{RESULTS}/tables"
FIGURES = f"{RESULTS}/figures"
LOGS = f"{RESULTS}/logs"
BENCHMARKS = f"{RESULTS}/benchmarks/rules"
SUMMARY = f"{RESULTS}/summary"
#: Model-directory files every training job writes (validation.csv only with model selection).
MODEL_KEYS = ("model", "torchscript", "history", "eigenvalues", "readouts", "cv", "run")


def _join(*parts) -> str:
    return "/".join([RESULTS, *(str(p) for p in parts)])


# --- datasets and the toy reference -----------------------------------------------------------
def dataset(system: str, kind: str) -> str:
    """A dataset file (``biased``, ``unbiased``, ``trajectories``): npz, DESIGN's contract."""
    return _join(system, "dataset", f"{kind}.npz")


def dataset_stats(system: str, kind: str) -> str:
    """Sampler statistics of a toy dataset (json)."""
    return _join(system, "dataset", f"{kind}_stats.json")


def toy_reference(toy: str, name: str) -> str:
    """Files of the exact grid spectrum: ``spectrum.npz``, ``convergence.csv``."""
    return _join(toy, "reference", name)


def evaluation(system: str, name: str) -> str:
    """Per-system evaluation tables (``spectrum.csv``, ``cv_quality.csv``)."""
    return _join(system, "evaluation", name)


# --- models -----------------------------------------------------------------------------------
def model_dir(system: str, learner: str, fold=None) -> ModelDir:
    """The model directory of a learner on a system (of cross-fitting member ``fold``)."""
    root = _join(system, "models", learner)
    return ModelDir(root) if fold is None else ModelDir(f"{root}/folds/{fold}")


def model_file(system: str, learner: str, key: str, fold=None) -> str:
    """One file of a model directory by its :data:`mdcv.learn.modeldir.FILES` key, or
    ``members`` (a cross-fitted learner's ``members.csv``)."""
    name = MEMBERS if key == "members" else FILES[key]
    root = _join(system, "models", learner)
    return f"{root}/{name}" if fold is None else f"{root}/folds/{fold}/{name}"


def model_files(system: str, learner: str, fold=None, keys=MODEL_KEYS) -> dict[str, str]:
    """The files ``keys`` of a model directory, by key (a training rule's outputs)."""
    return {key: model_file(system, learner, key, fold) for key in keys}


def model_dirs(files) -> list[Path]:
    """The model directories holding ``files`` (a rule's declared inputs, one per directory)."""
    return [Path(f).parent for f in files]


def checkpoint(system: str, learner: str, fold=None) -> str:
    """A training checkpoint: outside the model directory, so it survives a failed job."""
    name = f"{learner}.pt" if fold is None else f"{learner}.fold{fold}.pt"
    return _join("checkpoints", system, name)


# --- the MD chain and the alanine references --------------------------------------------------
def md(system: str, stage: str, name: str) -> str:
    """A file of one MD step (``build``, ``topology``, ``em``, ``nvt``, ..., ``bias``)."""
    return _join(system, "md", stage, name)


def md_work(system: str, stage: str) -> str:
    """Working directory of a restartable GROMACS step (checkpoints, per-run files)."""
    return _join(system, "md", "work", stage)


def reference(system: str, dynamics: str, name: str) -> str:
    """A file of an alanine reference (``bd`` or ``langevin``: runs, MSM, shooting)."""
    return _join(system, "reference", dynamics, name)


# --- the CV loop (mdcv.loop) ----------------------------------------------------------------
def loop_round(system: str, round_, name: str) -> str:
    """A file of one loop round: ``samples.npz``, ``samples_stats.json``, ``round.json``,
    ``free_energy.npz`` (F along the round's CV: the next round's bias)."""
    return _join(system, "loop", f"round{round_}", name)


def loop_model_files(system: str, round_, keys=MODEL_KEYS) -> dict[str, str]:
    """The model-directory files of one loop round's training, by key."""
    root = _join(system, "loop", f"round{round_}", "model")
    return {key: f"{root}/{FILES[key]}" for key in keys}


def loop_checkpoint(system: str, round_) -> str:
    """The training checkpoint of one loop round."""
    return _join("checkpoints", system, "loop", f"round{round_}.pt")


# --- tables, figures, logs, benchmarks --------------------------------------------------------
def table(name: str) -> str:
    """A study table (csv), ``name`` without extension."""
    return f"{TABLES}/{name}.csv"


def figure(name: str, ext: str = "png") -> str:
    """A figure file, ``name`` without extension: one file per panel, PNG and PDF."""
    return f"{FIGURES}/{name}.{ext}"


def log(*parts: str) -> str:
    """A job's log file: ``results/logs/<parts...>.log``."""
    return "/".join([LOGS, *parts]) + ".log"


def summary(name: str) -> str:
    """A file of the results summary (``index.md``, its tables, provenance)."""
    return f"{SUMMARY}/{name}"


def benchmark(rule: str, *wildcards: str) -> str:
    """A rule's ``benchmark:`` file: ``results/benchmarks/rules/<rule>/<wildcards>.tsv``
    (wildcard values joined by ``_``; ``all`` for a rule without wildcards)."""
    name = "_".join(wildcards) or "all"
    return f"{BENCHMARKS}/{rule}/{name}.tsv"
