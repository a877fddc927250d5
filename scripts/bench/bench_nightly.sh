#!/usr/bin/env bash
# Benchmark: one new scene into a nightly state of the same size, against a plain two-date run.
# Two generated SIZE x SIZE Sentinel-2-like dates (make_scene.py; CHANGED of the fields changed,
# default 1 %, about 1,800 patches at 5490; no farmland). The state is made by a first night with the earlier date; then, RUNS times each,
# alternately: `farmwatch nightly` with the later date delivered (the state restored before
# each), and `farmwatch run` of a pipeline with both dates. Same grid (the scene's), same
# rules, no tiles in either, each writing its monitoring database (a fresh one for the run).
# Logs: $work/nightly_<i>.log (JSON lines), $work/run_<i>.log. Targets: nightly wall <= 1.5x the run, peak RSS <= 500 MB.
#   scripts/bench/bench_nightly.sh [RUNS] [SIZE] [CHANGED]
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-3}
size=${2:-5490}
changed=${3:-0.01}
fw=${FARMWATCH:-build/farmwatch}
work=${BENCH_DIR:-$(mktemp -d /tmp/farmwatch-bench.XXXXXX)}
mkdir -p "$work"
source scripts/bench/lib.sh
scene_pair
area_yaml
cat > "$work/pipeline.yaml" <<YAML
dates:
  - {date: 2024-03-15, image: $a}
  - {date: 2024-08-20, image: $b}
database: $work/run.gpkg
outputs: {dir: $work/run_out, tiles: false}
$common
YAML
rm -rf "$work/inbox" "$work/state" "$work/publish" "$work/nightly.gpkg" "$work/snap"
mkdir -p "$work/inbox"
ln -s "$a" "$work/inbox/"
echo "first night (the state: $size x $size)"
$fw nightly "$work/area.yaml" -q
mkdir -p "$work/snap"
cp -a "$work/state" "$work/publish" "$work/nightly.gpkg" "$work/snap/"
restore() {
  rm -rf "$work/state" "$work/publish" "$work/nightly.gpkg"
  cp -a "$work/snap/state" "$work/snap/publish" "$work/snap/nightly.gpkg" "$work/"
}
ln -sf "$b" "$work/inbox/"
declare -a tn rn tr_ rr
for ((i = 1; i <= runs; i++)); do
  restore
  /usr/bin/time -f "%e %M" -o "$work/t.txt" $fw nightly "$work/area.yaml" --log-format json \
    > /dev/null 2> "$work/nightly_$i.log"
  read -r s kb < "$work/t.txt"; tn+=("$s"); rn+=("$kb")
  rm -f "$work/run.gpkg"
  /usr/bin/time -f "%e %M" -o "$work/t.txt" $fw run "$work/pipeline.yaml" -v \
    > /dev/null 2> "$work/run_$i.log"
  read -r s kb < "$work/t.txt"; tr_+=("$s"); rr+=("$kb")
done
mtn=$(echo "${tn[*]}" | median); mrn=$(echo "${rn[*]}" | median)
mtr=$(echo "${tr_[*]}" | median); mrr=$(echo "${rr[*]}" | median)
printf "%-28s %10s %12s\n" "" "wall (s)" "peak RSS MB"
printf "%-28s %10.2f %12.0f   (runs: %s)\n" "nightly (one new scene)" "$mtn" "$(echo "$mrn / 1024" | bc -l)" "${tn[*]}"
printf "%-28s %10.2f %12.0f   (runs: %s)\n" "run (two dates)" "$mtr" "$(echo "$mrr / 1024" | bc -l)" "${tr_[*]}"
echo "nightly / run wall: $(ratio "$mtn" "$mtr")x (target <= 1.5); nightly peak RSS $(echo "$mrn / 1024" | bc) MB (target <= 500)"
