"""The one way a config is read: parse, merge, validate, fill defaults, check.

:func:`load` reads ``config/config.yaml`` under ``base_dir`` and the overlay files
given (as ``snakemake --configfile`` does) and hands the merged dict to
:func:`prepare`, which the workflow calls on the config Snakemake merged itself.
Both raise :class:`~mdcv.errors.ConfigError` with a one-line message naming the file,
line or key and the fix.

YAML syntax errors: Snakemake 9 parses every ``--configfile`` itself while it reads
its command line, before the Snakefile runs, and stops on a syntax error with the
one-line ``WorkflowError: Config file is not valid JSON or YAML`` (no traceback, but
neither file nor line). No workflow code runs earlier, so the workflow cannot name
them; ``mdcv check-config FILE ...`` parses with :func:`read_yaml` and names file and
line, and ``make study``, ``make paper`` and ``make experiment`` run it before
Snakemake. Errors found after parsing (schema, cross-key checks, user potentials) are
raised by :func:`prepare` in ``common.smk`` before any job starts.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from functools import reduce
from pathlib import Path
from urllib.parse import urlparse
from urllib.request import url2pathname

import jsonschema
import referencing
import yaml

from mdcv.config.checks import check
from mdcv.config.replicas import expand as expand_replicas
from mdcv.config.schema import CONFIG_SCHEMA, _cached_schema, apply_defaults
from mdcv.config.systems import deep_merge
from mdcv.errors import ConfigError

DEFAULT_CONFIG = Path("config") / "config.yaml"


def read_yaml(path: str | Path) -> dict:
    """One config file as a dict; a syntax error names the file and line."""
    try:
        text = Path(path).read_text()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the config file ({exc.strerror})") from None
    try:
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f" line {mark.line + 1}" if mark is not None else ""
        reason = exc.problem or exc.context or "syntax error"
        raise ConfigError(f"{path}{line}: could not parse YAML: {reason}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: could not parse YAML: {exc}") from None
    if not isinstance(data, dict):
        kind = "empty" if data is None else f"a {type(data).__name__}"
        raise ConfigError(f"{path}: a config file holds keys at its top level (key: value), "
                          f"this one is {kind}")
    return data


def merge_files(files: Iterable[str | Path], base_dir: str | Path = ".") -> dict:
    """``base_dir``/config/config.yaml with ``files`` merged on top, not yet validated.

    The overlays are merged with each other first, then over the embedded config, the
    order in which Snakemake merges ``--configfile`` files.
    """
    overlay = reduce(deep_merge, (read_yaml(f) for f in files), {})
    return deep_merge(read_yaml(Path(base_dir) / DEFAULT_CONFIG), overlay)


def _registry() -> referencing.Registry:
    def retrieve(uri: str) -> referencing.Resource:
        path = url2pathname(urlparse(uri).path)
        return referencing.Resource.from_contents(_cached_schema(path))

    return referencing.Registry(retrieve=retrieve)


def _filling_validator(schema: dict):
    """A Draft 2020-12 validator that sets the ``default`` of absent properties as it goes."""
    base = jsonschema.Draft202012Validator
    validate_properties = base.VALIDATORS["properties"]

    def set_defaults(validator, properties, instance, subschema):
        if isinstance(instance, dict):
            for name, sub in properties.items():
                if "default" in sub:
                    instance.setdefault(name, copy.deepcopy(sub["default"]))
        yield from validate_properties(validator, properties, instance, subschema)

    cls = jsonschema.validators.extend(base, {"properties": set_defaults})
    return cls(schema, registry=_registry())


def validate(config: dict, sources: str = "the config") -> dict:
    """Check ``config`` against the config schema, filling defaults in place.

    ``sources`` names the files in the error message.
    """
    schema = {**_cached_schema(str(CONFIG_SCHEMA)), "$id": CONFIG_SCHEMA.as_uri()}
    error = next(iter(_filling_validator(schema).iter_errors(config)), None)
    if error is not None:
        where = ".".join(str(p) for p in error.absolute_path) or "(top level)"
        raise ConfigError(f"config key {where}: {error.message}; fix it in {sources} "
                          f"(keys, types and defaults: mdcv/schemas/*.schema.yaml)")
    apply_defaults(config, CONFIG_SCHEMA)
    return config


def prepare(config: dict, base_dir: str | Path = ".", sources: str = "the config") -> dict:
    """Validate, fill defaults, expand seed replicas and check a merged config in place;
    return it.

    Learners with ``replicas: N`` gain their replicas here, before anything plans
    (:mod:`mdcv.config.replicas`). Relative paths in the config (user potential files)
    are taken from ``base_dir``.
    """
    validate(config, sources)
    expand_replicas(config)
    check(config, base_dir=base_dir)
    return config


def load(files: Iterable[str | Path] = (), base_dir: str | Path = ".") -> dict:
    """The study's config: ``base_dir``/config/config.yaml with ``files`` merged on top,
    validated, defaults filled and checked (see :func:`prepare`)."""
    files = list(files)
    config = merge_files(files, base_dir)
    sources = ", ".join(map(str, files)) or str(Path(base_dir) / DEFAULT_CONFIG)
    return prepare(config, base_dir, sources)
