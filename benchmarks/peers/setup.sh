#!/usr/bin/env bash
# The peers' environment for benchmarks/peers/run.py, separate from the study's .venv:
# torch 2.13.0 (the CPU wheel, as the study), mlcolvar, deeptime, colvars-finder and mdcv
# itself (editable, no deps; its dependencies from requirements.lock). Each peer is
# installed on its own so one failure does not stop the others; failures are written
# to benchmarks/peers/.venv/install.log (a peer that is missing makes its run.py row
# 'failed'). Re-running is a no-op until this file or requirements.lock changes.
# Versions (checked with `pip index versions`): MLCOLVAR, DEEPTIME, COLVARS_FINDER.
set -uo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
VENV=${PEERS_VENV:-$HERE/.venv}
PYTHON=${PYTHON:-python3}
MLCOLVAR=${MLCOLVAR:-1.3.1}
DEEPTIME=${DEEPTIME:-0.4.5}
COLVARS_FINDER=${COLVARS_FINDER:-0.1.14}
LOG="$VENV/install.log"

if [ ! -x "$VENV/bin/python" ]; then
    echo "peers setup: creating $VENV"
    "$PYTHON" -m venv "$VENV" || exit 1
fi
STAMP="$VENV/.peers-installed"
if [ -f "$STAMP" ] && [ "$STAMP" -nt "$0" ] && [ "$STAMP" -nt "$ROOT/requirements.lock" ]; then
    echo "peers setup: up to date ($VENV; $(grep -c '^ok' "$LOG") ok, $(grep -c '^FAILED' "$LOG") failed)"
    exit 0
fi
# The study's packages take the study's pins (requirements.lock); the peers take only
# the torch pin, since mlcolvar 1.3.1 requires scikit-learn<1.8 and pydantic<2, which
# the lock's versions (1.9.1, 2.x) exclude. mdcv's library needs neither.
echo "torch==2.13.0" > "$VENV/peers-constraints.txt"
STUDY=(-c "$ROOT/requirements.lock")
PEER=(-c "$VENV/peers-constraints.txt")
PIP=("$VENV/bin/pip" install -q)
: > "$LOG.new"

install() {  # install <label> <pip args...>: record ok/failed per label
    local label=$1; shift
    if "${PIP[@]}" "$@" >>"$LOG.new" 2>&1; then
        echo "ok $label" | tee -a "$LOG.new"
    else
        echo "FAILED $label (pip install $*)" | tee -a "$LOG.new"
    fi
}

# torch first, pinned: the CPU wheel (an unpinned torch pulls a multi-GB CUDA build).
install torch "${STUDY[@]}" "torch==2.13.0"
# mdcv: the study itself, its dependencies from the lock file, then the package without deps.
install mdcv-deps "${STUDY[@]}" numpy scipy pandas matplotlib seaborn pyyaml jsonschema tqdm \
    mdtraj pyedr
install mdcv "${STUDY[@]}" --no-deps -e "$ROOT"
install deeptime "${PEER[@]}" "deeptime==$DEEPTIME"
# mlcolvar needs lightning; its torch requirement is met by the pinned wheel.
install mlcolvar "${PEER[@]}" "mlcolvar==$MLCOLVAR"
install colvars-finder "${PEER[@]}" "colvars-finder==$COLVARS_FINDER"
# colvarsfinder.core imports tensorboardX and openmm, which its metadata does not declare.
install colvars-finder-undeclared-deps "${PEER[@]}" tensorboardX openmm
mv "$LOG.new" "$LOG"
touch "$STAMP"
"$VENV/bin/python" - <<'PY'
import importlib.metadata as md
for name in ("torch", "mdcv", "deeptime", "mlcolvar", "lightning", "colvars-finder", "mdtraj"):
    try:
        print(f"peers setup: {name} {md.version(name)}")
    except md.PackageNotFoundError:
        print(f"peers setup: {name} not installed")
PY
