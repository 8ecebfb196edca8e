"""Convergence of the AWH PMF on (φ, ψ): the PMF at half the run against the final one.

AWH's PMF at time t is its estimate from the samples up to t, so the difference between
the estimates at T/2 and at T is what the second half of the run changed: a run whose
PMF still moves by more than the accuracy wanted is not converged. Energies in kJ/mol
inside, differences reported in k_B T; angles in radians.
"""

from __future__ import annotations

from pathlib import Path

from mdcv.md import gromacs, pmf


def compare_pmfs(half: pmf.Pmf, final: pmf.Pmf, bins: int, kT: float, max_kJ_mol: float) -> dict:
    """|F_half − F_final| in kT on ``bins`` × ``bins`` bins, after the best constant shift,
    over the bins where both lie within ``max_kJ_mol`` of their minimum."""
    f_half = pmf.pmf_on_bins(half, bins, kT)
    f_final = pmf.pmf_on_bins(final, bins, kT)
    inside = (f_half <= max_kJ_mol) & (f_final <= max_kJ_mol)
    row = pmf.compare(f_half, f_final, inside.astype(float), kT, 1)
    row.pop("samples_in_populated")
    row.pop("weighted_mean_abs_dF_kT")
    row["bins_compared"] = row.pop("bins_populated")
    return row


def halves_row(system: str, edr, tpr, workdir, logfile, length_ps: float, bins: int,
               kT: float, max_kJ_mol: float) -> dict:
    """One row of the convergence table: the PMF output closest to ``length_ps`` / 2
    against the one closest to ``length_ps`` (ps; the run's length for the final one).
    Files go to ``workdir``, gmx output is appended to ``logfile``."""
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    half = workdir / "pmf_half.xvg"
    final = gromacs.awh_pmf(edr, tpr, workdir / "pmf_final.xvg", logfile, time=length_ps,
                            also={half: length_ps / 2})
    row = {"system": system, "awh_ns": length_ps / 1000.0, "half_ns": length_ps / 2000.0,
           "bins": f"{bins}x{bins}", "max_F_kJ_mol": max_kJ_mol, "kT_kJ_mol": kT}
    row.update(compare_pmfs(pmf.read_awh_xvg(half), pmf.read_awh_xvg(final), bins, kT,
                            max_kJ_mol))
    return row

