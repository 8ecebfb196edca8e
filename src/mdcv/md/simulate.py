"""One simulation stage end to end: render the mdp, ``grompp``, ``mdrun`` with restart, copy.

The run itself lives in a work directory that the workflow does not declare as output,
so a failed or killed job keeps its checkpoint and the rerun continues from it
(:func:`mdcv.md.gromacs.mdrun`). Finished files are then copied to the declared outputs.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Mapping
from pathlib import Path

from mdcv.md import gromacs, mdp

log = logging.getLogger(__name__)


def _copy_outputs(files: Mapping[str, Path], outputs: Mapping[str, str]) -> None:
    for key, target in outputs.items():
        if key not in files:
            raise FileNotFoundError(f"mdrun wrote no .{key} file in {files.get('log', '?')}")
        Path(target).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(files[key], target)


def minimize(settings: Mapping, template_dir, gro, top, index, tpr, workdir, logfile,
             outputs: Mapping[str, str]) -> None:
    """Energy minimization; ``outputs`` maps ``gro``/``edr``/``log`` to target paths."""
    mdp_file = Path(tpr).with_suffix(".mdp")
    mdp_file.parent.mkdir(parents=True, exist_ok=True)
    mdp_file.write_text(mdp.em_mdp(settings, template_dir))
    gromacs.grompp(mdp_file, gro, top, tpr, logfile, index=index)
    files = gromacs.mdrun(tpr, workdir, logfile, threads=settings["threads"],
                          checkpoint_minutes=settings["checkpoint_minutes"],
                          key=gromacs.fingerprint(mdp_file, gro, top, index))
    _copy_outputs(files, outputs)


def dynamics(settings: Mapping, stage: str, length_ps: float, template_dir, gro, top, index,
             tpr, workdir, logfile, outputs: Mapping[str, str], checkpoint=None,
             run: int = 0) -> float | None:
    """One dynamics stage (``nvt``, ``npt``, ``awh``, ``biased``, ``unbiased``); ns/day.

    ``checkpoint`` (the previous stage's .cpt) continues its velocities and box; the
    ``nvt`` and ``unbiased`` stages draw fresh velocities instead.
    """
    text = mdp.dynamics_mdp(settings, stage, length_ps, template_dir, run=run)
    fresh = stage in ("nvt", "unbiased")
    speed = run_mdp(text, settings, gro, top, index, tpr, workdir, logfile, outputs,
                    checkpoint=None if fresh else checkpoint)
    log.info("%s %s: %.3g ns in %s, %s ns/day", settings["name"], stage, length_ps / 1000,
             workdir, speed)
    return speed


def run_mdp(text: str, settings: Mapping, gro, top, index, tpr, workdir, logfile,
            outputs: Mapping[str, str], checkpoint=None, extra=()) -> float | None:
    """``grompp`` the .mdp ``text`` (written beside ``tpr``), ``mdrun`` it restartably in
    ``workdir`` and copy its files to ``outputs``; ns/day. ``checkpoint``: a .cpt to
    continue from (coordinates, velocities, box); ``extra``: more mdrun arguments (e.g.
    ``-px pullx.xvg``, which a restart with pull output needs)."""
    mdp_file = Path(tpr).with_suffix(".mdp")
    mdp_file.parent.mkdir(parents=True, exist_ok=True)
    mdp_file.write_text(text)
    gromacs.grompp(mdp_file, gro, top, tpr, logfile, index=index, checkpoint=checkpoint)
    files = gromacs.mdrun(tpr, workdir, logfile, threads=settings["threads"],
                          checkpoint_minutes=settings["checkpoint_minutes"], extra=extra,
                          key=gromacs.fingerprint(mdp_file, gro, top, index, checkpoint))
    _copy_outputs(files, outputs)
    return gromacs.performance(files["log"])
