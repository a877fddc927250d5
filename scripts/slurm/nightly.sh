#!/usr/bin/env bash
# One night of an area as N shards on a Slurm cluster (`farmwatch nightly AREA --shard i/N`,
# then `--merge N`), scene by scene; waits for all of it.
#   scripts/slurm/nightly.sh AREA N [farmwatch nightly options: --log-format json -v]
# A night compares its new scenes one after the other, each with the state the previous one
# left, so each scene is a round: a job array of N shards (shard.sbatch) comparing their cells
# of the next scene, and a merge (merge.sbatch, afterok, cancelled when a shard fails) that
# records it and moves the state on, as an unsharded night does. Rounds follow while the merge
# says scenes are left; the last merge publishes the night. Logs: shard-<i>-of-<N>-round-<k>.log
# and merge-round-<k>.log. Exit 0 when the night is done (or nothing was new), 6 when some
# scenes failed and the rest were published (as `farmwatch nightly`), 1 when a job failed
# (the scenes recorded so far stay recorded; running it again goes on from there), 75 when
# another night holds the area's lock.
# Environment: as run.sh (SBATCH_*, FARMWATCH_CPUS_PER_TASK, FARMWATCH, FARMWATCH_LOGS,
#   FARMWATCH_WAIT_TIMEOUT per round); the area's inbox, state, publish folder and database
#   must be on a file system every node sees.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
setup_round nightly area "${1:-}" "${2:-}"
shift 2
partial=0
for ((round = 1; ; round++)); do
  status=0
  run_round "-round-$round" "$@" || status=$?
  case $status in
    0) ;;
    6) partial=1 ;;
    *)
      [ "$merge_exit" = 75 ] && { echo "farmwatch: another night holds the area's lock" >&2; exit 75; }
      exit 1 ;;
  esac
  grep -q "left to compare" "$logs/merge-round-$round.log" || break
done
tail -n +2 "$logs/merge-round-$round.log" | grep -v '^farmwatch: [0-9TZ]* ' || true
if [ "$partial" = 1 ]; then
  echo "farmwatch: published, partial: some scenes failed (exit 6; see $logs/merge-round-*.log)" >&2
  exit 6
fi
echo "farmwatch: the night is done in $round round(s) of $FARMWATCH_SHARDS shard(s)"
