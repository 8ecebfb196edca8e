#!/usr/bin/env bash
# A real single-node SLURM cluster on this machine, and a small part of the workflow
# submitted through profiles/slurm: the tiny toy config's grid reference of one system and
# one training (sample -> train), checked, then the cluster is torn down.
#
#   sudo bash tests/slurm/run.sh      (or: MDCV_SLURM_TEST=1 pytest tests/test_slurm.py)
#
# Needs root (it installs Debian's slurm-wlm and munge when missing and starts the
# daemons) and the project's virtual environment with the executor plugin (extra
# `cluster`, installed here when missing). Scratch files live in one directory
# ($MDCV_SLURM_DIR, default a fresh /tmp/mdcv-slurm.*), removed at the end unless
# MDCV_SLURM_KEEP=1. Daemons this script started are stopped by their pid; a munged that
# was already running is left alone. Don't run it on a machine that is a SLURM node.
#
# The known traps, and what this script does about them:
# - no slurmdbd, so `sacct` exists but every query fails: the run passes
#   --slurm-status-command squeue, and slurm.conf keeps finished jobs visible to squeue
#   for MinJobAge=300 s (>= 3 x the status-check interval, else the plugin goes back
#   to sacct);
# - slurmd must find its node in slurm.conf: the node line is `slurmd -C`'s (NodeName =
#   this host's short name) with NodeAddr=127.0.0.1, and slurmd is started with -N;
# - no cgroups in a container: proctrack/linuxproc, task/none;
# - no accounts: --slurm-no-account;
# - the jobstep plugin (0.6.1) drops every SLURM_* variable, SLURM_CONF included, before
#   its nested `srun`, so the config must sit where srun looks by default:
#   /etc/slurm/slurm.conf is written (a file already there is moved aside and put back).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PY=${MDCV_PYTHON:-$ROOT/.venv/bin/python}
WORK=${MDCV_SLURM_DIR:-$(mktemp -d /tmp/mdcv-slurm.XXXXXX)}
CONFIG=${MDCV_SLURM_CONFIG:-$ROOT/tests/configs/toy_tiny.yaml}
SPECTRUM=results/mueller_brown/reference/spectrum.npz
RUNINFO=results/mueller_brown/models/generator/run.json
T0=$(date +%s)
export SLURM_CONF=/etc/slurm/slurm.conf
STARTED_MUNGED="" SAVED_CONF="" WROTE_CONF=""

log() { echo "slurm-test [$(( $(date +%s) - T0 ))s]: $*"; }
die() { log "FAILED: $*"; exit 1; }

teardown() {
    local rc=$?
    set +e
    for pidfile in "$WORK/run/slurmd.pid" "$WORK/run/slurmctld.pid"; do
        [ -s "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null
    done
    sleep 1
    [ -n "$STARTED_MUNGED" ] && kill "$STARTED_MUNGED" 2>/dev/null
    [ -n "$WROTE_CONF" ] && rm -f "$SLURM_CONF"
    [ -n "$SAVED_CONF" ] && mv "$SAVED_CONF" "$SLURM_CONF"
    if [ "$rc" -ne 0 ]; then
        for f in "$WORK"/log/slurmctld.log "$WORK"/log/slurmd.log "$WORK"/log/snakemake.log; do
            [ -f "$f" ] && { echo "--- tail $f"; tail -25 "$f"; }
        done
        find "$WORK/job/.snakemake/slurm_logs" -name '*.log' 2>/dev/null | while read -r f; do
            echo "--- tail $f"; tail -15 "$f"; done
    fi
    if [ "${MDCV_SLURM_KEEP:-0}" = 1 ]; then log "kept $WORK"; else rm -rf "$WORK"; fi
    log "finished, exit $rc"
}

[ "$(id -u)" -eq 0 ] || die "needs root (installs packages, starts munged/slurmctld/slurmd)"
[ -x "$PY" ] || die "no Python at $PY (run scripts/setup.sh, or set MDCV_PYTHON)"
# One cluster at a time on a machine (several checkouts may run their tests at once).
exec 9>/tmp/mdcv-slurm-test.lock
flock -w 600 9 || die "another tests/slurm/run.sh holds /tmp/mdcv-slurm-test.lock"
pgrep -x slurmctld >/dev/null && die "a slurmctld is already running on this machine"
mkdir -p "$WORK"/{etc,state,spool,log,run,job}
WORK=$(cd "$WORK" && pwd)
trap teardown EXIT

# --- software ---------------------------------------------------------------------------
if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null \
        || ! command -v sbatch >/dev/null || ! command -v munged >/dev/null; then
    log "installing slurm-wlm and munge (apt)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge >"$WORK/log/apt.log" 2>&1 \
        || { tail -20 "$WORK/log/apt.log"; die "apt-get install slurm-wlm munge"; }
fi
if ! "$PY" -c "import snakemake_executor_plugin_slurm" 2>/dev/null; then
    log "installing the SLURM executor plugin (pinned as in the extra 'cluster')"
    "$PY" -m pip install -q -c "$ROOT/requirements.lock" \
        snakemake-executor-plugin-slurm==2.8.0 snakemake-executor-plugin-slurm-jobstep==0.6.1
fi
log "$(slurmctld -V), executor plugin $("$PY" -c \
    'from importlib.metadata import version as v; print(v("snakemake-executor-plugin-slurm"))')"

# --- munge ------------------------------------------------------------------------------
if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
    if [ ! -s /etc/munge/munge.key ]; then
        log "creating /etc/munge/munge.key"
        mungekey --create --keyfile=/etc/munge/munge.key
        chown munge:munge /etc/munge/munge.key && chmod 400 /etc/munge/munge.key
    fi
    mkdir -p /run/munge && chown munge:munge /run/munge
    runuser -u munge -- /usr/sbin/munged
    STARTED_MUNGED=$(cat /run/munge/munged.pid)
    for _ in $(seq 20); do munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && break; sleep 0.5; done
fi
munge -n | unmunge >/dev/null || die "munge does not work"

# --- slurm.conf -------------------------------------------------------------------------
free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
HOST=$(hostname -s)
NODE_LINE=$(slurmd -C | head -1)   # NodeName=<host> CPUs=... RealMemory=...
case "$NODE_LINE" in NodeName=*) ;; *) die "slurmd -C printed: $NODE_LINE" ;; esac
mkdir -p /etc/slurm
if [ -e "$SLURM_CONF" ]; then SAVED_CONF="$WORK/etc/slurm.conf.saved"; mv "$SLURM_CONF" "$SAVED_CONF"; fi
WROTE_CONF=1
cat >"$SLURM_CONF" <<EOF
# Written by mdcv tests/slurm/run.sh; removed when it ends.
ClusterName=mdcvtest
SlurmctldHost=$HOST(127.0.0.1)
SlurmctldPort=$(free_port)
SlurmdPort=$(free_port)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$WORK/state
SlurmdSpoolDir=$WORK/spool
SlurmctldPidFile=$WORK/run/slurmctld.pid
SlurmdPidFile=$WORK/run/slurmd.pid
SlurmctldLogFile=$WORK/log/slurmctld.log
SlurmdLogFile=$WORK/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
MpiDefault=none
ReturnToService=2
MinJobAge=300
SlurmdTimeout=60
$NODE_LINE NodeAddr=127.0.0.1 State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF

