"""The config schemas (package data in ``mdcv/schemas``): loading, ``$ref``, defaults.

The schemas check types, ranges and unknown keys and hold every default. Section files
(``toy``, ``learners``, ``md``, ``alanine``) are referenced from ``config.schema.yaml``
by relative ``$ref``; :func:`apply_defaults` follows those references, so a left-out
key takes its default at any depth. Pure Python (no torch).
"""

from __future__ import annotations

import copy
from functools import cache
from pathlib import Path

import yaml

from mdcv.errors import ConfigError

SCHEMA_DIR = Path(__file__).resolve().parents[1] / "schemas"
CONFIG_SCHEMA = SCHEMA_DIR / "config.schema.yaml"


def load_schema(path: str | Path) -> dict:
    """A schema file as a dict (a fresh copy: callers may fill it in)."""
    return copy.deepcopy(_cached_schema(str(Path(path).resolve())))


@cache
def _cached_schema(path: str) -> dict:
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
            root, base = _cached_schema(str(path)), path.parent
        target = root
        for part in [p for p in pointer.split("/") if p]:
            target = target[part]
        node = {**target, **siblings}
    return node, root, base


def apply_defaults(instance: dict, schema_path: str | Path = CONFIG_SCHEMA) -> dict:
    """Fill the ``default`` of every absent property, following ``$ref`` across files.

    Entries under ``additionalProperties`` (per-system overrides) are left partial on
    purpose: they are merged over the section defaults later.
    """
    schema_path = Path(schema_path).resolve()
    root = _cached_schema(str(schema_path))

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


def _learner_schema() -> dict:
    return _cached_schema(str(SCHEMA_DIR / "learners.schema.yaml"))


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
    out = {}
    for key, node in learner_kind_schema(kind)["properties"].items():
        node, _, _ = _resolve_ref(node, schema, SCHEMA_DIR)
        if "default" in node:
            out[key] = copy.deepcopy(node["default"])
    return out
