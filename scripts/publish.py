"""Publish a finished run: ``python scripts/publish.py RUN [--force]``.

RUN is ``default`` (the study in results/) or the name of an experiment
(config/experiments/RUN.yaml, run in results/experiments/RUN/). Its summary, the CSVs
it shows, provenance.json and the key figures go to docs/results/RUN/.
"""

import argparse
import sys
from pathlib import Path

from mdcv.errors import MdcvError
from mdcv.workflow.publish import publish

ROOT = Path(__file__).resolve().parents[1]


def run_results(run: str) -> Path:
    """The results folder of a run: results/, or results/experiments/RUN/results/."""
    if run == "default":
        return ROOT / "results"
    if not (ROOT / "config" / "experiments" / f"{run}.yaml").is_file():
        names = sorted(p.stem for p in (ROOT / "config" / "experiments").glob("*.yaml"))
        raise MdcvError(f"no run named {run!r}: use 'default' or one of {names}")
    return ROOT / "results" / "experiments" / run / "results"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run")
    parser.add_argument("--force", action="store_true", help="replace an existing snapshot")
    args = parser.parse_args(argv)
    try:
        results = run_results(args.run)
        files = publish(results / "summary", results / "figures", ROOT / "docs" / "results" / args.run,
                        force=args.force)
    except MdcvError as exc:
        print(f"publish: error: {exc}", file=sys.stderr)
        return 2
    print(f"published {len(files)} files to docs/results/{args.run}/; commit them")
    return 0


if __name__ == "__main__":
    sys.exit(main())
