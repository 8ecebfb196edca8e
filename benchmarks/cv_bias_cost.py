"""Cost of a learned CV in GROMACS: ns/day of vacuum alanine with and without the CV's
pull coordinates: results/benchmarks/cv_bias_cost.csv.

Cases, each the study's dynamics of ``ala2-vacuum`` (config/config.yaml: integrator,
step, cut-off) from the same minimized structure, one thread:

- ``no_pull``: the production stage without any pull code;
- ``phi_psi_awh``: the study's 2D AWH on (φ, ψ) (workflow/mdp/awh.mdp);
- ``cv_awh``: AWH along a CV on sin/cos of the six default dihedrals, 12 → 8 → 8 → 1
  tanh (scratch layout: 6 dihedral + 8 scratch coordinates below the CV's), the loop's
  AWH run (:func:`mdcv.md.cvround.awh_mdp`);
- ``cv_bias``: the same CV recorded, plus the fixed bias along it as one more
  constant-force coordinate, the loop's production run
  (:func:`mdcv.md.cvround.production_mdp`).

The network's weights are random (a seeded init, calibrated on built frames): the cost
does not depend on their values. The cases take turns, ``--repeats`` rounds of
``--steps`` steps, so that the machine's load hits every case alike; ``ns_per_day`` is
the median round's, mdrun's own figure. The load average at the start is recorded:
numbers from a busy machine are lower bounds.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/cv_bias_cost.py [--steps 1000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from mdcv import config as mc
from mdcv.learn.models import EigenfunctionModel
from mdcv.md import cvbias, cvround, dihedrals, gromacs, mdp, molecule, pullcv, topology
from mdcv.md.settings import system_settings

ROOT = Path(__file__).resolve().parents[1]
MDP_DIR = ROOT / "workflow" / "mdp"
OUT = ROOT / "results" / "benchmarks" / "cv_bias_cost.csv"


def cv_network(seed: int = 0):
    """A 12-8-8-1 tanh CV on the six default dihedrals, and the dihedrals of 300 frames."""
    torch.manual_seed(seed)
    names, quads = dihedrals.resolve(None)
    pre = dihedrals.DihedralFeatures(quads, len(molecule.ATOMS), names)
    model = EigenfunctionModel(pre.out_dim, 1, [8, 8], "tanh", "separate", True, pre=pre).double()
    rng = np.random.default_rng(seed)
    xyz = np.stack([molecule.build_coordinates(p, s) for p, s in rng.uniform(-180, 180, (300, 2))])
    x = torch.as_tensor(xyz.reshape(len(xyz), -1))
    model.calibrate(x, torch.ones(len(x), dtype=torch.float64))
    with torch.no_grad():
        theta = pre.angles(x).numpy()
    return pullcv.from_model(model), theta


def build(work: Path, settings: dict) -> None:
    """The vacuum system, minimized: conf.gro, topol.top, base.ndx in ``work``."""
    molecule.write_pdb(work / "ala2.pdb")
    topology.build_system(work / "ala2.pdb", work / "raw.gro", work / "topol.top",
                          work / "build.log", settings)
    topology.write_index(work / "base.ndx", topology.count_atoms(work / "raw.gro"))
    (work / "em.mdp").write_text(mdp.em_mdp(settings, MDP_DIR))
    gromacs.grompp(work / "em.mdp", work / "raw.gro", work / "topol.top", work / "em.tpr",
                   work / "build.log", index=work / "base.ndx")
    subprocess.run(["gmx", "-quiet", "mdrun", "-s", "em.tpr", "-deffnm", "em", "-nt", "1",
                    "-c", "conf.gro"], cwd=work, check=True, capture_output=True)


def cases(work: Path, settings: dict, length_ps: float) -> dict[str, tuple[str, Path, dict]]:
    """Case name → (mdp text, index file, details)."""
    cv, theta = cv_network()
    base = work / "base.ndx"
    out = {"no_pull": (mdp.dynamics_mdp(settings, "biased", length_ps, MDP_DIR), base,
                       {"pull_coords": 0, "expression_chars": 0}),
           "phi_psi_awh": (mdp.dynamics_mdp(settings, "awh", length_ps, MDP_DIR), base,
                           {"pull_coords": 2, "expression_chars": 0})}
    text, block = cvround.awh_mdp(settings, MDP_DIR, cv, theta, np.ones(len(theta)), length_ps,
                                  round_=1, layout="scratch")
    block.write_index(base, work / "cv.ndx")
    out["cv_awh"] = (text, work / "cv.ndx", {"pull_coords": block.cv_coords[-1],
                                             "expression_chars": len(block.expressions[0])})
    aw = cvround.awh_settings(cv, theta, np.ones(len(theta)), settings, round_=1)
    xi = np.linspace(aw["start"][0], aw["end"][0], 101)
    mid, half = (xi[0] + xi[-1]) / 2, (xi[-1] - xi[0]) / 2
    pmf = cvbias.CvPmf(xi, 30 * (((xi - mid) / half) ** 2 - 0.5) ** 2)  # a double well
    bias = cvbias.fit(pmf)
    text, block = cvround.production_mdp(settings, MDP_DIR, cv, bias, length_ps, round_=1,
                                         layout="scratch")
    out["cv_bias"] = (text, work / "cv.ndx", {
        "pull_coords": block.bias_coord,
        "expression_chars": len(block.expressions[0]) + len(bias.expression(block.cv_coords[0]))})
    return out


def run(work: Path, name: str, text: str, index: Path) -> float:
    """grompp + mdrun (one thread) of ``text``; mdrun's ns/day."""
    d = work / name
    d.mkdir(exist_ok=True)
    (d / "run.mdp").write_text(text)
    gromacs.grompp(d / "run.mdp", work / "conf.gro", work / "topol.top", d / "run.tpr",
                   d / "grompp.log", index=index)
    subprocess.run(["gmx", "-quiet", "mdrun", "-s", "run.tpr", "-nt", "1"], cwd=d, check=True,
                   capture_output=True, env={**os.environ, "OMP_NUM_THREADS": "1"})
    return gromacs.performance(d / "md.log")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    settings = system_settings(mc.load([], ROOT), "ala2-vacuum")
    length_ps = args.steps * settings["dt"]
    load = os.getloadavg()[0]
    version = subprocess.run(["gmx", "-quiet", "--version"], capture_output=True, text=True).stdout
    version = re.search(r"GROMACS version:\s*(\S+)", version).group(1)
    with tempfile.TemporaryDirectory(prefix="cv_bias_cost_") as tmp:
        work = Path(tmp)
        build(work, settings)
        todo = cases(work, settings, length_ps)
        speeds = {name: [] for name in todo}
        for _ in range(args.repeats):
            for name, (text, index, _) in todo.items():
                speeds[name].append(run(work, name, text, index))
    rows = [{"case": name, "ns_per_day": float(np.median(speeds[name])),
             "ns_per_day_min": min(speeds[name]), "ns_per_day_max": max(speeds[name]),
             **details, "steps": args.steps, "repeats": args.repeats, "threads": 1,
             "load_avg_1min": load, "gromacs": version}
            for name, (_, _, details) in todo.items()]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    table = pd.DataFrame(rows)
    table.to_csv(args.out, index=False, float_format="%.4g")
    print(table.to_string(index=False))


if __name__ == "__main__":
    main()
