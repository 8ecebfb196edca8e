"""What a checkpoint restart saves: an MD stage killed at ~50 % and rerun, against a full run.

    python benchmarks/restart.py [--system ala2-vacuum] [--stage biased] [--length-ps 5000]
                                 [--workdir /tmp/mdcv-restart] [--out results/benchmarks/restart.csv]

Runs the workflow (tests/configs/md_tiny.yaml, with the stage's length set to
``--length-ps`` and mdrun checkpoints every ``--checkpoint-s`` seconds) in ``--workdir``:

1. prerequisites (topology, minimization, equilibration, AWH) once, untimed;
2. full: the stage from scratch (its work directory removed), timed;
3. killed: the stage from scratch again, the whole Snakemake process group killed with
   SIGKILL as soon as mdrun's log shows a checkpoint at ``--kill-at`` × nsteps or later
   (no clean-up, like a node failure; the wait is bounded by 10 × the full time);
4. resumed: ``snakemake --unlock`` and the same command again, timed. The rule's
   declared outputs are remade (--rerun-incomplete), mdrun continues from the
   checkpoint in results/{system}/md/work/{stage} (``-cpi``), which Snakemake never
   deletes because it is not a declared output.

Times are wall seconds of the whole ``snakemake`` command (start-up, grompp, mdrun,
copies). The CSV row also gives the fraction of the run the checkpoint held when the
kill came (from "Writing checkpoint, step N" lines of mdrun's log against nsteps) and
whether the rule's log says it restarted. Timings on a shared machine are noisy: the
load average is recorded beside them.
"""

from __future__ import annotations

import argparse
import csv
import logging
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
log = logging.getLogger("restart")


def snakemake_cmd(workdir: Path, configs: list[Path], *args: str) -> list[str]:
    # --configfile takes several files: it comes last so that it cannot swallow targets.
    return [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "--directory",
            str(workdir), "--cores", "2", *args, "--configfile", *map(str, configs)]


def run(cmd: list[str], logfile: Path) -> float:
    """Run ``cmd`` to the end; wall seconds. Raises with the log's tail on failure."""
    t0 = time.perf_counter()
    with open(logfile, "a") as fh:
        proc = subprocess.run(cmd, cwd=ROOT, stdout=fh, stderr=subprocess.STDOUT)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        tail = "".join(logfile.read_text().splitlines(keepends=True)[-30:])
        raise RuntimeError(f"{' '.join(cmd)} failed (exit {proc.returncode}):\n{tail}")
    return wall


def run_and_kill(cmd: list[str], logfile: Path, md_work: Path, fraction: float,
                 timeout_s: float) -> float:
    """Start ``cmd`` in its own process group; SIGKILL the group once mdrun's log in
    ``md_work`` shows a checkpoint at ``fraction`` × nsteps or later. Wall seconds to the kill.
    """
    with open(logfile, "a") as fh:
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=fh, stderr=subprocess.STDOUT,
                                start_new_session=True)
    t0 = time.perf_counter()
    try:
        while True:
            step, nsteps = checkpoint_progress(md_work)
            if nsteps and step >= fraction * nsteps:
                break
            if proc.poll() is not None:
                raise RuntimeError(f"the run ended (exit {proc.returncode}) before a checkpoint "
                                   f"at {fraction:.0%} of its steps; raise --length-ps or lower "
                                   "--checkpoint-s")
            if time.perf_counter() - t0 > timeout_s:
                raise RuntimeError(f"no checkpoint at {fraction:.0%} of the steps within "
                                   f"{timeout_s:.0f} s; see {logfile}")
            time.sleep(0.1)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)  # also on failure: no mdrun left behind
        proc.wait()
    return time.perf_counter() - t0


