"""The ``gmx`` command line: the only module of mdcv that starts GROMACS.

Each function runs one ``gmx`` tool with :func:`run`, which appends the command and
its output to a log file and raises :class:`~mdcv.errors.GromacsError` naming the
command and that log when the tool is missing or fails. A site whose GROMACS has
gmxapi can replace these few functions without touching the rest of mdcv.

:func:`mdrun` restarts from the checkpoint in its work directory (``-cpi``); the work
directory is keyed on the run's inputs, so changed inputs start afresh.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Sequence
from pathlib import Path

from mdcv.errors import GromacsError

log = logging.getLogger(__name__)

#: Environment variable that names the gmx executable (default ``gmx``).
GMX_ENV = "MDCV_GMX"
_TAIL = 15


def executable() -> str:
    """Full path of the gmx executable (``$MDCV_GMX`` or ``gmx`` on PATH)."""
    name = os.environ.get(GMX_ENV, "gmx")
    path = shutil.which(name)
    if path is None:
        raise GromacsError(
            f"GROMACS executable {name!r} not found on PATH; install GROMACS 2022 "
            f"(Debian: apt-get install gromacs; conda: envs/gromacs.yaml) or set ${GMX_ENV}"
        )
    return path


def run(args: Sequence[str | os.PathLike], logfile: str | os.PathLike, cwd=None,
        stdin: str | None = None, pass_fds: Sequence[int] = (),
        env: dict[str, str] | None = None) -> int:
    """Run ``gmx *args``; append command and output to ``logfile``; raise on failure.

    ``env``: variables set for gmx on top of the current environment.
    SIGTERM and SIGINT received meanwhile are passed on to gmx (mdrun then writes a
    checkpoint and stops) and raise :class:`GromacsError` once it has exited.
    """
    logfile = Path(logfile).resolve()
    logfile.parent.mkdir(parents=True, exist_ok=True)
    cmd = [executable(), "-quiet", *map(str, args)]
    shown = "gmx " + " ".join(map(str, args))
    log.info("running %s (in %s)", shown, cwd or ".")
    start = time.perf_counter()
    received = []
    with open(logfile, "a") as fh:
        fh.write(f"\n$ {shown}\n")
        fh.flush()
        proc = subprocess.Popen(cmd, cwd=cwd, stdin=subprocess.PIPE if stdin else None,
                                text=True, stdout=fh, stderr=subprocess.STDOUT,
                                pass_fds=tuple(pass_fds),
                                env={**os.environ, "GMX_MAXBACKUP": "-1", **(env or {})})

        def forward(signum, _frame):
            received.append(signum)
            proc.send_signal(signum)

        handlers = _install({signal.SIGTERM: forward, signal.SIGINT: forward})
        try:
            proc.communicate(stdin)
        finally:
            _install(handlers)
    if received:
        raise GromacsError(f"`{shown}` interrupted by signal {received[0]}; it was passed on "
                           f"(mdrun writes its checkpoint); see the log {str(logfile)!r}")
    if proc.returncode != 0:
        tail = "".join(logfile.read_text(errors="replace").splitlines(True)[-_TAIL:])
        raise GromacsError(
            f"`{shown}` failed with exit code {proc.returncode}; see the log {str(logfile)!r}"
            f"\n--- last lines of the log ---\n{tail}"
        )
    log.info("finished %s in %.1f s", args[0], time.perf_counter() - start)
    return proc.returncode


def _install(handlers: dict) -> dict:
    """Set signal handlers (main thread only; elsewhere a no-op); return the old ones."""
    if threading.current_thread() is not threading.main_thread():
        return {}
    return {sig: signal.signal(sig, handler) for sig, handler in handlers.items()}


def pdb2gmx(pdb, gro, top, logfile, forcefield: str, water: str, cwd,
            heavy_hydrogens: bool = False) -> None:
    """Topology and coordinates of a protein PDB (``water='none'`` for vacuum);
    ``heavy_hydrogens``: ``-heavyh`` (hydrogens of 4 amu, total mass kept)."""
    known = forcefields()
    if known and forcefield not in known:
        raise GromacsError(
            f"unknown force field {forcefield!r}; this GROMACS knows {sorted(known)} "
            f"(log: {str(logfile)!r})"
        )
    run(["pdb2gmx", "-f", Path(pdb).resolve(), "-o", Path(gro).name, "-p", Path(top).name,
         "-ff", forcefield, "-water", water, "-noignh", *(["-heavyh"] if heavy_hydrogens else [])],
        logfile, cwd=cwd)


def forcefields() -> set[str]:
    """Force fields in the GROMACS data directory (empty when it cannot be found)."""
    top = os.environ.get("GMXDATA")
    roots = [Path(top) / "top"] if top else []
    gmx = Path(executable()).resolve()
    roots += [gmx.parents[1] / "share" / "gromacs" / "top"]
    for root in roots:
        if root.is_dir():
            return {p.name.removesuffix(".ff") for p in root.glob("*.ff")}
    return set()


def editconf(gro_in, gro_out, logfile, box: Sequence[float] | None = None,
             distance: float | None = None, box_type: str = "cubic", cwd=None) -> None:
    """Centre the system in a box: edge lengths ``box`` (nm) or solute-box ``distance``."""
    args = ["editconf", "-f", gro_in, "-o", gro_out, "-c", "-bt", box_type]
    if box is not None:
        args += ["-box", *box]
    if distance is not None:
        args += ["-d", distance]
    run(args, logfile, cwd=cwd)


def solvate(gro_in, gro_out, top, logfile, water_box: str = "spc216.gro", cwd=None) -> None:
    """Fill the box with water; ``top`` gets the water count."""
    run(["solvate", "-cp", gro_in, "-cs", water_box, "-o", gro_out, "-p", top], logfile, cwd=cwd)


def grompp(mdp, gro, top, tpr, logfile, index=None, checkpoint=None, maxwarn: int = 0,
           cwd=None) -> None:
    """Preprocess a run: mdp + coordinates + topology (+ index, + velocities) to a .tpr."""
    mdout = Path(tpr).with_suffix(".mdout.mdp")
    args = ["grompp", "-f", mdp, "-c", gro, "-r", gro, "-p", top, "-o", tpr, "-po", mdout,
            "-maxwarn", maxwarn]
    if index is not None:
        args += ["-n", index]
    if checkpoint is not None:
        args += ["-t", checkpoint]
    run(args, logfile, cwd=cwd)


def fingerprint(*paths) -> str:
    """Hex digest of the bytes of several files (``None`` entries are skipped)."""
    h = hashlib.sha256()
    for path in paths:
        if path is None:
            continue
        with open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
        h.update(b"\0")
    return h.hexdigest()


def prepare_workdir(tpr, workdir, key: str | None = None) -> Path:
    """Work directory of a run; emptied when it holds a run of different inputs.

    ``key`` identifies the run's inputs (default: the bytes of ``tpr``). grompp output is
    not bit-for-bit reproducible, so callers pass a key made of the grompp inputs; a
    matching work directory keeps its own ``md.tpr``, the one its checkpoint belongs to.
    """
    workdir = Path(workdir)
    stamp = workdir / "inputs.sha256"
    key = key or fingerprint(tpr)
    if workdir.exists() and (not stamp.exists() or stamp.read_text().strip() != key):
        log.warning("work directory %s belongs to other run inputs; starting afresh", workdir)
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    if not stamp.exists() or not (workdir / "md.tpr").exists():
        shutil.copyfile(tpr, workdir / "md.tpr")
        stamp.write_text(key + "\n")
    elif (workdir / "md.cpt").exists():
        log.info("restarting from checkpoint %s", workdir / "md.cpt")
    return workdir


def mdrun(tpr, workdir, logfile, threads: int = 1, checkpoint_minutes: float = 5.0,
          extra: Sequence[str] = (), key: str | None = None) -> dict[str, Path]:
    """Run (or continue, ``-cpi``) the simulation of ``tpr`` in ``workdir``.

    ``key`` identifies the inputs (see :func:`prepare_workdir`). Returns the paths of the
    run's files by extension (``gro``, ``edr``, ``xtc``, ``log``, ``cpt``), of those
    that exist. ``threads`` is the total thread count (``-nt``); one thread is fastest
    for the 22-atom vacuum system.
    """
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    with open(workdir.parent / f".{workdir.name}.lock", "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise GromacsError(
                f"{workdir} is in use by another mdrun (an earlier job's, still running?); "
                f"wait for it or end it, then rerun (log: {str(logfile)!r})") from None
        workdir = prepare_workdir(tpr, workdir, key)
        # gmx inherits the locked file, so the lock lasts as long as mdrun does
        run(["mdrun", "-s", "md.tpr", "-deffnm", "md", "-cpi", "md.cpt", "-cpt",
             checkpoint_minutes, "-nt", threads, *extra], logfile, cwd=workdir,
            pass_fds=(lock.fileno(),),
            # one rank × ``threads`` OpenMP threads; an inherited OMP_NUM_THREADS (Snakemake
            # sets the job's thread count) that differs from -nt is a fatal gmx error
            env={"OMP_NUM_THREADS": str(threads)})
    names = {"gro": "md.gro", "edr": "md.edr", "xtc": "md.xtc", "log": "md.log",
             "cpt": "md.cpt"}
    return {k: workdir / v for k, v in names.items() if (workdir / v).exists()}


def awh_pmf(edr, tpr, xvg, logfile, cwd=None, time: float | None = None,
            also: dict | None = None) -> Path:
    """Write the last AWH PMF in ``edr`` to ``xvg`` (``gmx awh``); returns the file written.

    ``gmx awh`` writes one file per AWH output frame, named after the time; the one of
    the last frame (or of the frame closest to ``time``, ps) is moved to ``xvg``.
    ``also`` maps further paths to times (ps): the frames closest to them are copied there.
    """
    xvg = Path(xvg).resolve()
    tmp = xvg.parent / f"{xvg.stem}.frames"
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    run(["awh", "-f", Path(edr).resolve(), "-s", Path(tpr).resolve(), "-o", "awh.xvg"],
        logfile, cwd=tmp)
    frames = sorted(tmp.glob("awh_t*.xvg"), key=lambda p: float(p.stem.split("_t")[-1]))
    if not frames:
        raise GromacsError(f"gmx awh wrote no PMF for {edr}; see the log {str(logfile)!r}")
    def closest(t: float) -> Path:
        return min(frames, key=lambda p: abs(float(p.stem.split("_t")[-1]) - t))

    for path, t in (also or {}).items():
        shutil.copyfile(closest(t), path)
    shutil.move(frames[-1] if time is None else closest(time), xvg)
    shutil.rmtree(tmp)
    return xvg


def performance(md_log) -> float | None:
    """Speed in ns/day from the ``Performance:`` line of an mdrun log (None if absent)."""
    for line in reversed(Path(md_log).read_text(errors="replace").splitlines()):
        if line.startswith("Performance:"):
            return float(line.split()[1])
    return None
