#!/usr/bin/env bash
# From ../shared/tools/local-slurm (the workplace's throw-away cluster for tests), used as is.
# Stop the daemons started by start-local-slurm.sh, by the PIDs in their pid files.
# SLURM_LOCAL_PURGE=1 also deletes the runtime dir (config, state, logs, job output).
set -uo pipefail
BASE=${SLURM_LOCAL_DIR:-/tmp/slurm-local/cluster}

stop_pidfile() { # name pidfile
  local name=$1 pidf=$2 pid
  [ -s "$pidf" ] || { echo "$name: no pid file"; return; }
  pid=$(cat "$pidf")
  if ! kill -0 "$pid" 2>/dev/null; then echo "$name: pid $pid not running"; rm -f "$pidf"; return; fi
  kill -TERM "$pid"
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then echo "$name: pid $pid ignored TERM, sending KILL"; kill -KILL "$pid"; fi
  rm -f "$pidf"
  echo "$name: stopped (pid $pid)"
}
# compute daemon first (it also ends its slurmstepd children), then controller, then munge
stop_pidfile slurmd    "$BASE/run/slurmd.pid"
stop_pidfile slurmctld "$BASE/run/slurmctld.pid"
stop_pidfile munged    "$BASE/munge/munged.pid"
[ "${SLURM_LOCAL_PURGE:-0}" = 1 ] && rm -rf "$BASE" && echo "removed $BASE"
exit 0
