"""The study's configuration: one loader, the schemas' defaults, per-system settings.

- :func:`load` (files, base_dir): ``config/config.yaml`` with overlay files merged on
  top, parsed (YAML errors name file and line), validated against
  ``mdcv/schemas/config.schema.yaml``, defaults filled across the section schemas,
  cross-key checks run (user potentials import, files exist).
- Seed replicas (:mod:`mdcv.config.replicas`): a learner's ``replicas: N`` becomes the
  learners ``<name>-r2`` … ``<name>-rN`` (``like: <name>``), trained wherever it is.
- :func:`prepare` (config, base_dir): the same on an already merged dict (what
  ``common.smk`` receives from Snakemake).
- Accessors for the settings of a toy system, an MD system's learners and a learner on
  a system, all merging per-system overrides with :func:`deep_merge`.

Pure Python (no torch unless a user potential needs it), so the Snakefile imports it.
"""

from mdcv.config.checks import BUILTIN_POTENTIALS, check, check_potential
from mdcv.config.loader import load, merge_files, prepare, read_yaml, validate
from mdcv.config.replicas import expand as expand_replicas
from mdcv.config.replicas import replica_names
from mdcv.config.schema import (
    CONFIG_SCHEMA,
    SCHEMA_DIR,
    apply_defaults,
    learner_defaults,
    learner_kind_schema,
    load_schema,
)
from mdcv.config.systems import (
    deep_merge,
    learner_definition,
    learner_settings,
    md_systems,
    system_overrides,
    toy_learners,
    toy_settings,
    toy_step_settings,
    toy_systems,
)
from mdcv.errors import ConfigError

__all__ = [
    "BUILTIN_POTENTIALS", "CONFIG_SCHEMA", "SCHEMA_DIR", "ConfigError",
    "apply_defaults", "check", "check_potential", "deep_merge", "expand_replicas",
    "learner_defaults",
    "learner_definition", "learner_kind_schema", "learner_settings", "load", "load_schema",
    "md_systems", "merge_files", "prepare", "read_yaml", "replica_names", "system_overrides",
    "toy_learners", "toy_settings", "toy_step_settings", "toy_systems", "validate",
]