def checkpoint_progress(workdir: Path) -> tuple[int, int]:
    """(last checkpointed step, nsteps) from mdrun's log in the stage's work directory."""
    text = (workdir / "md.log").read_text(errors="replace") if (workdir / "md.log").exists() else ""
    steps = [int(s) for s in re.findall(r"Writing checkpoint, step (\d+)", text)]
    nsteps = re.search(r"^\s*nsteps\s*=\s*(\d+)", text, re.M)
    return (steps[-1] if steps else 0), (int(nsteps.group(1)) if nsteps else 0)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--system", default="ala2-vacuum")
    ap.add_argument("--stage", default="biased")
    ap.add_argument("--length-ps", type=float, default=5000.0)
    ap.add_argument("--checkpoint-s", type=float, default=2.0)
    ap.add_argument("--kill-at", type=float, default=0.5)
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/mdcv-restart"))
    ap.add_argument("--out", type=Path, default=ROOT / "results" / "benchmarks" / "restart.csv")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")

    work = args.workdir.resolve()
    work.mkdir(parents=True, exist_ok=True)
    overlay = work / "restart.yaml"
    overlay.write_text(yaml.safe_dump({"md": {
        "checkpoint_minutes": args.checkpoint_s / 60.0,
        "systems": {args.system: {f"{args.stage}_ns": args.length_ps / 1000.0}}}}))
    configs = [ROOT / "tests" / "configs" / "md_tiny.yaml", overlay]
    stage_dir = f"results/{args.system}/md/{args.stage}"
    target = f"{stage_dir}/traj.xtc"
    md_work = work / f"results/{args.system}/md/work/{args.stage}"
    rule_log = work / f"results/logs/md/{args.system}/{args.stage}.log"
    logfile = work / "restart.snakemake.log"

    log.info("prerequisites of %s (untimed)", target)
    run(snakemake_cmd(work, configs, target, "--omit-from", target), logfile)

    def fresh():
        shutil.rmtree(md_work, ignore_errors=True)
        shutil.rmtree(work / stage_dir, ignore_errors=True)
        if rule_log.exists():
            rule_log.unlink()

    fresh()
    log.info("full run of %s", target)
    t_full = run(snakemake_cmd(work, configs, target), logfile)
    log.info("full: %.1f s", t_full)

    fresh()
    log.info("run again, kill at the first checkpoint past %.0f %% of the steps",
             100 * args.kill_at)
    t_killed = run_and_kill(snakemake_cmd(work, configs, target), logfile, md_work,
                            args.kill_at, timeout_s=10 * t_full + 60)
    ckpt_step, nsteps = checkpoint_progress(md_work)
    log.info("killed after %.1f s; checkpoint at step %d of %d", t_killed, ckpt_step, nsteps)

    run(snakemake_cmd(work, configs, "--unlock"), logfile)
    t_resume = run(snakemake_cmd(work, configs, target), logfile)
    resumed = "restarting from checkpoint" in rule_log.read_text(errors="replace")
    log.info("resumed: %.1f s (restart seen in the rule's log: %s)", t_resume, resumed)

    row = {
        "system": args.system, "stage": args.stage, "length_ps": args.length_ps,
        "checkpoint_s": args.checkpoint_s, "t_full_s": round(t_full, 2),
        "kill_after_s": round(t_killed, 2), "checkpoint_step": ckpt_step, "nsteps": nsteps,
        "checkpoint_fraction": round(ckpt_step / nsteps, 3) if nsteps else float("nan"),
        "t_resume_s": round(t_resume, 2),
        "t_killed_plus_resume_s": round(t_killed + t_resume, 2),
        "resume_vs_full": round(t_resume / t_full, 3), "resumed": resumed,
        "cpus": os.cpu_count(), "loadavg_1min": round(os.getloadavg()[0], 2),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    new = not args.out.exists()
    with open(args.out, "a", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(row))
        if new:
            writer.writeheader()
        writer.writerow(row)
    log.info("wrote %s: %s", args.out, row)
    if not resumed:
        raise SystemExit("the resumed run did not restart from the checkpoint")


if __name__ == "__main__":
    main()
