"""MD throughput (ns/day) of the workflow against the same mdp run by hand with gmx mdrun.

Run after the workflow has made the production runs (``snakemake -c2 md_all``):

    python benchmarks/md_throughput.py [--results results] [--stage biased]

For each system it reads the workflow's rule benchmark (results/benchmarks/rules/
md_dynamics/{system}_{stage}.tsv: wall time of the whole rule, grompp, mdrun, copies and Python start
included) and mdrun's own ns/day from the run's md.log, then runs the rule's rendered mdp
by hand in a scratch directory (``gmx grompp`` + ``gmx mdrun -nt <threads>``, the same
inputs and thread count) and times it. Writes results/benchmarks/md_throughput.csv.
Wall times depend on the machine's load; CPU times (the rule's ``cpu_time`` from its
benchmark file, mdrun's from getrusage) show the workflow's overhead even on a busy machine.
"""

from __future__ import annotations

import argparse
import logging
import re
import resource
import subprocess
import tempfile
import time
from pathlib import Path

import pandas as pd

log = logging.getLogger("md_throughput")


def mdp_value(mdp: Path, key: str) -> str:
    """Value of ``key`` in a rendered mdp file."""
    match = re.search(rf"^{re.escape(key)}\s*=\s*(\S+)", mdp.read_text(), flags=re.M)
    if match is None:
        raise KeyError(f"{mdp}: no {key!r}")
    return match.group(1)


def performance(md_log: Path) -> float:
    """ns/day reported by mdrun on its ``Performance:`` line."""
    for line in reversed(md_log.read_text().splitlines()):
        if line.startswith("Performance:"):
            return float(line.split()[1])
    return float("nan")


def mdrun_threads(md_log: Path) -> int:
    """Threads the workflow's mdrun used (MPI ranks × OpenMP threads) from its log."""
    text = md_log.read_text()
    ranks = re.search(r"Using (\d+) MPI thread", text)
    omp = re.search(r"Using (\d+) OpenMP thread", text)
    return (int(ranks.group(1)) if ranks else 1) * (int(omp.group(1)) if omp else 1)


def by_hand(mdp: Path, gro: Path, top: Path, index: Path, cpt: Path | None, threads: int):
    """grompp + mdrun of ``mdp`` in a scratch directory.

    Returns (mdrun wall s, mdrun CPU s, mdrun's own ns/day).
    """
    mdp, gro, top, index = (p.resolve() for p in (mdp, gro, top, index))
    cpt = cpt.resolve() if cpt is not None else None
    with tempfile.TemporaryDirectory(prefix="md_throughput_") as tmp:
        grompp = ["gmx", "-quiet", "grompp", "-f", str(mdp), "-c", str(gro), "-r", str(gro),
                  "-p", str(top), "-n", str(index), "-o", "topol.tpr"]
        if cpt is not None:
            grompp += ["-t", str(cpt)]
        subprocess.run(grompp, cwd=tmp, check=True, capture_output=True)
        start = time.perf_counter()
        cpu0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run(["gmx", "-quiet", "mdrun", "-s", "topol.tpr", "-nt", str(threads)],
                       cwd=tmp, check=True, capture_output=True)
        cpu1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        wall = time.perf_counter() - start
        cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
        return wall, cpu, performance(Path(tmp) / "md.log")


def measure(results: Path, system: str, stage: str) -> dict:
    run = results / system / "md" / stage
    mdp = run / "topol.mdp"
    topo = results / system / "md" / "topology"
    equil = "npt" if (results / system / "md" / "npt" / "confout.gro").exists() else "nvt"
    start = results / system / "md" / equil
    fresh = stage.startswith("unbiased")
    top = topo / ("topol_biased.top" if stage == "biased" else "topol.top")
    ns = int(mdp_value(mdp, "nsteps")) * float(mdp_value(mdp, "dt")) / 1000.0
    threads = mdrun_threads(run / "md.log")
    bench = pd.read_csv(results / "benchmarks" / "rules" / "md_dynamics" / f"{system}_{stage}.tsv", sep="\t")
    rule_s = float(bench["s"].iloc[-1])
    rule_cpu = float(bench["cpu_time"].iloc[-1])
    log.info("%s %s: %.3g ns, by hand on %d thread(s) ...", system, stage, ns, threads)
    hand_s, hand_cpu, hand_perf = by_hand(mdp, start / "confout.gro", top, topo / "index.ndx",
                                None if fresh else start / "state.cpt", threads)
    return {
        "system": system, "stage": stage, "ns": ns, "threads": threads,
        "workflow_rule_wall_s": rule_s,
        "workflow_ns_per_day": ns / rule_s * 86400,
        "workflow_mdrun_ns_per_day": performance(run / "md.log"),
        "workflow_rule_cpu_s": rule_cpu,
        "hand_mdrun_wall_s": hand_s,
        "hand_ns_per_day": ns / hand_s * 86400,
        "hand_mdrun_ns_per_day": hand_perf,
        "hand_mdrun_cpu_s": hand_cpu,
        "overhead_wall_pct": 100.0 * (rule_s - hand_s) / hand_s,
        "overhead_cpu_pct": 100.0 * (rule_cpu - hand_cpu) / hand_cpu,
    }


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, default=Path("results"))
    parser.add_argument("--systems", nargs="+", default=["ala2-vacuum", "ala2-water"])
    parser.add_argument("--stage", default="biased", help="workflow stage to compare")
    parser.add_argument("--out", type=Path, default=None,
                        help="CSV (default <results>/benchmarks/md_throughput.csv)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    rows = [measure(args.results, system, args.stage) for system in args.systems]
    out = args.out or args.results / "benchmarks" / "md_throughput.csv"
    out.parent.mkdir(parents=True, exist_ok=True)
    table = pd.DataFrame(rows)
    table.to_csv(out, index=False, float_format="%.4g")
    log.info("wrote %s\n%s", out, table.to_string(index=False))


if __name__ == "__main__":
    main()
