"""GROMACS run parameters (.mdp) rendered from the templates in ``workflow/mdp``.

Templates use ``${name}`` placeholders (:class:`string.Template`); the values come from
the ``md:`` config, merged per system (see :func:`stage_values`). Units: ps, nm, K,
kJ/mol, 1/ps (friction), degrees only where GROMACS wants them (AWH ranges).
"""

from __future__ import annotations

import math
import string
from collections.abc import Mapping
from pathlib import Path

from mdcv import seeds
from mdcv.errors import ConfigError

#: Dynamics stages and whether they start with fresh velocities.
STAGES = ("nvt", "npt", "awh", "biased", "unbiased")
BOLTZMANN = 0.0083144626  # kJ/(mol K)


def render(template: str | Path, values: Mapping) -> str:
    """Text of ``template`` with ``${name}`` replaced by ``values[name]``."""
    text = Path(template).read_text()
    try:
        return string.Template(text).substitute({k: _fmt(v) for k, v in values.items()})
    except KeyError as err:
        raise ConfigError(f"mdp template {str(template)!r} needs a value for {err.args[0]!r}; "
                          f"given: {sorted(values)}") from None


def _fmt(value) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.10g}"
    return str(value)


def steps(length_ps: float, dt: float) -> int:
    """Number of steps of ``dt`` (ps) in ``length_ps`` (ps), at least 1."""
    return max(1, round(length_ps / dt))


def every(interval_ps: float, dt: float) -> int:
    """Step interval (≥ 1) closest to ``interval_ps``."""
    return max(1, round(interval_ps / dt))


def nonbonded(settings: Mapping, template_dir: str | Path) -> str:
    """The non-bonded block for the system's solvent (``vacuum`` or ``water``)."""
    solvent = settings["solvent"]
    if solvent not in ("vacuum", "water"):
        raise ConfigError(f"solvent must be 'vacuum' or 'water', got {solvent!r}")
    return render(Path(template_dir) / f"nonbonded_{solvent}.mdp", settings)


def em_mdp(settings: Mapping, template_dir: str | Path) -> str:
    """Energy-minimization parameters of a system."""
    values = {"em_steps": settings["em_steps"], "em_tolerance": settings["em_tolerance"],
              "nonbonded": nonbonded(settings, template_dir)}
    return render(Path(template_dir) / "em.mdp", values)


def stage_values(settings: Mapping, stage: str, length_ps: float, run: int = 0) -> dict:
    """Values of the dynamics template for one stage (``nvt``, ``npt``, ``awh``, ...).

    ``settings`` is a system's merged md settings; ``run`` numbers repeated runs of a
    stage (it changes the seed). Velocities are drawn afresh in ``nvt`` and
    ``unbiased`` runs; other stages continue from the previous checkpoint.
    """
    if stage not in STAGES:
        raise ConfigError(f"unknown md stage {stage!r}; known: {list(STAGES)}")
    dt = settings["dt"]
    integrator = settings.get("integrator", "sd")
    save = every(settings["save_every_ps"], dt)
    energy = save if stage in ("biased", "unbiased") else every(settings["energy_every_ps"], dt)
    fresh = stage in ("nvt", "unbiased")
    friction = settings["friction"]
    return {
        "integrator": integrator,
        "dt": dt,
        "nsteps": steps(length_ps, dt),
        "seed": seeds.derive(settings["seed"], settings["name"], stage, run),
        "bd_fric": settings.get("bd_fric", 0.0),
        "tau_t": 1.0 / friction,
        "temperature": settings["temperature"],
        "gen_vel": fresh,
        "continuation": not fresh,
        "constraints": settings["constraints"],
        "comm_mode": "None" if settings["solvent"] == "vacuum" else "Linear",
        "nstxout": save,
        "output_group": "Protein",
        "nstenergy": energy,
        "nstcalcenergy": math.gcd(energy, 100),
        "nstlog": max(energy, every(10.0, dt)),
    }


def dynamics_mdp(settings: Mapping, stage: str, length_ps: float, template_dir: str | Path,
                 run: int = 0, pull: str | None = None) -> str:
    """Parameters of one dynamics stage, with pressure coupling and AWH blocks as needed.

    ``pull``: a pull (and AWH) block in place of the (φ, ψ) AWH template, e.g. a learned
    CV's (:mod:`mdcv.md.cvround`).
    """
    template_dir = Path(template_dir)
    values = stage_values(settings, stage, length_ps, run)
    values["nonbonded"] = nonbonded(settings, template_dir)
    values["pressure"] = (render(template_dir / "pressure.mdp", settings) if stage == "npt"
                          else "pcoupl                   = no")
    values["awh"] = pull or ""
    if stage == "awh" and pull is None:
        awh = settings["awh"]
        nstout = every(awh["output_every"], settings["dt"])
        nstout = max(values["nstenergy"], nstout // values["nstenergy"] * values["nstenergy"])
        values["awh"] = render(template_dir / "awh.mdp", {
            "nstenergy": values["nstenergy"],
            "seed": values["seed"],
            "awh_potential": awh["potential"],
            "awh_nstout": nstout,
            "awh_nstsample": awh["nstsample"],
            "awh_nsamples_update": awh["nsamples_update"],
            "awh_error_init": awh["error_init"],
            "awh_force_constant": awh["force_constant"],
            "awh_diffusion": awh["diffusion"],
        })
    return render(template_dir / "dynamics.mdp", values)


def kT(temperature: float) -> float:
    """k_B T in kJ/mol at ``temperature`` K."""
    return BOLTZMANN * temperature
