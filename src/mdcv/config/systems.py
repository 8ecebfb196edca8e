"""Settings of one system or learner, read from a validated config with defaults filled.

Per-system overrides follow one rule, :func:`deep_merge`: mappings merge key by key,
anything else (numbers, strings, lists) replaces. It merges a toy system's
``sampling``/``reference`` over the section's, an MD system's entry with the section
keys (:func:`mdcv.md.settings.system_settings`), a learner's ``training`` override over
its settings, and ``--configfile`` overlays over the embedded config.
"""

from __future__ import annotations

import copy

import jsonschema

from mdcv.config.schema import learner_defaults, learner_kind_schema
from mdcv.errors import ConfigError


def deep_merge(base: dict, override: dict | None) -> dict:
    """A copy of ``base`` with ``override`` merged in recursively (override wins)."""
    out = copy.deepcopy(base)
    for key, value in (override or {}).items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def toy_systems(config: dict) -> list[str]:
    """Names of the toy systems the config enables."""
    systems = config.get("toy", {}).get("systems", {}) or {}
    return [name for name, entry in systems.items() if entry.get("enabled", True)]


def toy_settings(config: dict, system: str) -> dict:
    """Settings of toy system ``system``: its own keys plus merged sampling/reference."""
    try:
        entry = config["toy"]["systems"][system]
    except KeyError:
        known = list(config.get("toy", {}).get("systems", {}))
        raise ConfigError(f"unknown toy system {system!r}; configured: {known}") from None
    out = {k: copy.deepcopy(v) for k, v in entry.items()
           if k not in ("sampling", "reference", "training", "enabled")}
    out["name"] = system
    out["sampling"] = deep_merge(config["toy"]["sampling"], entry.get("sampling"))
    out["reference"] = deep_merge(config["toy"]["reference"], entry.get("reference"))
    return out


def toy_step_settings(config: dict, system: str, step: str) -> dict:
    """The part of a toy system's settings one step uses, so that changing another
    step's settings does not make Snakemake rerun it (params are a rerun trigger).

    ``step``: ``biased`` (sampling less ``unbiased``), ``unbiased`` (``sampling.unbiased``
    and ``burn_in``) or ``reference``.
    """
    full = toy_settings(config, system)
    out = {k: full[k] for k in ("name", "potential", "beta", "box")}
    if step == "biased":
        out["sampling"] = {k: v for k, v in full["sampling"].items() if k != "unbiased"}
    elif step == "unbiased":
        out["sampling"] = {"burn_in": full["sampling"]["burn_in"],
                           "unbiased": full["sampling"]["unbiased"]}
    elif step == "reference":
        out["reference"] = full["reference"]
    else:
        raise ValueError(f"step must be biased, unbiased or reference, got {step!r}")
    return out


def toy_learners(config: dict, system: str) -> list[str]:
    """Names of the learners trained on toy system ``system``."""
    entry = config["toy"]["systems"][system]
    return list(entry.get("learners", config["toy"]["learners"]))


def md_systems(config: dict) -> list[str]:
    """Names of the MD systems the config enables (``md.systems.<name>``)."""
    systems = config.get("md", {}).get("systems", {}) or {}
    return [name for name, entry in systems.items() if (entry or {}).get("enabled", True)]


def system_overrides(config: dict, system: str) -> dict:
    """Per-learner overrides configured for ``system`` (toy or MD)."""
    toy = config.get("toy", {}).get("systems", {})
    if system in toy:
        return toy[system].get("training", {}) or {}
    md = config.get("md", {}).get("systems", {})
    if system in md and isinstance(md[system], dict):
        return md[system].get("training", {}) or {}
    return {}


def learner_definition(config: dict, system: str, learner: str, chain: tuple = ()) -> dict:
    """Unchecked settings of ``learner`` on ``system``: its base ← learners.<name> ← system.

    The base is the kind's defaults, or with ``like: <other>`` the other learner's
    settings on this system (its own system overrides included).
    """
    learners = config.get("learners", {})
    if learner not in learners:
        where = f"learner {chain[-1]!r}: like" if chain else "unknown learner"
        raise ConfigError(f"{where} {learner!r}; defined under 'learners:': {list(learners)}")
    if learner in chain:
        raise ConfigError(f"learners: 'like' goes round in a circle: {' → '.join([*chain, learner])}")
    entry = learners[learner]
    own = {k: v for k, v in entry.items() if k not in ("like", "replicas")}
    if "like" in entry:
        base = learner_definition(config, system, entry["like"], (*chain, learner))
        if base["kind"] != entry["kind"]:
            raise ConfigError(f"learner {learner!r} (kind {entry['kind']!r}) is like "
                              f"{entry['like']!r}, of kind {base['kind']!r}: the kinds must match")
    else:
        base = learner_defaults(entry["kind"])
    override = system_overrides(config, system).get(learner, {})
    return deep_merge(deep_merge(base, own), override)


def learner_settings(config: dict, system: str, learner: str) -> dict:
    """Merged settings of ``learner`` on ``system``: kind defaults ← learners.<name> ← system.

    ``like: <other>`` (a replica or variant) starts from the other learner's merged
    settings instead of the kind's defaults; its own name gives it its own seeds and
    outputs. The result is checked against the kind's schema; errors name the learner
    and key.
    """
    settings = learner_definition(config, system, learner)
    validator = jsonschema.Draft202012Validator(learner_kind_schema(settings["kind"]))
    errors = sorted(validator.iter_errors(settings), key=lambda e: list(e.path))
    if errors:
        err = errors[0]
        where = ".".join(str(p) for p in err.absolute_path) or "(settings)"
        raise ConfigError(f"learner {learner!r} on system {system!r}: {where}: {err.message}")
    settings["name"] = learner
    return settings
