"""Configuration helpers: defaults, per-system overrides and cross-key checks.

The JSON schemas in ``mdcv/schemas`` (package data) check types, ranges and unknown keys of the
config file (``snakemake.utils.validate`` fills the section defaults). This module
adds what a schema cannot express: merging per-system overrides over the defaults,
checking the merged learner settings (a learner's defaults depend on its ``kind``),
and checks across keys. Pure Python (no torch), so the Snakefile can import it.
"""

from __future__ import annotations

import copy
import zlib
from functools import cache
from pathlib import Path

import jsonschema
import yaml

from mdcv.errors import ConfigError

SCHEMA_DIR = Path(__file__).resolve().parent / "schemas"
MODEL_FILES = ("model.pt", "model.ts", "history.csv", "eigenvalues.csv", "readouts.csv", "cv.npz",
               "run.json")


def deep_merge(base: dict, override: dict | None) -> dict:
    """A copy of ``base`` with ``override`` merged in recursively (override wins)."""
    out = copy.deepcopy(base)
    for key, value in (override or {}).items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


@cache
def _learner_schema() -> dict:
    with open(SCHEMA_DIR / "learners.schema.yaml") as fh:
        return yaml.safe_load(fh)


def _resolve(schema: dict, node: dict) -> dict:
    while "$ref" in node:
        path = node["$ref"].lstrip("#/").split("/")
        target = schema
        for part in path:
            target = target[part]
        node = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
    return node


def learner_kind_schema(kind: str) -> dict:
    """The JSON schema of one learner kind's settings (a ``$defs`` entry)."""
    schema = _learner_schema()
    if kind not in schema["$defs"] or "properties" not in schema["$defs"][kind]:
        kinds = [k for k, v in schema["$defs"].items() if "properties" in v]
        raise ConfigError(f"unknown learner kind {kind!r}; known kinds: {kinds}")
    return {**schema["$defs"][kind], "$defs": schema["$defs"]}


def learner_defaults(kind: str) -> dict:
    """Default settings of a learner kind, read from the schema."""
    schema = _learner_schema()
    props = learner_kind_schema(kind)["properties"]
    out = {}
    for key, node in props.items():
        node = _resolve(schema, node)
        if "default" in node:
            out[key] = copy.deepcopy(node["default"])
    return out


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


def _load_yaml(path: Path) -> dict:
    with open(path) as fh:
        return yaml.safe_load(fh)


def _resolve_ref(node: dict, root: dict, base: Path) -> tuple[dict, dict, Path]:
    """Follow ``$ref`` (local '#/…' or 'file.yaml[#/…]') to (schema, its root, its dir)."""
    while isinstance(node, dict) and "$ref" in node:
        ref = node["$ref"]
        siblings = {k: v for k, v in node.items() if k != "$ref"}
        target_file, _, pointer = ref.partition("#")
        if target_file:
            path = (base / target_file).resolve()
            root, base = _load_yaml(path), path.parent
        target = root
        for part in [p for p in pointer.split("/") if p]:
            target = target[part]
        node = {**target, **siblings}
    return node, root, base


def apply_defaults(instance: dict, schema_path: str | Path) -> dict:
    """Fill the ``default`` of every absent property, following ``$ref`` across files.

    ``snakemake.utils.validate`` fills defaults only in the top schema file; this
    completes the job for the section files. Entries under ``additionalProperties``
    (per-system overrides) are left partial on purpose: they are merged later.
    """
    schema_path = Path(schema_path).resolve()
    root = _load_yaml(schema_path)

    def walk(inst, node, root, base):
        node, root, base = _resolve_ref(node, root, base)
        if not isinstance(inst, dict):
            return
        for key, sub in (node.get("properties") or {}).items():
            sub_resolved, sub_root, sub_base = _resolve_ref(sub, root, base)
            default = sub.get("default", sub_resolved.get("default"))
            if key not in inst and default is not None:
                inst[key] = copy.deepcopy(default)
            if key in inst:
                walk(inst[key], sub_resolved, sub_root, sub_base)

    walk(instance, root, root, schema_path.parent)
    return instance


def toy_systems(config: dict) -> list[str]:
    """Names of the toy systems the config enables."""
    systems = config.get("toy", {}).get("systems", {}) or {}
    return [name for name, entry in systems.items() if entry.get("enabled", True)]


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


