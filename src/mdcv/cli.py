"""Command line: ``mdcv check-config`` and ``mdcv spectrum`` (no Snakemake needed).

- ``mdcv check-config [FILE ...]``: validate config/config.yaml merged with FILEs
  (like ``snakemake --configfile FILE``; YAML errors name file and line, user
  potentials are imported) and print the merged settings of every learner
  of every toy and MD system (per-system overrides applied).
- ``mdcv spectrum SYSTEM [--grid N N] [--n-eigen K]``: the exact eigenvalues of a toy
  system of the config (built-in or user potential) on a grid.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from mdcv import config as mc
from mdcv.errors import MdcvError

# The project root of a source checkout; from an installed package, the current directory
# (it must hold config/config.yaml) or --directory.
ROOT = next((p for p in (Path(__file__).resolve().parents[2], Path.cwd())
             if (p / "config" / "config.yaml").is_file()), Path.cwd())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="mdcv", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p_check = sub.add_parser("check-config", help="validate the config (and extra config files)")
    p_check.add_argument("files", nargs="*")
    p_check.add_argument("--directory", "-d", type=Path, default=ROOT,
                         help="project root: holds config/config.yaml (default: %(default)s)")
    p_spec = sub.add_parser("spectrum", help="exact grid eigenvalues of a toy system")
    p_spec.add_argument("system")
    p_spec.add_argument("--configfile", action="append", default=[])
    p_spec.add_argument("--grid", nargs=2, type=int)
    p_spec.add_argument("--n-eigen", type=int, default=4)
    p_spec.add_argument("--directory", "-d", type=Path, default=ROOT,
                        help="project root: holds config/config.yaml (default: %(default)s)")
    args = parser.parse_args(argv)
    try:
        if args.command == "check-config":
            from mdcv.workflow.targets import trainings

            cfg = mc.load(args.files, args.directory)
            out: dict[str, dict] = {}
            for system, name in trainings(cfg):
                out.setdefault(system, {})[name] = mc.learner_settings(cfg, system, name)
            print(json.dumps({"toy_systems": mc.toy_systems(cfg), "md_systems": mc.md_systems(cfg),
                              "learners": out}, indent=1))
        else:
            from mdcv.toy.potentials import load_potential
            from mdcv.toy.reference import compute_spectrum

            cfg = mc.load(args.configfile, args.directory)
            system = mc.toy_settings(cfg, args.system)
            grid = tuple(args.grid or system["reference"]["grid"])
            spec = compute_spectrum(load_potential(system["potential"], args.directory), system["beta"],
                                    system["box"], grid, args.n_eigen)
            for i, lam in enumerate(spec.eigenvalues):
                print(f"lambda_{i} = {lam:.8g}")
    except (MdcvError, OSError) as exc:
        print(f"mdcv: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
