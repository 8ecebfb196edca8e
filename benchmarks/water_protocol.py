"""The water protocol by measurement: results/benchmarks/water_protocol.csv.

Three kinds of rows (column ``kind``):

- ``throughput``: ns/day of ``ala2-water`` variants (box, heavy hydrogens, constraints,
  time step), each built with mdcv's own functions from config/config.yaml's settings
  plus the variant's, minimized, then ``--ps`` ps of NVT with one thread. The variants
  take turns for ``--repeats`` rounds so that the machine's load hits each alike;
  ``ns_per_day`` is the median round's, mdrun's own figure (wall clock),
  ``ns_per_cpu_day`` the same length over mdrun's CPU time: the speed on an idle core.
- ``awh``: a scratch run of the workflow's real rules for ``ala2-water`` (``--runs DIR
  ...``, each made by ``snakemake results/tables/reweighting_check.csv --directory DIR
  --configfile config/config.yaml DIR/overlay.yaml``): at each AWH output time t, the
  AWH PMF at t/2 against the one at t (max and rms |ΔF| in kT over the 24 × 24 bins
  below ``md.reweighting.awh_max_kJ_mol``, :mod:`mdcv.md.convergence`); a run still
  going counts up to its last output.
- ``run``: once that run's biased data are featurized: the fraction of biased frames at
  φ > 0 (no weights), mdrun's ns/day and the reweighting check.

The load average at the start is recorded: on a busy machine ns/day are lower bounds.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/water_protocol.py [--ps 10] [--repeats 2]
        [--variants d1.0_dt2 ...] [--runs /tmp/waterA ...] [--reuse-throughput]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from mdcv import config as mc
from mdcv import data
from mdcv.md import convergence, gromacs, mdp, molecule, topology
from mdcv.md.settings import system_settings

ROOT = Path(__file__).resolve().parents[1]
MDP_DIR = ROOT / "workflow" / "mdp"
OUT = ROOT / "results" / "benchmarks" / "water_protocol.csv"
SYSTEM = "ala2-water"
LIGHT = {"heavy_hydrogens": False, "constraints": "h-bonds", "dt": 0.002}
HEAVY = {"heavy_hydrogens": True, "constraints": "all-bonds", "dt": 0.004}
VARIANTS = {
    "d1.0_dt2": {"box_distance": 1.0, **LIGHT},
    "d0.8_dt2": {"box_distance": 0.8, **LIGHT},
    "d1.0_dt4_heavyh": {"box_distance": 1.0, **HEAVY},
    "d0.8_dt4_heavyh": {"box_distance": 0.8, **HEAVY},
}


def build(work: Path, settings: dict) -> None:
    """The water system of ``settings``, minimized: conf.gro, topol.top, index.ndx."""
    molecule.write_pdb(work / "ala2.pdb")
    topology.build_system(work / "ala2.pdb", work / "raw.gro", work / "topol.top",
                          work / "build.log", settings)
    topology.write_index(work / "index.ndx", topology.count_atoms(work / "raw.gro"))
    (work / "em.mdp").write_text(mdp.em_mdp(settings, MDP_DIR))
    gromacs.grompp(work / "em.mdp", work / "raw.gro", work / "topol.top", work / "em.tpr",
                   work / "build.log", index=work / "index.ndx")
    subprocess.run(["gmx", "-quiet", "mdrun", "-s", "em.tpr", "-deffnm", "em", "-nt", "1",
                    "-c", "conf.gro"], cwd=work, check=True, capture_output=True)


def nvt(work: Path, settings: dict, length_ps: float, round_: int) -> tuple[float, float]:
    """grompp + mdrun (one thread) of ``length_ps`` ps of NVT: mdrun's ns/day (wall) and
    ns per day of mdrun's CPU time (user + system), which the machine's load leaves
    nearly unchanged: the speed on an idle core."""
    d = work / f"nvt{round_}"
    d.mkdir(exist_ok=True)
    (d / "run.mdp").write_text(mdp.dynamics_mdp(settings, "nvt", length_ps, MDP_DIR))
    gromacs.grompp(d / "run.mdp", work / "conf.gro", work / "topol.top", d / "run.tpr",
                   d / "grompp.log", index=work / "index.ndx")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(["gmx", "-quiet", "mdrun", "-s", "run.tpr", "-nt", "1"], cwd=d, check=True,
                   capture_output=True, env={**os.environ, "OMP_NUM_THREADS": "1"})
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_s = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return gromacs.performance(d / "md.log"), length_ps / 1000.0 / (cpu_s / 86400.0)


def throughput(names: list[str], length_ps: float, repeats: int) -> list[dict]:
    """One ``throughput`` row per variant."""
    base = system_settings(mc.load([], ROOT), SYSTEM)
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="water_protocol_") as tmp:
        works, speeds, cpu = {}, {name: [] for name in names}, {name: [] for name in names}
        for name in names:
            works[name] = Path(tmp) / name
            works[name].mkdir()
            build(works[name], {**base, **VARIANTS[name]})
        for r in range(repeats):
            for name in names:
                wall, per_cpu = nvt(works[name], {**base, **VARIANTS[name]}, length_ps, r)
                speeds[name].append(wall)
                cpu[name].append(per_cpu)
        atoms = {name: topology.count_atoms(works[name] / "conf.gro") for name in names}
    return [{"kind": "throughput", "case": name, **VARIANTS[name], "atoms": atoms[name],
             "ns_per_day": float(np.median(speeds[name])), "ns_per_day_min": min(speeds[name]),
             "ns_per_day_max": max(speeds[name]), "ns_per_cpu_day": float(np.median(cpu[name])),
             "nvt_ps": length_ps, "threads": 1, "load_avg_1min": load}
            for name in names]


def awh_files(work: Path) -> tuple[Path, Path, Path]:
    """edr, tpr and md.log of the AWH run: the finished run's, else the running one's."""
    done = work / "awh"
    if (done / "ener.edr").exists():
        return done / "ener.edr", done / "topol.tpr", done / "md.log"
    live = work / "work" / "awh"
    return live / "md.edr", live / "md.tpr", live / "md.log"


def simulated_ps(md_log: Path) -> float:
    """Time (ps) of the last step an mdrun log reports."""
    lines = md_log.read_text(errors="replace").splitlines()
    times = [float(lines[i + 1].split()[1]) for i, line in enumerate(lines[:-1])
             if line.split() == ["Step", "Time"]]
    return times[-1] if times else 0.0


def run_rows(directory: Path) -> list[dict]:
    """``awh`` rows of a scratch workflow directory: the AWH PMF at t/2 against t at each
    AWH output time t (a run still going counts up to its last output), and, once the
    biased run is featurized, one ``run`` row: fraction at φ > 0, reweighting check."""
    overlay = directory / "overlay.yaml"
    cfg = mc.load([overlay], ROOT)
    s = system_settings(cfg, SYSTEM)
    results = directory / "results"
    work = results / SYSTEM / "md"
    rw = cfg["md"]["reweighting"]
    kT = mdp.kT(s["temperature"])
    common = {"case": directory.name, "box_distance": s["box_distance"],
              "heavy_hydrogens": s["heavy_hydrogens"], "constraints": s["constraints"],
              "dt": s["dt"], "awh_force_constant": s["awh"]["force_constant"],
              "awh_error_init": s["awh"]["error_init"], "awh_diffusion": s["awh"]["diffusion"],
              "awh_ns": s["awh_ns"], "biased_ns": s["biased_ns"],
              "atoms": topology.count_atoms(work / "topology" / "conf.gro")}
    edr, tpr, md_log = awh_files(work)
    every = s["awh"]["output_every"]
    reached = np.floor(simulated_ps(md_log) / every + 1e-9) * every
    rows = []
    with tempfile.TemporaryDirectory(prefix="water_halves_") as tmp:
        for t in np.arange(2 * every, reached + every / 2, every):
            row = convergence.halves_row(SYSTEM, edr, tpr, tmp, Path(tmp) / "awh.log", float(t),
                                         rw["bins"], kT, rw["awh_max_kJ_mol"])
            rows.append({"kind": "awh", **common, "t_ns": t / 1000.0,
                         "awh_half_max_dF_kT": row["max_abs_dF_kT"],
                         "awh_half_rms_dF_kT": row["rms_dF_kT"],
                         "awh_half_bins": row["bins_compared"]})
    biased = results / SYSTEM / "dataset" / "biased.npz"
    table = results / "tables" / "reweighting_check.csv"
    if biased.exists() and table.exists():
        ds = data.load(biased)
        check = pd.read_csv(table).set_index("system").loc[SYSTEM]
        rows.append({"kind": "run", **common, "frames": ds.n,
                     "fraction_phi_positive": float(np.mean(ds["phi"] > 0)),
                     "ns_per_day_awh": gromacs.performance(work / "awh" / "md.log"),
                     "ns_per_day_biased": gromacs.performance(work / "biased" / "md.log"),
                     **{f"rw_{k}": check[k] for k in ("bins_populated", "max_abs_dF_kT",
                                                      "rms_dF_kT", "ess_fraction")}})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ps", type=float, default=10.0, help="NVT length per round (ps)")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--variants", nargs="*", default=list(VARIANTS), choices=list(VARIANTS))
    parser.add_argument("--runs", nargs="*", type=Path, default=[])
    parser.add_argument("--reuse-throughput", action="store_true",
                        help="keep the throughput rows of the existing --out file, measure none")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    if args.reuse_throughput:
        old = pd.read_csv(args.out)
        rows = old[old["kind"] == "throughput"].dropna(axis=1, how="all").to_dict("records")
    else:
        rows = throughput(args.variants, args.ps, args.repeats) if args.variants else []
    rows += [row for d in args.runs for row in run_rows(d)]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    table = pd.DataFrame(rows)
    table.to_csv(args.out, index=False, float_format="%.4g")
    print(table.to_string(index=False))


if __name__ == "__main__":
    main()
