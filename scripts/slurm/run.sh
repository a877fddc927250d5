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
if [ $# -lt 2 ] || ! [[ "$2" =~ ^[0-9]+$ ]] || [ "$((10#$2))" -lt 1 ] || [ "$((10#$2))" -gt 4096 ]; then
  echo "usage: $0 PIPELINE N [farmwatch run options]   (1 <= N <= 4096)" >&2
  exit 2
fi
[ -f "$1" ] || { echo "$0: pipeline file '$1' not found" >&2; exit 2; }
pipeline=$(realpath "$1")
n=$((10#$2))
shift 2
fw=${FARMWATCH:-$(command -v farmwatch || echo "$here/../../build/farmwatch")}
[ -x "$fw" ] || { echo "$0: no farmwatch binary at '$fw' (set FARMWATCH)" >&2; exit 2; }
logs=$(realpath -m "${FARMWATCH_LOGS:-$PWD/farmwatch-slurm-logs}")
mkdir -p "$logs"
rm -f "$logs/merge.exit"
export FARMWATCH=$(realpath "$fw") FARMWATCH_PIPELINE=$pipeline FARMWATCH_SHARDS=$n
export FARMWATCH_LOGS=$logs
# --export=ALL: the jobs need the variables above even where SBATCH_EXPORT says otherwise.
opts=(--parsable --export=ALL)
[ -z "${FARMWATCH_CPUS_PER_TASK:-}" ] || opts+=(--cpus-per-task="$FARMWATCH_CPUS_PER_TASK")
array=$(sbatch "${opts[@]}" --array="0-$((n - 1))" --output="$logs/shard-%a-of-$n.log" \
  "$here/shard.sbatch" "$@")
array=${array%%;*}
if ! merge=$(sbatch "${opts[@]}" --dependency="afterok:$array" --kill-on-invalid-dep=yes \
  --output="$logs/merge.log" "$here/merge.sbatch" "$@"); then
  scancel "$array"
  echo "$0: could not submit the merge job; the shards ($array) were cancelled" >&2
  exit 1
fi
merge=${merge%%;*}
echo "farmwatch: shards $n as job array $array, merge as job $merge; logs in $logs"
# Success is the merge completing: it runs only once every shard has (afterok). Waiting on the
# merge alone also outlives the shards' job records, which slurmctld drops MinJobAge (300 s by
# default) after they end when no accounting database keeps them.
status=0
"$here/slurm-wait.sh" --timeout "${FARMWATCH_WAIT_TIMEOUT:-0}" "$merge" 2> /dev/null || status=$?
if [ "$status" = 124 ]; then
  scancel "$array" "$merge"
  echo "farmwatch: gave up waiting after ${FARMWATCH_WAIT_TIMEOUT}s; the shards and the merge" \
    "were cancelled and nothing was published" >&2
  exit 1
fi
# A failed shard cancels the merge at once; the other shards end first.
while [ -n "$(squeue -h -j "$array" 2> /dev/null)" ]; do sleep 1; done
if [ "$(cat "$logs/merge.exit" 2> /dev/null)" = 6 ]; then
  echo "farmwatch: published, partial: some scenes could not be used (exit 6; see $logs/merge.log)" >&2
  exit 6
fi
if [ "$status" = 0 ]; then
  echo "farmwatch: all $n shard(s) and the merge completed"
  tail -n +2 "$logs/merge.log" || true
  exit 0
fi
echo "farmwatch: failed; the published outputs and the database are as they were." >&2
job_state() {
  local s
  s=$(scontrol show job -o "$1" 2> /dev/null | grep -oE 'JobState=[A-Z_]+' | head -1)
  echo "${s#JobState=}"
}
for ((i = 0; i < n; i++)); do
  state=$(job_state "${array}_$i")
  [ "$state" = COMPLETED ] ||
    echo "  shard $i/$n: ${state:-ended (record gone)}, log $logs/shard-$i-of-$n.log" >&2
done
echo "  merge: $(job_state "$merge"), log $logs/merge.log" >&2
echo "  run the same command again: only the shards without a complete result re-run." >&2
exit 1
