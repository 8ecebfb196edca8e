"""Per-system MD settings: the ``md:`` config section merged for one system.

The Snakemake rules pass the merged dict to their scripts as a param, so scripts never
read the config. Run lengths are in ns in the config and in ps inside (``*_ps``).
"""

from __future__ import annotations

from collections.abc import Mapping

from mdcv.config import deep_merge
from mdcv.errors import ConfigError

GLOBAL_KEYS = ("forcefield", "water", "temperature", "friction", "pressure", "tau_p",
               "initial_dihedrals", "checkpoint_minutes", "awh", "bias", "features",
               "reweighting")


def system_settings(config: Mapping, system: str) -> dict:
    """Settings of MD system ``system``: its entry merged with the section-wide keys
    (:func:`mdcv.config.deep_merge`, the one override rule) plus the seed."""
    md = config.get("md", {})
    systems = md.get("systems", {}) or {}
    if system not in systems:
        raise ConfigError(f"unknown md system {system!r}; configured: {list(systems)}")
    entry = {k: v for k, v in systems[system].items() if k != "training"}
    # The schema keeps the entry's keys and GLOBAL_KEYS apart, so the merge order only
    # sets the key order: the entry's keys first.
    out = deep_merge(entry, {k: md[k] for k in GLOBAL_KEYS if k in md})
    out["em_steps"] = md.get("em", {}).get("steps")
    out["em_tolerance"] = md.get("em", {}).get("tolerance")
    out["name"] = system
    out["seed"] = config.get("seed", 0)
    return out


def equilibrated_stage(settings: Mapping) -> str:
    """The last equilibration stage: ``npt`` when it runs, else ``nvt``."""
    return "npt" if settings.get("npt_ns", 0) > 0 else "nvt"


def stage_length_ps(settings: Mapping, stage: str) -> float:
    """Length (ps) of a dynamics stage (``unbiased<i>`` counts as ``unbiased``)."""
    key = "unbiased" if stage.startswith("unbiased") else stage
    try:
        return 1000.0 * settings[f"{key}_ns"]
    except KeyError:
        raise ConfigError(f"no length configured for md stage {stage!r}") from None


# Keys each rule needs. Rules pass only these as params, so that changing an unrelated
# key (a later stage's length, the featurization, threads) does not rerun a simulation.
def _nonbonded_keys(settings: Mapping) -> set[str]:
    keys = {"solvent", "cutoff"}
    if settings["solvent"] == "water":
        keys.add("fourier_spacing")
    return keys


def topology_settings(config: Mapping, system: str) -> dict:
    """Settings that build a system's topology and box."""
    s = system_settings(config, system)
    keys = {"name", "forcefield", "solvent"}
    keys |= {"water", "box_type", "box_distance"} if s["solvent"] == "water" else {"box"}
    return {k: s[k] for k in sorted(keys)}


def stage_settings(config: Mapping, system: str, stage: str) -> dict:
    """Settings of one simulation stage (``em``, ``nvt``, ``npt``, ``awh``, ``biased``,
    ``unbiased<i>``): what enters its mdp, plus the checkpoint interval."""
    s = system_settings(config, system)
    keys = {"name", "seed", "checkpoint_minutes"} | _nonbonded_keys(s)
    if stage == "em":
        keys |= {"em_steps", "em_tolerance"}
    else:
        keys |= {"dt", "friction", "temperature", "constraints", "save_every_ps",
                 "energy_every_ps"}
    if stage == "npt":
        keys |= {"pressure", "tau_p"}
    if stage == "awh":
        keys.add("awh")
    return {k: s[k] for k in sorted(keys)}


def stage_templates(config: Mapping, system: str, stage: str, template_dir) -> list[str]:
    """The mdp templates a stage renders (declared as rule inputs)."""
    from pathlib import Path

    solvent = system_settings(config, system)["solvent"]
    names = ["em.mdp"] if stage == "em" else ["dynamics.mdp"]
    names.append(f"nonbonded_{solvent}.mdp")
    if stage == "npt":
        names.append("pressure.mdp")
    if stage == "awh":
        names.append("awh.mdp")
    return [str(Path(template_dir) / name) for name in names]


def dataset_frames(config: Mapping, system: str, kind: str = "biased") -> int:
    """Frames the ``biased`` or ``unbiased`` dataset of ``system`` will hold (for resources)."""
    s = system_settings(config, system)
    if kind == "biased":
        ps = 1000.0 * s["biased_ns"] - s["features"]["discard_ps"]
        return max(1, int(ps / s["save_every_ps"]))
    return s["unbiased_runs"] * (int(1000.0 * s["unbiased_ns"] / s["save_every_ps"]) + 1)
