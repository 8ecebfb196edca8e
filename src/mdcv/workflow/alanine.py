"""What the alanine stage runs: its systems, learners, references and the table's plan.

Pure Python over the config (no torch, numpy or pandas), so the Snakefile can use it.
Method and convention names of the table are defined here because they follow from a
learner's settings: ``generator-<diffusion>[-heavy]``, ``transfer`` or the learner's
name; conventions ``uniform``, ``mass_weighted``, ``langevin`` or ``none``.
"""

from __future__ import annotations

from mdcv.config import learner_settings, md_systems
from mdcv.workflow import paths

EIGEN_KINDS = ("generator", "transfer")


def systems(config: dict) -> list[str]:
    """MD systems of the alanine stage: configured under ``alanine.learners`` and enabled."""
    enabled = set(md_systems(config))
    return [s for s in config.get("alanine", {}).get("learners", {}) if s in enabled]


def learners(config: dict, system: str) -> list[str]:
    """Learners trained on ``system`` by the alanine stage (its ``alanine.learners`` list)."""
    return list(config["alanine"]["learners"].get(system, []))


def reference_systems(config: dict) -> list[str]:
    """Systems with MSM references (vacuum: the biased trajectory holds complete frames)."""
    enabled = set(systems(config))
    return [s for s in config["alanine"]["reference"]["systems"] if s in enabled]


def dynamics(config: dict) -> list[str]:
    """Reference dynamics that run (``bd``, ``langevin``)."""
    return list(config["alanine"]["reference"]["dynamics"])


def shooting_enabled(config: dict) -> bool:
    """Whether committor shooting runs (it needs the ``bd`` dynamics)."""
    ref = config["alanine"]["reference"]
    return "bd" in ref["dynamics"] and bool(ref["shooting"]["enabled"])


def shooting_systems(config: dict) -> list[str]:
    """Reference systems with committor shooting (none when it is off)."""
    return reference_systems(config) if shooting_enabled(config) else []


def _transfer(config: dict, system: str) -> list[str]:
    """Transfer learners of ``system``: where its Langevin reference runs exist."""
    if system in reference_systems(config) and "langevin" in dynamics(config):
        return list(config["alanine"]["transfer"])
    return []


def system_learners(config: dict, system: str) -> list[str]:
    """Learners of ``system``: its list, plus the transfer learners where the Langevin runs exist."""
    return learners(config, system) + _transfer(config, system)


def all_learners(config: dict) -> list[str]:
    """Every learner the alanine stage trains (on any system), transfer learners included."""
    names = [n for system in systems(config) for n in learners(config, system)]
    if reference_systems(config) and "langevin" in dynamics(config):
        names += list(config["alanine"]["transfer"])
    return list(dict.fromkeys(names))


def learner_convention(settings: dict) -> str:
    """Diffusion convention of a learner's eigenvalues (``none`` for autoencoders)."""
    if settings["kind"] == "transfer":
        return "langevin"
    return settings.get("diffusion", "none") if settings["kind"] != "autoencoder" else "none"


def learner_method(settings: dict) -> str:
    """Table method name of a learner: generator-<convention>[-heavy], transfer, or its name."""
    if settings["kind"] == "generator" and settings.get("diffusion") in ("uniform", "mass_weighted"):
        heavy = "-heavy" if settings.get("align") and settings.get("atoms") == "heavy" else ""
        return f"generator-{settings['diffusion']}{heavy}"
    if settings["kind"] == "transfer":
        return "transfer"
    return settings["name"]


def eigen_learners(config: dict, system: str) -> list[str]:
    """Learners of ``system`` with eigenvalue estimates (generator and transfer kinds)."""
    return [n for n in system_learners(config, system)
            if learner_settings(config, system, n)["kind"] in EIGEN_KINDS]


def eigen_labels(config: dict, system: str) -> list[str]:
    """Legend labels of the convergence figure: learner name and convention."""
    return [f"{n} ({learner_convention(learner_settings(config, system, n))})"
            for n in eigen_learners(config, system)]


def learner_title(config: dict, system: str, learner: str) -> str:
    """Title of a learner's figure: kind, K, atoms and convention."""
    s = learner_settings(config, system, learner)
    atoms = s.get("atoms", "all") if s.get("align") else "aligned input"
    return (f"{system}: {learner} ({s['kind']}, K = {s['k']}, atoms {atoms}, "
            f"convention {learner_convention(s)})")


def study_figure_systems(config: dict) -> list[str]:
    """Systems that get the study's row (both its learners train there)."""
    study = config["alanine"]["study_figure"]
    return [s for s in study["systems"] if s in systems(config)
            and {study["encoder"], study["eigen"]} <= set(learners(config, s))]


def table_plan(config: dict) -> dict:
    """What the table rule computes, in the order of its inputs (:func:`table_inputs`).

    ``systems`` (one biased dataset each), ``learners`` (system, learner, kind, method,
    convention, diffusion_constant), ``references`` (system, dynamics),
    ``eigenvectors`` and ``shooting`` (systems with the BD MSM eigenvector, with the
    shooting λ_1 and committors).
    """
    plan = {"systems": systems(config), "learners": [], "references": [], "eigenvectors": [],
            "shooting": []}
    for system in plan["systems"]:
        for name in system_learners(config, system):
            s = learner_settings(config, system, name)
            plan["learners"].append({
                "system": system, "learner": name, "kind": s["kind"], "method": learner_method(s),
                "convention": learner_convention(s),
                "diffusion_constant": s.get("diffusion_constant", 1.0)})
    for system in reference_systems(config):
        plan["references"] += [{"system": system, "dynamics": d} for d in dynamics(config)]
        if "bd" in dynamics(config):
            plan["eigenvectors"].append(system)
        if shooting_enabled(config):
            plan["shooting"].append(system)
    return plan


def table_inputs(config: dict) -> dict[str, list[str]]:
    """Input files of the table rule (named lists, in :func:`table_plan` order)."""
    plan = table_plan(config)
    model = [(e["system"], e["learner"]) for e in plan["learners"]]
    return {
        "datasets": [paths.dataset(s, "biased") for s in plan["systems"]],
        "readouts": [paths.model_file(s, n, "readouts") for s, n in model],
        "runs": [paths.model_file(s, n, "run") for s, n in model],
        "models": [paths.model_file(s, n, "torchscript") for s, n in model],
        "cvs": [paths.model_file(s, n, "cv") for s, n in model],
        "references": [paths.reference(e["system"], e["dynamics"], "eigenvalues.csv")
                       for e in plan["references"]],
        "eigenvectors": [paths.reference(s, "bd", "eigenvector.npz") for s in plan["eigenvectors"]],
        "shooting": [paths.reference(s, "bd", "shooting.csv") for s in plan["shooting"]],
        "committors": [paths.reference(s, "bd", "committors.csv") for s in plan["shooting"]],
    }
