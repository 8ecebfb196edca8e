"""Many short unbiased GROMACS runs from frames of the biased ensemble (MSM references).

``bd``: Brownian dynamics, ``integrator = bd`` with ``bd-fric = k_B T / D`` (amu/ps),
the overdamped dynamics with one diffusion constant D for every atom: exactly the
dynamics whose generator the ``uniform`` learner estimates. ``langevin``: the
physical (``sd``) dynamics of the production runs. Each run starts from one frame of
the biased run (:func:`spread_starts`), with fresh velocities where the
integrator has them, and saves the solute; the runs are featurized together into
one trajectory dataset (``traj`` = run id).

Vacuum only: the biased trajectory holds the solute alone, so water systems have no
complete start frames (and no cheap BD reference).
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from mdcv import data
from mdcv.errors import ConfigError, DataError
from mdcv.md import features, mdp, simulate
from mdcv.units import PS_PER_NS

log = logging.getLogger(__name__)
DYNAMICS = ("bd", "langevin")


def bd_friction(temperature: float, diffusion_nm2_per_ns: float) -> float:
    """GROMACS ``bd-fric`` (amu/ps) = k_B T / D: 2494 amu/ps for D = 1 nm²/ns at 300 K."""
    return mdp.kT(temperature) / (diffusion_nm2_per_ns / PS_PER_NS)


def run_settings(md_settings: Mapping, dynamics: str, reference: Mapping) -> dict:
    """The md settings of one reference run: integrator, time step, constraints, output.

    ``reference``: the ``alanine.reference`` config (``bd``/``langevin`` blocks with
    ``dt`` ps, ``constraints``, ``save_every_ps``; ``bd`` also ``diffusion_constant``).
    """
    if dynamics not in DYNAMICS:
        raise ConfigError(f"reference dynamics must be one of {list(DYNAMICS)}, got {dynamics!r}")
    block = reference[dynamics]
    out = dict(md_settings)
    out.update(dt=block["dt"], constraints=block["constraints"], save_every_ps=block["save_every_ps"],
               energy_every_ps=block["save_every_ps"], name=f"{md_settings['name']}-{dynamics}")
    if dynamics == "bd":
        out.update(integrator="bd",
                   bd_fric=bd_friction(md_settings["temperature"], block["diffusion_constant"]))
    else:
        out.update(integrator="sd", bd_fric=0.0)
    return out


def spread_starts(phi, psi, n_runs: int, bins: int, rng: np.random.Generator) -> np.ndarray:
    """Indices of ``n_runs`` frames spread evenly over the occupied cells of a (φ, ψ) grid.

    Cells (``bins`` per angle) are visited round-robin: each occupied cell gives one
    frame (at random) before any gives a second, so the barrier region, rare in the
    data, starts as many runs as a basin. Vectorized: a random rank within each cell.
    """
    phi, psi = np.asarray(phi), np.asarray(psi)
    if len(phi) < n_runs:
        raise DataError(f"{n_runs} start frames asked from a dataset of {len(phi)} frames")
    edges = np.linspace(-np.pi, np.pi, bins + 1)
    cell = (np.clip(np.digitize(phi, edges) - 1, 0, bins - 1) * bins
            + np.clip(np.digitize(psi, edges) - 1, 0, bins - 1))
    perm = rng.permutation(len(phi))
    order = perm[np.argsort(cell[perm], kind="stable")]
    sorted_cell = cell[order]
    first = np.searchsorted(sorted_cell, sorted_cell, side="left")
    rank = np.arange(len(order)) - first  # rank of each frame within its cell
    pick = order[np.lexsort((rng.random(len(order)), rank))][:n_runs]
    return np.sort(pick)


def start_frames(dataset: data.Dataset, n_runs: int, bins: int, seed: int) -> np.ndarray:
    """Dataset indices of the start frames, spread over the (φ, ψ) cells."""
    if dataset.get("phi") is None:
        raise DataError("start frames need 'phi' and 'psi' in the biased dataset")
    rng = np.random.default_rng(seed)
    return spread_starts(dataset["phi"], dataset["psi"], n_runs, bins, rng)


def write_start_structures(xtc, solute_pdb, template_gro, times_ps, outdir) -> list[Path]:
    """One .gro per start time (ps), cut from the biased trajectory ``xtc``.

    Names, residues and box come from ``template_gro`` (the system's topology .gro, so
    grompp sees the topology's atom names); positions (nm) from the frame.
    """
    import mdtraj as md

    traj = md.load(str(xtc), top=str(solute_pdb))
    idx = np.searchsorted(traj.time, np.asarray(times_ps) - 1e-3)
    if np.any(idx >= traj.n_frames) or np.any(np.abs(traj.time[idx] - times_ps) > 1e-2):
        raise DataError(f"{xtc}: some start times are not frames of the trajectory")
    lines = Path(template_gro).read_text().splitlines()
    n_atoms = int(lines[1])
    if n_atoms != traj.n_atoms:
        raise DataError(f"{template_gro} has {n_atoms} atoms, {xtc} {traj.n_atoms}: vacuum systems only")
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    paths = []
    for run, frame in enumerate(idx):  # one file per run (tens to hundreds), not per frame
        xyz = traj.xyz[int(frame)]
        atoms = [line[:20] + "".join(f"{v:8.3f}" for v in xyz[i])
                 for i, line in enumerate(lines[2:2 + n_atoms])]
        path = outdir / f"start{run}.gro"
        path.write_text("\n".join([f"start {run} t={traj.time[frame]:g} ps", lines[1], *atoms,
                                   lines[2 + n_atoms]]) + "\n")
        paths.append(path)
    return paths


def simulate_runs(settings: Mapping, starts: list, length_ps: float, template_dir, top, index,
                  workdir) -> list[Path]:
    """Run one unbiased simulation from each start structure; returns their xtc files.

    Each run has its own work directory, gmx log (``gmx.log`` there) and seed (``run``
    number); ``settings["threads"]`` runs go at once, one gmx thread each (a 22-atom
    system gains nothing from more threads per run). A finished run is not redone when
    its ``run.json`` stamp (start structure, length, settings) matches; a run left from
    other settings (a changed run count, length or integrator) is simulated again. A
    finished run keeps its trajectory, final structure, tpr, mdp and gmx log; its mdrun
    directory (``md``: checkpoint, energies, a second copy of the trajectory, ~60 % of
    the run's bytes) is removed: a 20 ps shooting run keeps ~245 kB of ~705 kB, so the
    paper config's ~13,000 shooting runs take ~3.2 GB, not ~9.3.
    """
    from concurrent.futures import ThreadPoolExecutor

    workdir = Path(workdir)
    workers = max(1, int(settings.get("threads") or 1))
    one = {**settings, "threads": 1}

    def simulate_one(run: int, gro) -> Path:
        rundir = workdir / f"run{run}"
        rundir.mkdir(parents=True, exist_ok=True)
        xtc, scratch = rundir / "traj.xtc", rundir / "md"
        stamp = run_stamp(one, gro, length_ps, run)
        if not (xtc.exists() and _read_stamp(rundir) == stamp):
            xtc.unlink(missing_ok=True)
            outputs = {"xtc": str(xtc), "gro": str(rundir / "confout.gro")}
            simulate.dynamics(one, "unbiased", length_ps, template_dir, gro, top, index,
                              rundir / "topol.tpr", scratch, rundir / "gmx.log", outputs,
                              run=run)
            (rundir / "run.json").write_text(json.dumps(stamp, sort_keys=True))
            shutil.rmtree(scratch, ignore_errors=True)
            log.info("reference run %d finished (%s)", run, rundir)
        return xtc

    with ThreadPoolExecutor(max_workers=workers) as pool:  # threads wait on gmx processes
        futures = [pool.submit(simulate_one, run, gro) for run, gro in enumerate(starts)]
        return [f.result() for f in futures]


def run_stamp(settings: Mapping, start_gro, length_ps: float, run: int) -> dict:
    """What makes a reference run what it is: start structure digest, length, settings."""
    return {"start_sha256": hashlib.sha256(Path(start_gro).read_bytes()).hexdigest(),
            "length_ps": float(length_ps), "run": int(run),
            "settings": json.loads(json.dumps(dict(settings), sort_keys=True, default=str))}


def _read_stamp(rundir: Path) -> dict | None:
    try:
        return json.loads((rundir / "run.json").read_text())
    except (OSError, ValueError):
        return None


def runs_dataset(xtcs, solute_pdb, reference, atoms: str, temperature: float, start_phi,
                 start_psi, biased: data.Dataset, bins: int) -> data.Dataset:
    """Featurized runs; each run weighted so that the start ensemble approximates μ.

    The starts are spread evenly over (φ, ψ) cells, not drawn from μ; a run started in
    cell c gets the weight π_μ(c) / (fraction of starts in c), π_μ(c) the reweighted
    biased population of c (the cell resolution of ``bins`` per angle).
    """
    feats = features.featurize(list(map(str, xtcs)), str(solute_pdb), reference, atoms)
    edges = np.linspace(-np.pi, np.pi, bins + 1)

    def cells(phi, psi):
        return (np.clip(np.digitize(phi, edges) - 1, 0, bins - 1) * bins
                + np.clip(np.digitize(psi, edges) - 1, 0, bins - 1))

    pop = np.bincount(cells(biased["phi"], biased["psi"]), weights=biased.w, minlength=bins * bins)
    start_cells = cells(np.asarray(start_phi), np.asarray(start_psi))
    frac = np.bincount(start_cells, minlength=bins * bins) / len(start_cells)
    run_w = pop[start_cells] / pop.sum() / frac[start_cells]
    ds = features.to_dataset(feats, mdp.kT(temperature))
    ds.w = data.normalized_weights(run_w[ds.traj])
    return ds


def make_runs(biased_file, xtc, solute_pdb, template_gro, reference_gro, top, index, template_dir,
              md_settings: Mapping, reference: Mapping, dynamics: str, atoms: str, seed: int,
              workdir, output) -> data.Dataset:
    """The whole reference-run step: pick starts, simulate, featurize, save ``output``.

    ``md_settings``: the system's merged md settings (as for its unbiased stage);
    ``reference``: the ``alanine.reference`` config; ``md_settings["threads"]`` runs go at
    once (:func:`simulate_runs`). The dataset also stores the start
    frames' dataset indices (``start_index``) and the dynamics (``integrator``).
    """
    biased = data.load(biased_file)
    block = reference[dynamics]
    idx = start_frames(biased, int(block["runs"]), int(reference["start_bins"]), seed)
    starts = write_start_structures(xtc, solute_pdb, template_gro, biased.t[idx],
                                    Path(workdir) / "starts")
    settings = run_settings(md_settings, dynamics, reference)
    xtcs = simulate_runs(settings, starts, 1000.0 * float(block["length_ns"]), template_dir, top,
                         index, workdir)
    ref = features.reference_structure(reference_gro, solute_pdb)
    ds = runs_dataset(xtcs, solute_pdb, ref, atoms, md_settings["temperature"], biased["phi"][idx],
                      biased["psi"][idx], biased, int(reference["start_bins"]))
    ds.extra.update(start_index=idx, integrator=np.array(settings["integrator"]),
                    bd_fric=np.float64(settings["bd_fric"]))
    data.save(ds, output)
    return ds


def shooting_starts(biased: data.Dataset, max_starts: int, seed: int, cores=None) -> np.ndarray:
    """Dataset indices of the shooting starts: frames between the φ cores (at most
    ``max_starts``, drawn uniformly without replacement, so the reweighting still holds;
    none, with a warning, when the biased data never left the cores). ``cores``: see
    :func:`mdcv.reference.cores.phi_cores`."""
    from mdcv.reference.cores import phi_cores

    if biased.get("phi") is None:
        raise DataError("committor shooting needs 'phi' in the biased dataset")
    between = np.flatnonzero(phi_cores(biased["phi"], cores) < 0)
    if len(between) == 0:
        log.warning("no biased frame lies between the φ cores: the bias did not reach the "
                    "barrier, so committor shooting has no start; run the biased stage longer")
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(between, size=min(int(max_starts), len(between)), replace=False))


def run_phi(xtcs, solute_pdb) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """φ (radians, :func:`mdcv.md.features.dihedrals`, as in the datasets), run id and time
    since the start (ps) of every frame of the runs."""
    phi, run, t = [], [], []
    for r, xtc in enumerate(xtcs):  # one load per run file
        traj = features.load_solute(str(xtc), str(solute_pdb))
        phi.append(features.dihedrals(traj)[0])
        run.append(np.full(traj.n_frames, r))
        t.append(traj.time - traj.time[0])
    return np.concatenate(phi), np.concatenate(run), np.concatenate(t)


def make_shooting_runs(biased_file, xtc, solute_pdb, template_gro, top, index, template_dir,
                       md_settings: Mapping, reference: Mapping, seed: int, workdir,
                       output) -> dict:
    """Committor shooting with the BD reference dynamics (:mod:`mdcv.reference.shooting`).

    ``runs_per_start`` Brownian-dynamics runs of ``length_ps`` from each of up to
    ``max_starts`` biased frames between the φ ``cores`` (``alanine.reference.shooting``),
    saved every ``save_every_ps``; each run has its own seed (its run number). Saves
    ``output`` (npz): ``start_index`` (biased-dataset indices), ``runs_per_start`` and
    per frame ``phi`` (radians), ``run`` and ``t`` (ps since the run's start).
    """
    biased = data.load(biased_file)
    block = reference["shooting"]
    idx = shooting_starts(biased, int(block["max_starts"]), seed, block["cores"])
    starts = write_start_structures(xtc, solute_pdb, template_gro, biased.t[idx],
                                    Path(workdir) / "starts")
    k = int(block["runs_per_start"])
    settings = run_settings(md_settings, "bd", reference)
    length_ps = float(block["length_ps"])
    settings.update(save_every_ps=float(block["save_every_ps"]), energy_every_ps=length_ps,
                    name=f"{md_settings['name']}-bd-shooting")
    xtcs = simulate_runs(settings, [g for g in starts for _ in range(k)], length_ps, template_dir,
                         top, index, workdir)
    phi, run, t = run_phi(xtcs, solute_pdb) if xtcs else (np.empty(0), np.empty(0), np.empty(0))
    out = {"start_index": idx, "runs_per_start": np.int64(k), "phi": phi.astype(np.float32),
           "run": run.astype(np.int32), "t": t.astype(np.float32),
           "save_every_ps": np.float64(block["save_every_ps"])}
    np.savez_compressed(output, **out)
    return out
