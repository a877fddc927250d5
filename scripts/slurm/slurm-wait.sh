#!/usr/bin/env bash
# From ../shared/tools/local-slurm (the workplace's throw-away cluster for tests), used as is.
# slurm-wait.sh [--timeout SECS] JOBID [JOBID...]
# Wait until every listed job (array jobs: every task) has left the queue, then exit 0 only
# if all ended COMPLETED.  Needed because `sbatch --wait` exits 0 for a job that was
# cancelled before it started (e.g. afterok never satisfied -> CANCELLED, ExitCode 0:0).
# Works without slurmdbd: job records stay in slurmctld for MinJobAge seconds after the end.
set -uo pipefail
TIMEOUT=0
if [ "${1:-}" = --timeout ]; then TIMEOUT=$2; shift 2; fi
[ $# -gt 0 ] || { echo "usage: $0 [--timeout S] JOBID..." >&2; exit 2; }
start=$SECONDS
while :; do
  recs=$(for j in "$@"; do scontrol show job -o "$j" || echo "JobId=$j JobState=UNKNOWN_JOB"; done)
  if ! grep -qE 'JobState=(PENDING|RUNNING|CONFIGURING|COMPLETING|SUSPENDED|REQUEUED|RESIZING|REQUEUE_HOLD|REQUEUE_FED|SIGNALING|STAGE_OUT)' <<<"$recs"; then
    bad=$(grep -v 'JobState=COMPLETED ' <<<"$recs" | grep -oE 'JobId=[0-9]+ (ArrayJobId=[0-9]+ ArrayTaskId=[0-9]+ )?|JobState=[A-Z_]+|Reason=[^ ]+' | paste -sd' ')
    [ -z "$bad" ] && exit 0
    echo "slurm-wait: not all jobs COMPLETED: $bad" >&2; exit 1
  fi
  if [ "$TIMEOUT" -gt 0 ] && [ $((SECONDS - start)) -ge "$TIMEOUT" ]; then
    echo "slurm-wait: timeout after ${TIMEOUT}s" >&2; exit 124
  fi
  sleep 0.5
done
