"""A real single-node SLURM cluster runs part of the workflow through profiles/slurm.

tests/slurm/run.sh installs Debian's slurm-wlm and munge when missing, starts munged,
slurmctld and slurmd, submits the tiny toy config's grid reference and one training
through the profile, checks the outputs and tears the cluster down (about 1 min with
the packages installed, +20 s to install them).

When it runs: with MDCV_SLURM_TEST=1; otherwise on its own when the tests run as root
on a machine with apt-get (CI: `make test` as root), unless MDCV_SLURM_TEST=0.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "tests" / "slurm" / "run.sh"


def _enabled() -> tuple[bool, str]:
    flag = os.environ.get("MDCV_SLURM_TEST")
    if flag == "0":
        return False, "MDCV_SLURM_TEST=0"
    if os.geteuid() != 0:
        return False, "needs root (sudo MDCV_SLURM_TEST=1 ... or run tests/slurm/run.sh)"
    if flag == "1":
        return True, ""
    if shutil.which("slurmctld") is None and shutil.which("apt-get") is None:
        return False, "no SLURM and no apt-get to install it"
    return True, ""


ENABLED, WHY = _enabled()


@pytest.mark.slow
@pytest.mark.slurm
@pytest.mark.snakemake
@pytest.mark.skipif(not ENABLED, reason=WHY)
def test_workflow_runs_on_a_real_slurm_cluster(tmp_path):
    env = {**os.environ, "MDCV_SLURM_DIR": str(tmp_path / "slurm"),
           "MDCV_PYTHON": os.environ.get("MDCV_PYTHON", sys.executable)}
    proc = subprocess.run(["bash", str(SCRIPT)], env=env, capture_output=True, text=True,
                          timeout=900)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-6000:]
    assert "PASSED" in out and "3 jobs through sbatch" in out, out[-3000:]
