"""Figures of merit of the pipeline: loading a 1e5-frame alanine trajectory, end-to-end time.

Writes a synthetic 22-atom alanine-dipeptide trajectory (the built molecule of
:mod:`mdcv.md.molecule` plus Gaussian noise of 0.01 nm per coordinate, a 5 nm cubic box as in
the vacuum runs) as an xtc, unless ``--xtc``/``--top`` name a real one (e.g. the MD
engineer's results/ala2-vacuum/md/biased/traj.xtc), and times

- ``mdtraj_load``: ``mdtraj.load(xtc, top=...)``;
- ``featurize``: :func:`mdcv.md.features.featurize` (load, make whole, Kabsch alignment of
  all atoms, φ/ψ), what the pipeline's featurization rule runs;
- ``dataset_npz``: saving and loading the resulting dataset with :mod:`mdcv.data`.

The end-to-end time of the default study is copied from ``--study-time`` (a file with
the output of ``/usr/bin/time [-v] make study``) when given; otherwise the row says how
to measure it. Run with either environment::

    .venv/bin/python benchmarks/peers/pipeline.py --out results/benchmarks/pipeline.csv
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[2]


def synthetic_xtc(directory: Path, frames: int, seed: int) -> tuple[Path, Path]:
    import mdtraj as md

    from mdcv.md import molecule

    top = molecule.write_pdb(directory / "ala2.pdb")
    base = md.load(str(top))
    rng = np.random.default_rng(seed)
    xyz = base.xyz[0][None] + 0.01 * rng.standard_normal((frames, base.n_atoms, 3)).astype(np.float32)
    xyz += 2.5 - base.xyz[0].mean(axis=0)  # centred in the 5 nm box
    traj = md.Trajectory(xyz, base.topology, time=np.arange(frames, dtype=np.float32),
                         unitcell_lengths=np.full((frames, 3), 5.0, dtype=np.float32),
                         unitcell_angles=np.full((frames, 3), 90.0, dtype=np.float32))
    xtc = directory / "traj.xtc"
    traj.save_xtc(str(xtc))
    return xtc, top


def timed(fn, *args, **kwargs):
    t0 = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - t0


def study_row(path: str | None) -> dict:
    if path and Path(path).is_file():
        text = Path(path).read_text()
        # `/usr/bin/time -v` ("Elapsed (wall clock) time ...: 1:02:03"), plain ("...elapsed")
        # or bash's `time` ("real 47m12.300s")
        m = (re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([\d:.]+)", text)
             or re.search(r"([\d:.]+)elapsed", text))
        bash = re.search(r"^real\s+(\d+)m([\d.]+)s", text, re.M)
        clock = m.group(1) if m else f"{bash.group(1)}:{bash.group(2)}" if bash else None
        if clock:
            secs = sum(float(p) * 60**i for i, p in enumerate(reversed(clock.split(":"))))
            return {"benchmark": "study_end_to_end", "wall_s": secs, "note": f"from {path}"}
    return {"benchmark": "study_end_to_end", "wall_s": float("nan"),
            "note": "not measured here: run `/usr/bin/time -v make study 2> results/benchmarks/"
                    "study_time.txt` on an idle machine, then pass --study-time with that file"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=100_000)
    parser.add_argument("--xtc", help="a real trajectory instead of the synthetic one")
    parser.add_argument("--top", help="its topology (pdb/gro), with --xtc")
    parser.add_argument("--study-time", help="output of /usr/bin/time -v make study")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", default=str(ROOT / "results/benchmarks/pipeline.csv"))
    args = parser.parse_args()

    import mdtraj as md

    from mdcv import data
    from mdcv.md import features

    rows = []
    with tempfile.TemporaryDirectory(prefix="mdcv-load-") as tmp:
        tmp = Path(tmp)
        if args.xtc:
            xtc, top = Path(args.xtc), Path(args.top)
            source = f"{xtc}"
        else:
            (xtc, top), t_write = timed(synthetic_xtc, tmp, args.frames, 0)
            source = (f"synthetic 22-atom xtc ({xtc.stat().st_size / 2**20:.1f} MiB), "
                      f"written in {t_write:.1f} s")
        ref = features.reference_structure(str(top), str(top)) if top.suffix == ".gro" else None
        if ref is None:
            base = md.load(str(top)).xyz[0].astype(np.float64)
            ref = base - base.mean(axis=0)
        for rep in range(args.repeats):
            traj, t_load = timed(md.load, str(xtc), top=str(top))
            n = traj.n_frames
            del traj
            feats, t_feat = timed(features.featurize, [str(xtc)], str(top), ref, "all")
            ds = features.to_dataset(feats, kT=2.494)
            path = tmp / "dataset.npz"
            _, t_save = timed(data.save, ds, path)
            _, t_read = timed(data.load, path)
            for name, secs in (("mdtraj_load", t_load), ("featurize", t_feat),
                               ("dataset_npz_save", t_save), ("dataset_npz_load", t_read)):
                rows.append({"benchmark": name, "repeat": rep, "frames": n, "wall_s": secs,
                             "frames_per_s": n / secs, "note": source})
    rows.append(study_row(args.study_time))
    table = pd.DataFrame(rows)
    table["peak_mem_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    table["load_avg_1min"] = os.getloadavg()[0]
    table["mdtraj"] = md.__version__
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(out, index=False)
    summary = table.groupby("benchmark", sort=False)["wall_s"].median()
    print(summary.to_string())


if __name__ == "__main__":
    main()
