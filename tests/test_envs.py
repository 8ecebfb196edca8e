"""Static checks of the per-rule conda environments (envs/*.yaml).

`snakemake --sdm conda --conda-create-envs-only` cannot run on the test machines (no
conda, no conda channels), so the environments are checked without building them:

Checked here
- every env file parses, lists conda-forge + nodefaults and only `name =version` pins
  (the one exception: `cuda-version`, a driver-compatibility constraint given as a range);
- every `conda:` directive of every rule points at an env file that exists (the training
  rule's `envs/{train_env}.yaml` for every value the config schema allows), and every
  env file is used by some rule;
- every Python package pinned in an env has the version of requirements.lock, the
  versions the tests run with (conda-forge names mapped to PyPI names, post-releases
  compared by base version), so a local run and a `--sdm conda` run use the same software;
- packages without a PyPI twin (python, gromacs, cuda-version) against the table below;
- every third-party package a rule's script imports, directly or through the mdcv
  modules it imports (followed in src/, function-level imports included), is in that
  rule's env (import names mapped to conda-forge names).

Not checked here
- imports made dynamically (importlib, user potentials loaded by path) and packages a
  dependency pulls in implicitly;
- that conda-forge really carries each pinned version and that an env solves: that
  needs conda and the network (`snakemake --sdm conda --conda-create-envs-only`, or
  `conda env create --dry-run -f envs/X.yaml`, on a machine with conda);
- requirements.lock itself was resolved by pip from PyPI, so each version there exists
  on PyPI (checked with `pip index versions` when the lock was written).
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
ENVS = sorted((ROOT / "envs").glob("*.yaml"))
RULES_DIR = ROOT / "workflow" / "rules"

#: conda-forge package -> PyPI distribution, where they differ.
CONDA_TO_PYPI = {"pytorch": "torch", "matplotlib-base": "matplotlib", "pyyaml": "PyYAML"}
#: Packages with no PyPI twin: the versions they may take (checked by hand, 2026-11).
NON_PYPI = {
    "python": {"3.11"},          # minor version; conda picks the patch release
    "gromacs": {"2022.5"},       # the GROMACS of Debian bookworm (apt), same as the local setup
}
#: Constraints, not packages: a range is allowed.
RANGES = {"cuda-version"}
PIN = re.compile(r"^(?P<name>[A-Za-z0-9_.-]+) *=(?P<version>[0-9][0-9A-Za-z.]*)(?:=(?P<build>\S+))?$")


def lock() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if "==" in line:
            name, version = line.split("==", 1)
            pins[name.lower()] = version
    return pins


def base_version(version: str) -> str:
    """1.11.1.post2 -> 1.11.1; 2.13.0+cpu -> 2.13.0."""
    return re.sub(r"(\.post\d+)?(\+.*)?$", "", version)


def load(path: Path) -> dict:
    return yaml.safe_load(path.read_text())


@pytest.mark.parametrize("path", ENVS, ids=lambda p: p.name)
def test_env_file_parses_and_pins_every_package(path):
    env = load(path)
    assert env["channels"] == ["conda-forge", "nodefaults"], path.name
    deps = env["dependencies"]
    assert deps and all(isinstance(d, str) for d in deps), f"{path.name}: pip sections are not used"
    names = []
    for dep in deps:
        name = re.split(r"[ =<>]", dep, maxsplit=1)[0]
        names.append(name)
        if name in RANGES:
            assert re.search(r"[<>]=?", dep), f"{path.name}: {dep!r} should be a range"
            continue
        assert PIN.match(dep), f"{path.name}: {dep!r} is not pinned as 'name =version'"
    assert len(names) == len(set(names)), f"{path.name}: a package is listed twice"


@pytest.mark.parametrize("path", ENVS, ids=lambda p: p.name)
def test_pinned_versions_are_real_and_match_the_lock(path):
    pins = lock()
    for dep in load(path)["dependencies"]:
        match = PIN.match(dep)
        if match is None:
            continue  # ranges, checked above
        name, version = match["name"], match["version"]
        if name in NON_PYPI:
            assert version in NON_PYPI[name], f"{path.name}: {dep!r}: known {NON_PYPI[name]}"
            continue
        pypi = CONDA_TO_PYPI.get(name, name).lower()
        assert pypi in pins, f"{path.name}: {name} (PyPI {pypi}) is not in requirements.lock"
        assert version == base_version(pins[pypi]), (
            f"{path.name}: {name} ={version}, requirements.lock has {pypi}=={pins[pypi]}")


def conda_paths() -> dict[str, set[Path]]:
    """env file -> rules using it, from the `conda:` directives of workflow/rules/*.smk.

    A directive is a string literal or a module-level name bound to one (GROMACS_ENV =
    "..."); an f-string over config['train_env'] (the training rules' env) is expanded
    over the values the config schema allows.
    """
    schema = load(ROOT / "src" / "mdcv" / "schemas" / "config.schema.yaml")
    train_envs = schema["properties"]["train_env"]["enum"]
    used: dict[str, set[Path]] = {}
    names = {}  # the .smk files share one namespace (the Snakefile includes them)
    for smk in sorted(RULES_DIR.glob("*.smk")):
        names.update(re.findall(r'^([A-Z_]+) = (f?"[^"]+")', smk.read_text(), re.M))
    for smk in sorted(RULES_DIR.glob("*.smk")):
        text = smk.read_text()
        rule = None
        lines = text.splitlines()
        for i, line in enumerate(lines):
            head = re.match(r"^rule (\w+):", line)
            if head:
                rule = head.group(1)
            if line.strip() != "conda:":
                continue
            value = lines[i + 1].split("#", 1)[0].strip()
            value = names.get(value, value)
            if value.startswith('f"') and "{config['train_env']}" in value:
                candidates = [value[2:-1].replace("{config['train_env']}", e) for e in train_envs]
            elif value.startswith('"'):
                candidates = [value.strip('"')]
            else:
                raise AssertionError(f"{smk.name}: rule {rule}: cannot read conda: {value!r}")
            for rel in candidates:
                used.setdefault(f"{smk.name}:{rule}", set()).add((smk.parent / rel).resolve())
    return used


def test_every_conda_directive_points_at_an_env_file():
    used = conda_paths()
    assert len(used) >= 10, used
    for rule, paths in used.items():
        for path in paths:
            assert path.is_file(), f"{rule}: conda env {path} does not exist"
            assert path.parent == (ROOT / "envs").resolve(), f"{rule}: {path} is outside envs/"


def test_every_env_file_is_used():
    used = set().union(*conda_paths().values())
    for path in ENVS:
        assert path.resolve() in used, f"{path.name} is used by no rule"


def test_gpu_env_differs_from_ml_only_in_the_torch_build():
    ml = {re.split(r"[ =]", d, maxsplit=1)[0]: d for d in load(ROOT / "envs" / "ml.yaml")["dependencies"]}
    gpu = {re.split(r"[ =]", d, maxsplit=1)[0]: d
           for d in load(ROOT / "envs" / "ml-gpu.yaml")["dependencies"]}
    assert set(gpu) - set(ml) == {"cuda-version"}
    assert set(ml) == set(gpu) - {"cuda-version"}
    for name in ml:
        if name == "pytorch":
            assert PIN.match(gpu[name])["build"] == "cuda*"
            assert PIN.match(gpu[name])["version"] == PIN.match(ml[name])["version"]
        else:
            assert ml[name] == gpu[name], name


# --- what each rule's script imports must be in its env ---------------------------------

#: import name -> conda-forge package, where they differ.
IMPORT_TO_CONDA = {"torch": "pytorch", "yaml": "pyyaml", "matplotlib": "matplotlib-base"}


def _imports(path: Path) -> set[str]:
    """Absolute imports anywhere in a module (function-level ones included)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
            if node.module.split(".")[0] == "mdcv":
                found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def third_party_imports(script: Path) -> dict[str, list[str]]:
    """Third-party top-level packages a script needs, following mdcv imports into src/.

    Returns package -> the chain of files that leads to it (for the error message).
    """
    src = ROOT / "src"
    chains: dict[Path, list[str]] = {script: [script.name]}
    todo, needed = [script], {}
    while todo:
        path = todo.pop()
        for name in _imports(path):
            parts = name.split(".")
            if parts[0] == "mdcv":
                for i in range(1, len(parts) + 1):
                    for cand in (src.joinpath(*parts[:i]).with_suffix(".py"),
                                 src.joinpath(*parts[:i], "__init__.py")):
                        if cand.is_file() and cand not in chains:
                            chains[cand] = [*chains[path], str(cand.relative_to(src))]
                            todo.append(cand)
            elif parts[0] not in sys.stdlib_module_names:
                needed.setdefault(parts[0], chains[path])
    return needed


def rule_scripts() -> list[tuple[str, Path]]:
    out = []
    for smk in sorted(RULES_DIR.glob("*.smk")):
        text = smk.read_text()
        for match in re.finditer(r"^rule (\w+):\n((?:[ \t]+.*\n|\n)*)", text, re.M):
            script = re.search(r'^\s+script:\n\s+"([^"]+)"', match.group(2), re.M)
            if script:
                out.append((f"{smk.name}:{match.group(1)}", (smk.parent / script.group(1)).resolve()))
    return out


@pytest.mark.parametrize("rule,script", rule_scripts(), ids=[r for r, _ in rule_scripts()])
def test_rule_env_holds_every_package_its_script_imports(rule, script):
    """A rule run with --sdm conda gets only its env: what its script imports must be there."""
    envs = conda_paths()[rule]
    needed = third_party_imports(script)
    for env in envs:
        have = {re.split(r"[ =<>]", d, maxsplit=1)[0] for d in load(env)["dependencies"]}
        missing = {IMPORT_TO_CONDA.get(pkg, pkg): chain for pkg, chain in needed.items()
                   if IMPORT_TO_CONDA.get(pkg, pkg) not in have}
        assert not missing, "\n".join(
            f"{rule}: {env.name} lacks {pkg} (imported via {' -> '.join(chain)})"
            for pkg, chain in missing.items())
