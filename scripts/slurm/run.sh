#!/usr/bin/env bash
# One farmwatch run as N shards on a Slurm cluster, then the merge; waits for both.
#   scripts/slurm/run.sh PIPELINE N [farmwatch run options: --out DIR --db DB --shard-dir DIR -v]
# Submits a job array of N tasks (shard.sbatch: `farmwatch run PIPELINE --shard i/N`) and a
# merge job (merge.sbatch: `farmwatch merge PIPELINE --shards N`) that depends on it with
# afterok and is cancelled when a shard fails. Exit 0 only when every shard and the merge
# completed; 6 when the merge published but some scenes could not be used (as `farmwatch run`);
# otherwise 1, naming the failed jobs and their logs. Running it again re-runs only the shards
# without a complete result, then merges.
# Environment:
#   SBATCH_PARTITION, SBATCH_ACCOUNT, SBATCH_TIMELIMIT, SBATCH_MEM_PER_NODE...: Slurm's own
#     sbatch options, which sbatch reads itself
#   FARMWATCH_CPUS_PER_TASK  CPUs (and threads) of each shard and of the merge (--cpus-per-task;
#                   Slurm 22.05's sbatch reads no variable for it); default: the cluster's, 1
#   FARMWATCH       the farmwatch binary every node runs (default: on PATH, else build/farmwatch)
#   FARMWATCH_LOGS  folder of the per-task logs (default: ./farmwatch-slurm-logs); must be on a
#                   file system every node sees, as must the pipeline's inputs and outputs
#   FARMWATCH_WAIT_TIMEOUT  seconds to wait before giving up (default 0: no limit)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
setup_round run pipeline "${1:-}" "${2:-}"
shift 2
status=0
run_round "" "$@" || status=$?
case $status in
  0)
    echo "farmwatch: all $FARMWATCH_SHARDS shard(s) and the merge completed"
    tail -n +2 "$logs/merge.log" || true ;;
  6) echo "farmwatch: published, partial: some scenes could not be used (exit 6; see $logs/merge.log)" >&2 ;;
esac
exit "$status"
