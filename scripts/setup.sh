#!/usr/bin/env bash
# Install everything the study needs on a Debian machine (run as root, or with sudo):
# GROMACS from Debian, and a Python virtual environment in .venv with mdcv and its
# pinned dependencies from PyPI. Safe to re-run: finished steps are skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${VENV:-.venv}
PYTHON=${PYTHON:-python3}

if ! command -v gmx >/dev/null 2>&1; then
    echo "setup: installing GROMACS (Debian package 'gromacs')"
    SUDO=""
    [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq gromacs >/dev/null
fi
gmx --version 2>/dev/null | grep -m1 "GROMACS version" || true

if [ ! -x "$VENV/bin/python" ]; then
    echo "setup: creating $VENV"
    "$PYTHON" -m venv "$VENV"
fi
stamp="$VENV/.mdcv-installed"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ] || [ requirements.lock -nt "$stamp" ]; then
    echo "setup: installing mdcv and its dependencies into $VENV"
    "$VENV/bin/pip" install -q --upgrade pip
    # torch first, pinned: the CPU wheel; an unpinned torch pulls a multi-GB CUDA build.
    "$VENV/bin/pip" install -q -c requirements.lock "torch==2.13.0"
    "$VENV/bin/pip" install -q -c requirements.lock -e ".[dev]"
    touch "$stamp"
fi
echo "setup: done ($("$VENV/bin/python" -c 'import torch, snakemake; print("torch", torch.__version__, "snakemake", snakemake.__version__)'))"