def system_overrides(config: dict, system: str) -> dict:
    """Per-learner overrides configured for ``system`` (toy or MD)."""
    toy = config.get("toy", {}).get("systems", {})
    if system in toy:
        return toy[system].get("training", {}) or {}
    md = config.get("md", {}).get("systems", {})
    if system in md and isinstance(md[system], dict):
        return md[system].get("training", {}) or {}
    return {}


def _definition(config: dict, system: str, learner: str, chain: tuple = ()) -> dict:
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
    own = {k: v for k, v in entry.items() if k != "like"}
    if "like" in entry:
        base = _definition(config, system, entry["like"], (*chain, learner))
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
    settings = _definition(config, system, learner)
    kind = settings["kind"]
    validator = jsonschema.Draft202012Validator(learner_kind_schema(kind))
    errors = sorted(validator.iter_errors(settings), key=lambda e: list(e.path))
    if errors:
        err = errors[0]
        where = ".".join(str(p) for p in err.absolute_path) or "(settings)"
        raise ConfigError(
            f"learner {learner!r} on system {system!r}: {where}: {err.message}"
        )
    settings["name"] = learner
    return settings


def md_systems(config: dict) -> list[str]:
    """Names of the MD systems the config enables (``md.systems.<name>``)."""
    systems = config.get("md", {}).get("systems", {}) or {}
    return [name for name, entry in systems.items() if (entry or {}).get("enabled", True)]


def md_dataset_size(config: dict, system: str, kind: str = "biased") -> tuple[int, int]:
    """(frames, coordinates) of an MD system's dataset, for resource estimates."""
    from mdcv.md.settings import dataset_frames, system_settings

    atoms = system_settings(config, system)["features"]["atoms"]
    return dataset_frames(config, system, kind), 3 * (22 if atoms == "all" else 10)


def trainings(config: dict) -> list[tuple[str, str]]:
    """(system, learner) of every training the config runs: the toy stage's, then the
    alanine stage's (including the transfer learners its Langevin runs feed)."""
    from mdcv.analysis import alanine

    out = [(s, name) for s in toy_systems(config) for name in toy_learners(config, s)]
    return out + [(s, name) for s in alanine.systems(config)
                  for name in alanine.system_learners(config, s)]


def training_data_size(config: dict, system: str, learner: str) -> tuple[int, int]:
    """(samples, input dimension) a learner trains on, for resource estimates: a toy
    system's ``n_samples`` in 2-D, else the MD dataset's frames and coordinates."""
    if system in toy_systems(config):
        return int(toy_settings(config, system)["sampling"]["n_samples"]), 2
    return md_dataset_size(config, system, learner_settings(config, system, learner)["dataset"])


def derived_seed(seed: int, *parts: str) -> int:
    """A stable per-step seed from the study seed and the step's name parts."""
    return (int(seed) + zlib.crc32("/".join(parts).encode())) % 2**31


def check(config: dict, base_dir: str | Path = ".") -> None:
    """Checks a schema cannot express; raise :class:`ConfigError` naming the key."""
    toy = config.get("toy", {})
    for name in toy_systems(config):
        entry = toy["systems"][name]
        (x0, x1), (y0, y1) = entry["box"]
        if not (x0 < x1 and y0 < y1):
            raise ConfigError(f"toy.systems.{name}.box: need xmin < xmax and ymin < ymax, got {entry['box']}")
        for learner in toy_learners(config, name):
            learner_settings(config, name, learner)
        for learner in (entry.get("training") or {}):
            if learner not in config.get("learners", {}):
                raise ConfigError(f"toy.systems.{name}.training.{learner}: no learner of that name "
                                  f"under 'learners:' ({list(config.get('learners', {}))})")
        spec = entry["potential"]
        if spec.split(":")[0].endswith(".py"):
            path = Path(spec.rsplit(":", 1)[0])
            if not path.is_absolute() and not (Path(base_dir) / path).is_file():
                raise ConfigError(f"toy.systems.{name}.potential: file {str(path)!r} not found "
                                  f"(relative paths are taken from {str(base_dir)!r})")
    for name in toy.get("learners", []):
        if name not in config.get("learners", {}):
            raise ConfigError(f"toy.learners: {name!r} is not defined under 'learners:'")
    for name, entry in config.get("learners", {}).items():
        if "like" in entry:  # its target exists, has its kind, and the chain ends
            _definition(config, "", name)
    overlap = set(toy.get("systems", {})) & set(md_systems(config))
    if overlap:
        raise ConfigError(f"system names used by both toy and md: {sorted(overlap)}")
