# Shared by run.sh and nightly.sh (sourced, not run): one round of N shards and their merge on
# Slurm, waited for. Needs $here (this folder) and exports the FARMWATCH_* variables the
# .sbatch files read.

# setup_round MODE WHAT FILE N: checks the arguments (exit 2 with a usage line naming WHAT, the
# kind of FILE), then sets the binary, the logs folder and the variables the jobs read.
setup_round() {
  if [ $# -lt 4 ] || ! [[ "$4" =~ ^[0-9]+$ ]] || [ "$((10#$4))" -lt 1 ] || [ "$((10#$4))" -gt 4096 ]; then
    echo "usage: $0 ${2^^} N [farmwatch $1 options]   (1 <= N <= 4096)" >&2
    exit 2
  fi
  [ -f "$3" ] || { echo "$0: $2 file '$3' not found" >&2; exit 2; }
  set -- "$1" "$(realpath "$3")" "$((10#$4))"
  fw=${FARMWATCH:-$(command -v farmwatch || echo "$here/../../build/farmwatch")}
  [ -x "$fw" ] || { echo "$0: no farmwatch binary at '$fw' (set FARMWATCH)" >&2; exit 2; }
  logs=$(realpath -m "${FARMWATCH_LOGS:-$PWD/farmwatch-slurm-logs}")
  mkdir -p "$logs"
  export FARMWATCH=$(realpath "$fw") FARMWATCH_MODE=$1 FARMWATCH_PIPELINE=$2 FARMWATCH_SHARDS=$3
  export FARMWATCH_LOGS=$logs
}

# run_round TAG [options]: submits the array (shard.sbatch) and the merge (merge.sbatch,
# afterok, cancelled when a shard fails) with the logs shard-<i>-of-<N><TAG>.log and
# merge<TAG>.log, and waits. Sets merge_exit to the merge's exit code (empty if it never ran)
# and returns 0 when every shard and the merge completed, 6 for a partial merge, 1 otherwise
# (naming the failed jobs and their logs).
run_round() {
  local tag=$1 n=$FARMWATCH_SHARDS array merge status=0 state i
  shift
  merge_exit=
  export FARMWATCH_ROUND=$tag
  rm -f "$logs/merge$tag.exit"
  # --export=ALL: the jobs need the variables above even where SBATCH_EXPORT says otherwise.
  local opts=(--parsable --export=ALL)
  [ -z "${FARMWATCH_CPUS_PER_TASK:-}" ] || opts+=(--cpus-per-task="$FARMWATCH_CPUS_PER_TASK")
  if ! array=$(sbatch "${opts[@]}" --array="0-$((n - 1))" --output="$logs/shard-%a-of-$n$tag.log" \
    "$here/shard.sbatch" "$@"); then
    echo "$0: could not submit the job array of the shards" >&2
    return 1
  fi
  array=${array%%;*}
  if ! merge=$(sbatch "${opts[@]}" --dependency="afterok:$array" --kill-on-invalid-dep=yes \
    --output="$logs/merge$tag.log" "$here/merge.sbatch" "$@"); then
    scancel "$array"
    echo "$0: could not submit the merge job; the shards ($array) were cancelled" >&2
    return 1
  fi
  merge=${merge%%;*}
  echo "farmwatch: shards $n as job array $array, merge as job $merge; logs in $logs"
  # Success is the merge completing: it runs only once every shard has (afterok). Waiting on
  # the merge alone also outlives the shards' job records, which slurmctld drops MinJobAge
  # (300 s by default) after they end when no accounting database keeps them.
  "$here/slurm-wait.sh" --timeout "${FARMWATCH_WAIT_TIMEOUT:-0}" "$merge" 2> /dev/null || status=$?
  if [ "$status" = 124 ]; then
    scancel "$array" "$merge"
    echo "farmwatch: gave up waiting after ${FARMWATCH_WAIT_TIMEOUT}s; the shards and the merge" \
      "were cancelled and nothing was published" >&2
    return 1
  fi
  # A failed shard cancels the merge at once; the other shards end first.
  while [ -n "$(squeue -h -j "$array" 2> /dev/null)" ]; do sleep 1; done
  merge_exit=$(cat "$logs/merge$tag.exit" 2> /dev/null || true)
  [ "$merge_exit" = 6 ] && return 6
  [ "$status" = 0 ] && return 0
  echo "farmwatch: failed; the published outputs and the database are as they were." >&2
  for ((i = 0; i < n; i++)); do
    state=$(job_state "${array}_$i")
    [ "$state" = COMPLETED ] ||
      echo "  shard $i/$n: ${state:-ended (record gone)}, log $logs/shard-$i-of-$n$tag.log" >&2
  done
  echo "  merge: $(job_state "$merge"), log $logs/merge$tag.log" >&2
  echo "  run the same command again: only the shards without a complete result re-run." >&2
  return 1
}

job_state() {
  local s
  s=$(scontrol show job -o "$1" 2> /dev/null | grep -oE 'JobState=[A-Z_]+' | head -1)
  echo "${s#JobState=}"
}
