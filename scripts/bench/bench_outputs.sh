#!/usr/bin/env bash
# Outputs at the scale of a real area (issue 14): `farmwatch change --tiles` on two generated
# 5490² Sentinel-2-like dates (scripts/bench/make_scene.py; 10 % of the fields changed in the
# later one, no farmland), RUNS times. Prints, per run and as the median: wall time, peak RSS,
# the stage times from summary.json, the reports stage's share, the patches found and the
# output folder's size, against the targets (<= 30 s, reports <= 10 %, folder <= 300 MB).
#   scripts/bench/bench_outputs.sh [RUNS] [OTHER_FARMWATCH]
# With OTHER_FARMWATCH (e.g. an older build), each run times both binaries one after the
# other, so both columns see the same machine; the medians are printed side by side.
# Needs: build/farmwatch (scripts/setup.sh), python3-gdal, GNU time. BENCH_DIR keeps the scenes.
# BENCH_CHANGED (default 0.1) is the share of fields changed in the later date: since the
# spectral test tolerates misregistration, 0.1 gives ~4,500 patches (the generator's changed
# fields; 18,071 before, most of them sensor noise); 0.35 gives ~12,900.
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-1}
other=${2:-}
work=${BENCH_DIR:-$(mktemp -d /tmp/farmwatch-bench.XXXXXX)}
fw=$PWD/build/farmwatch
[ -f "$work/scene_5490.tif" ] || /usr/bin/python3 scripts/bench/make_scene.py "$work/scene_5490.tif" 5490
changed=${BENCH_CHANGED:-0.1}
after="$work/scene_b.tif"
[ "$changed" = 0.1 ] || after="$work/scene_b_$changed.tif"
[ -f "$after" ] || /usr/bin/python3 scripts/bench/make_scene.py "$after" 5490 "$changed"
walls=""
other_walls=""
one_run() {  # BINARY LABEL: one timed run, then its figures
  rm -rf "$work/out"
  /usr/bin/time -f "%e %M" -o "$work/time.txt" "$1" change --before "$work/scene_5490.tif" \
    --after "$after" --date-before 2024-03-15 --date-after 2024-08-20 --tiles \
    --out "$work/out" -q > /dev/null
  read -r wall kb < "$work/time.txt"
  echo "[$2]"
  /usr/bin/python3 - "$work/out" "$wall" "$kb" <<'PY'
import json, os, sys
out, wall, kb = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
s = json.load(open(os.path.join(out, "summary.json")))
t = s["timings_s"]
size = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(out) for f in fs)
patches = s["changes"]["patches"]
stages = ", ".join(f"{k} {v:.1f}" for k, v in sorted(t.items(), key=lambda kv: -kv[1]) if k != "total" and v >= 0.05)
print(f"wall {wall:.1f} s (target <= 30), peak RSS {kb / 1024:.0f} MB, patches {patches}")
print(f"  stages (s): {stages}")
print(f"  reports {t.get('reports', 0):.1f} s = {100 * t.get('reports', 0) / wall:.1f} % of the wall (target <= 10 %)")
print(f"  output folder {size / 1e6:.0f} MB (target <= 300)")
biggest = sorted(((sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(os.path.join(out, e)) for f in fs)
                   if os.path.isdir(os.path.join(out, e)) else os.path.getsize(os.path.join(out, e)), e)
                  for e in os.listdir(out)), reverse=True)[:6]
print("  largest: " + ", ".join(f"{e} {b / 1e6:.0f} MB" for b, e in biggest))
PY
}
for ((i = 1; i <= runs; i++)); do
  one_run "$fw" "this build, run $i"
  walls+="$wall "
  if [ -n "$other" ]; then
    one_run "$other" "$other, run $i"
    other_walls+="$wall "
  fi
done
# shellcheck source=lib.sh
source scripts/bench/lib.sh
echo "median wall over $runs run(s): $(echo "$walls" | median) s (this build)"
[ -z "$other" ] || echo "median wall over $runs run(s): $(echo "$other_walls" | median) s ($other)"