# --- daemons ----------------------------------------------------------------------------
slurmctld -f "$SLURM_CONF"
slurmd -f "$SLURM_CONF" -N "$HOST"
state=""
for _ in $(seq 60); do
    state=$(sinfo -h -N -o '%T' 2>/dev/null | head -1)
    [ "$state" = idle ] && break
    sleep 0.5
done
if [ "$state" != idle ]; then
    scontrol update NodeName="$HOST" State=RESUME 2>/dev/null || true
    sleep 1
    state=$(sinfo -h -N -o '%T' | head -1)
fi
[ "$state" = idle ] || die "node $HOST is '$state', not idle"
log "cluster up: $(sinfo -h -N -o '%N %c CPUs %m MB %T')"
# A plain job first: separates cluster trouble from workflow trouble.
out=$(srun -N1 -n1 -t 1 hostname) || die "srun hostname"
log "srun hostname -> $out"

# --- the workflow through profiles/slurm ------------------------------------------------
log "snakemake --profile profiles/slurm $SPECTRUM $RUNINFO"
"$PY" -m snakemake -s "$ROOT/Snakefile" --directory "$WORK/job" --profile "$ROOT/profiles/slurm" \
    --configfile "$CONFIG" --slurm-status-command squeue --slurm-no-account \
    --slurm-init-seconds-before-status-checks 2 --latency-wait 5 --retries 0 \
    --slurm-keep-successful-logs "$SPECTRUM" "$RUNINFO" >"$WORK/log/snakemake.log" 2>&1 \
    || die "snakemake (log: $WORK/log/snakemake.log)"

# --- checks -----------------------------------------------------------------------------
n_jobs=$(grep -c "has been submitted with SLURM jobid" "$WORK/log/snakemake.log" || true)
[ "$n_jobs" -eq 3 ] || die "expected 3 jobs through sbatch (reference, dataset, train), saw $n_jobs"
n_done=$(squeue -h -t all -o '%T' | grep -c COMPLETED || true)
[ "$n_done" -ge 3 ] || die "squeue lists $n_done COMPLETED jobs, expected 3"
"$PY" - "$WORK/job" "$SPECTRUM" "$RUNINFO" <<'EOF' || die "output checks"
import json
import sys
from pathlib import Path

import numpy as np

job, spectrum, runinfo = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
with np.load(job / spectrum) as spec:
    assert spec.files, "empty spectrum.npz"
    keys = sorted(spec.files)
info = json.loads((job / runinfo).read_text())
assert info.get("device") in ("cpu", "cuda") or str(info.get("device", "")).startswith("cuda"), info
print(f"slurm-test: spectrum.npz {keys}; run.json device {info['device']!r}")
EOF
log "$n_jobs jobs through sbatch, $n_done COMPLETED in squeue; outputs checked"
log "PASSED in $(( $(date +%s) - T0 )) s"
