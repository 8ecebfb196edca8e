"""Checks across keys that a schema cannot express, run before any job starts.

Toy boxes are ordered, every learner named anywhere is defined (``like`` chains end),
per-system learner overrides pass the kind's schema, system names are unique across
stages, and every toy potential resolves: a built-in name, or a
``package.module:function`` / ``path/to/file.py:function`` that imports and is
callable (importing a user potential runs its module).
"""

from __future__ import annotations

from pathlib import Path

from mdcv.config.systems import (
    learner_definition,
    learner_settings,
    md_systems,
    toy_learners,
    toy_systems,
)
from mdcv.errors import ConfigError

# The names of mdcv.toy.potentials.BUILTIN, here so that checking a config needs no torch.
BUILTIN_POTENTIALS = ("mueller_brown", "three_well", "separable_double_well")
POTENTIAL_FORMS = (f"a built-in name ({', '.join(BUILTIN_POTENTIALS)}), "
                   "'package.module:function' or 'path/to/file.py:function'")


def check_potential(spec: str, key: str, base_dir: str | Path = ".") -> None:
    """Raise :class:`ConfigError` unless potential ``spec`` (config key ``key``) resolves.

    Relative file paths are taken from ``base_dir``; a user module is imported.
    """
    if ":" not in spec:
        if spec not in BUILTIN_POTENTIALS:
            raise ConfigError(f"{key}: unknown potential {spec!r}; use {POTENTIAL_FORMS}")
        return
    target = spec.rsplit(":", 1)[0]
    if target.endswith(".py"):
        path = Path(target)
        if not path.is_absolute() and not (Path(base_dir) / path).is_file():
            raise ConfigError(f"{key}: file {str(path)!r} not found (relative paths are taken "
                              f"from {str(base_dir)!r}); fix the path in {spec!r}")
    from mdcv.toy.potentials import load_potential

    try:
        load_potential(spec, base_dir)
    except ConfigError as exc:
        raise ConfigError(f"{key}: {exc}; use {POTENTIAL_FORMS}") from None
    except Exception as exc:  # the user's module failed while it was imported
        raise ConfigError(f"{key}: importing {target!r} for potential {spec!r} failed with "
                          f"{type(exc).__name__}: {exc}; fix that module") from None


def check(config: dict, base_dir: str | Path = ".") -> None:
    """Checks a schema cannot express; raise :class:`ConfigError` naming the key."""
    toy = config.get("toy", {})
    learners = config.get("learners", {})
    for name in toy_systems(config):
        entry = toy["systems"][name]
        (x0, x1), (y0, y1) = entry["box"]
        if not (x0 < x1 and y0 < y1):
            raise ConfigError(f"toy.systems.{name}.box: need xmin < xmax and ymin < ymax, got {entry['box']}")
        for learner in toy_learners(config, name):
            learner_settings(config, name, learner)
        for learner in (entry.get("training") or {}):
            if learner not in learners:
                raise ConfigError(f"toy.systems.{name}.training.{learner}: no learner of that name "
                                  f"under 'learners:' ({list(learners)})")
        check_potential(entry["potential"], f"toy.systems.{name}.potential", base_dir)
    for name in toy.get("learners", []):
        if name not in learners:
            raise ConfigError(f"toy.learners: {name!r} is not defined under 'learners:'")
    for name, entry in learners.items():
        if "like" in entry:  # its target exists, has its kind, and the chain ends
            learner_definition(config, "", name)
    overlap = set(toy.get("systems", {})) & set(md_systems(config))
    if overlap:
        raise ConfigError(f"system names used by both toy and md: {sorted(overlap)}")
    check_features(config)
    from mdcv.md.settings import check as check_md

    check_md(config)
    from mdcv.loop.settings import check as check_loop  # (mdcv.loop imports mdcv.config)

    check_loop(config)


def check_features(config: dict) -> None:
    """Learners with ``features: dihedrals`` (:mod:`mdcv.md.dihedrals`): molecules only,
    a valid dihedral list whose atoms the MD datasets hold, no alignment."""
    learners = config.get("learners", {})
    for system in toy_systems(config):
        for name in toy_learners(config, system):
            if learner_definition(config, system, name).get("features", "cartesian") != "cartesian":
                raise ConfigError(f"learner {name!r} on toy system {system!r}: features: "
                                  "dihedrals needs a molecule; toy learners take the "
                                  "coordinates (features: cartesian)")
    atoms = config.get("md", {}).get("features", {}).get("atoms", "all")
    for system in md_systems(config):
        for name in learners:
            settings = learner_definition(config, system, name)
            if "features" in settings or "dihedrals" in settings:
                from mdcv.md.dihedrals import check_settings  # imports torch: only here

                check_settings(settings, f"learner {name!r} on system {system!r}", atoms)
