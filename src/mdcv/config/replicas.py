"""Seed replicas: ``replicas: N`` on a learner trains N copies that differ only in name.

:func:`expand` runs once per config, in :func:`mdcv.config.prepare`, before anything
plans: learner ``X`` with ``replicas: N`` (N > 1) gains the learners ``X-r2`` … ``X-rN``,
each ``{kind: <X's kind>, like: X}``, and every list of learner names that trains ``X``
(``toy.learners``, ``toy.systems.<s>.learners``, ``alanine.learners.<system>``,
``alanine.transfer``) trains them right after it. ``X`` keeps its name, so its outputs
and seeds stay those of a single run; each replica's name enters its seeds
(:func:`mdcv.seeds.derive`), so the replicas draw independent streams.

Per-system overrides: a replica is ``like: X``, so it starts from X's settings on that
system, X's ``training`` override included; an override under the replica's own name
(``training.X-r2``) applies on top of that, to that replica alone. ``replicas`` itself
is set once, under ``learners.X``; it is not a training setting and never reaches a
learner's settings.
"""

from __future__ import annotations

from mdcv.errors import ConfigError


def replica_names(name: str, replicas: int) -> list[str]:
    """The names of learner ``name``'s replicas besides itself: ``name-r2`` … ``name-rN``."""
    return [f"{name}-r{i}" for i in range(2, int(replicas) + 1)]


def _expand_list(names: list, added: dict[str, list[str]]) -> list:
    out = []
    for name in names:
        out += [name, *added.get(name, [])]
    return list(dict.fromkeys(out))


def _reject_per_system(config: dict) -> None:
    for section in ("toy", "md"):
        for system, entry in ((config.get(section) or {}).get("systems") or {}).items():
            for learner, override in ((entry or {}).get("training") or {}).items():
                if isinstance(override, dict) and "replicas" in override:
                    raise ConfigError(
                        f"{section}.systems.{system}.training.{learner}.replicas: replicas are "
                        f"set once, under learners.{learner} (the replicas train wherever "
                        f"{learner!r} trains); remove the key here")


def expand(config: dict) -> dict:
    """Add each learner's replicas to ``learners`` and to every list that trains it, in place.

    Raises :class:`ConfigError` when a replica's name is already a learner's. Running it
    again changes nothing (``replicas`` is consumed).
    """
    _reject_per_system(config)
    learners = config.get("learners") or {}
    added: dict[str, list[str]] = {}
    for name, entry in list(learners.items()):
        replicas = entry.pop("replicas", 1)
        for replica in replica_names(name, replicas):
            if replica in learners:
                raise ConfigError(
                    f"learners.{name}: replicas: {replicas} names the replicas "
                    f"{', '.join(replica_names(name, replicas))}, but {replica!r} is already "
                    f"defined under 'learners:'; remove learners.{replica} (the replica takes "
                    f"its place) or rename it")
        if replicas > 1:
            added[name] = replica_names(name, replicas)
    for name, replicas in added.items():
        for replica in replicas:
            learners[replica] = {"kind": learners[name]["kind"], "like": name}
    if not added:
        return config
    toy = config.get("toy") or {}
    if "learners" in toy:
        toy["learners"] = _expand_list(toy["learners"], added)
    for entry in (toy.get("systems") or {}).values():
        if entry and "learners" in entry:
            entry["learners"] = _expand_list(entry["learners"], added)
    alanine = config.get("alanine") or {}
    for system, names in (alanine.get("learners") or {}).items():
        alanine["learners"][system] = _expand_list(names, added)
    if "transfer" in alanine:
        alanine["transfer"] = _expand_list(alanine["transfer"], added)
    return config
