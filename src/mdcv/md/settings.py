"""Per-system MD settings: the ``md:`` config section merged for one system.

The Snakemake rules pass the merged dict to their scripts as a param, so scripts never
read the config. Run lengths are in ns in the config and in ps inside (``*_ps``).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from mdcv.config.systems import deep_merge
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
    entry = {k: v for k, v in systems[system].items() if k not in ("training", "awh")}
    # The schema keeps the entry's keys and GLOBAL_KEYS apart, so the merge order only
    # sets the key order: the entry's keys first. ``awh`` is the one key of both: the
    # entry's values override the section's.
    out = deep_merge(entry, {k: md[k] for k in GLOBAL_KEYS if k in md})
    if systems[system].get("awh"):
        out["awh"] = deep_merge(out.get("awh", {}), systems[system]["awh"])
    out["em_steps"] = md.get("em", {}).get("steps")
    out["em_tolerance"] = md.get("em", {}).get("tolerance")
    out["name"] = system
    out["seed"] = config.get("seed", 0)
    return out


#: Largest time step (ps) without heavy hydrogens and all-bond constraints.
LIGHT_H_MAX_DT = 0.002


def check_dynamics(settings: Mapping) -> None:
    """Refuse a time step the system's constraints and masses do not allow.

    Above 2 fs both are needed: ``constraints: all-bonds`` (with h-bonds, grompp warns
    that the bonds of the heavy atoms oscillate in under 5 steps) and
    ``heavy_hydrogens: true`` (grompp does not check the angle vibrations of light
    hydrogens, which a 4 fs step does not resolve).
    """
    name, dt = settings.get("name", "?"), settings["dt"]
    if dt <= LIGHT_H_MAX_DT + 1e-12:
        return
    if settings.get("constraints") != "all-bonds" or not settings.get("heavy_hydrogens"):
        raise ConfigError(
            f"md.systems.{name}.dt = {dt} ps needs constraints: all-bonds and "
            f"heavy_hydrogens: true (got constraints: {settings.get('constraints')!r}, "
            f"heavy_hydrogens: {bool(settings.get('heavy_hydrogens'))}); set both or use "
            f"dt <= {LIGHT_H_MAX_DT}")


def check(config: Mapping) -> None:
    """:func:`check_dynamics` and the vacuum box (:func:`mdcv.md.topology.check_box`)
    for every configured MD system."""
    from mdcv.md import topology

    for system in (config.get("md", {}).get("systems") or {}):
        s = system_settings(config, system)
        check_dynamics(s)
        if s["solvent"] == "vacuum":
            topology.check_box(np.diag([s["box"]] * 3), 0.0, s["cutoff"], system)


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
    keys |= ({"water", "box_type", "box_distance", "cutoff"} if s["solvent"] == "water"
             else {"box"})
    if s.get("heavy_hydrogens"):  # absent when false: the default systems' params stay
        keys.add("heavy_hydrogens")
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
