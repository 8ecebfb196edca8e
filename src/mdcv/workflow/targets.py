"""The study's final outputs, by stage, and the trainings they need (``rule all``).

Pure Python over the config, so the Snakefile and ``mdcv check-config`` can use it.
"""

from __future__ import annotations

from mdcv.config import md_systems, toy_learners, toy_systems
from mdcv.loop import settings as loop_settings
from mdcv.plots.md import figure_paths
from mdcv.workflow import alanine, paths, toycv


def toy(config: dict) -> list[str]:
    """Toy stage: the spectrum table, eigenfunction and training figures per system, the
    autoencoder figures (combined and one per learner) and the CV-quality table."""
    toys = toy_systems(config)
    out = [paths.table("toy_spectrum")] if toys else []  # none without a toy system
    for name in toys:
        out += [paths.figure(f"toy_{name}_eigenfunctions"), paths.figure(f"toy_{name}_training")]
    for name in toys:
        learners = toycv.autoencoder_learners(config, name)
        if learners:
            out.append(paths.figure(f"toy_{name}_autoencoders"))
            out += [paths.figure(f"toy_{name}_autoencoder_{learner}") for learner in learners]
    if toys:
        out.append(paths.table("toy_cv_quality"))
    return out


def md(config: dict) -> list[str]:
    """MD stage: datasets, figures, the reweighting and AWH convergence tables."""
    systems = md_systems(config)
    if not systems:
        return []
    out = [paths.table("reweighting_check"), paths.table("awh_convergence")]
    for system in systems:
        out += [paths.dataset(system, kind) for kind in ("biased", "unbiased")]
        out += figure_paths(system, paths.FIGURES)
    return out


def alanine_stage(config: dict) -> list[str]:
    """Alanine stage: the eigenvalue table and its figures."""
    systems = alanine.systems(config)
    if not systems:
        return []
    out = [paths.table("alanine_eigenvalues")]
    for system in systems:
        out.append(paths.figure(f"alanine_{system}_data"))
        out.append(paths.figure(f"alanine_{system}_convergence"))
        out += [paths.figure(f"alanine_{system}_{name}")
                for name in alanine.learners(config, system)]
    for system in alanine.reference_systems(config):
        out += [paths.figure(f"alanine_{system}_msm_{dyn}") for dyn in alanine.dynamics(config)]
    out += [paths.figure(f"alanine_{system}_study")
            for system in alanine.study_figure_systems(config)]
    if alanine.shooting_systems(config):
        out.append(paths.table("shooting_cores"))
    return out


def checks(config: dict) -> list[str]:
    """Estimator checks on toy potentials: the shooting check's table when it names systems."""
    return [paths.table("shooting_check")] if config["toy"]["shooting_check"]["systems"] else []


def loop(config: dict) -> list[str]:
    """The CV loop: its table and figure, when ``loop.systems`` names a system."""
    if not loop_settings.systems(config):
        return []
    return [paths.table("cv_loop"), paths.figure("cv_loop")]


def all_targets(config: dict) -> list[str]:
    """Every final output of the study, stage by stage."""
    return toy(config) + md(config) + alanine_stage(config) + loop(config) + checks(config)


def trainings(config: dict) -> list[tuple[str, str]]:
    """(system, learner) of every training the config runs: the toy stage's, then the
    alanine stage's (including the transfer learners its Langevin runs feed)."""
    out = [(s, name) for s in toy_systems(config) for name in toy_learners(config, s)]
    return out + [(s, name) for s in alanine.systems(config)
                  for name in alanine.system_learners(config, s)]
