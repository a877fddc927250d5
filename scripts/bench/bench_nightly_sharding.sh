#!/usr/bin/env bash
# Benchmark (issue 16): one night with one new scene, unsharded against N shards and the merge
# (`farmwatch nightly AREA --shard i/N`, then `--merge N`), on a generated SIZE x SIZE area
# (make_scene.py, CHANGED of the fields changed, default 1 %; no farmland, no tiles). The state
# comes from a first, unsharded night with the earlier date; it is restored before each run.
# The shards run one after the other with one thread each (2 cores here: this measures the
# overhead of sharding, not its speed-up); the unsharded night and the merge with one thread too.
# Prints CPU seconds (user + system), wall and peak RSS of each, the ratio shards' CPU /
# unsharded CPU, the merge's share of the sharded CPU, and whether the database rows, the state
# and publish/current are the same.
#   scripts/bench/bench_nightly_sharding.sh [N] [SIZE] [CHANGED]
set -euo pipefail
cd "$(dirname "$0")/../.."
n=${1:-4}
size=${2:-5490}
changed=${3:-0.01}
fw=${FARMWATCH:-$PWD/build/farmwatch}
work=${BENCH_DIR:-$(mktemp -d /tmp/farmwatch-bench.XXXXXX)}
mkdir -p "$work"
source scripts/bench/lib.sh
scene_pair
export SOURCE_DATE_EPOCH=1700000000
area_yaml
rm -rf "$work/inbox" "$work/state" "$work/publish" "$work/nightly.gpkg" "$work/snap" "$work/one" \
  "$work/times"
mkdir -p "$work/inbox" "$work/times"
ln -s "$a" "$work/inbox/"
echo "first night (the state: $size x $size)"
"$fw" nightly "$work/area.yaml" -q
mkdir -p "$work/snap"
cp -a "$work/state" "$work/publish" "$work/nightly.gpkg" "$work/snap/"
restore() {
  rm -rf "$work/state" "$work/publish" "$work/nightly.gpkg"
  cp -a "$work/snap/state" "$work/snap/publish" "$work/snap/nightly.gpkg" "$work/"
}
ln -s "$b" "$work/inbox/"
timed() {  # timed NAME farmwatch args...
  local name=$1
  shift
  /usr/bin/time -f "%U %S %e %M" -o "$work/times/$name.txt" "$fw" "$@" --threads 1 -q > /dev/null
}
echo "== unsharded night"
timed one nightly "$work/area.yaml"
mkdir -p "$work/one"
mv "$work/state" "$work/publish" "$work/nightly.gpkg" "$work/one/"
restore
echo "== $n shards, then the merge"
for ((i = 0; i < n; i++)); do timed "shard_$i" nightly "$work/area.yaml" --shard "$i/$n"; done
timed merge nightly "$work/area.yaml" --merge "$n"
/usr/bin/python3 - "$work" "$n" <<'PY'
import hashlib, os, sqlite3, sys
from osgeo import gdal
work, n = sys.argv[1], int(sys.argv[2])
def t(name):
    u, s, e, kb = open(os.path.join(work, "times", name + ".txt")).read().split()[-4:]
    return float(u) + float(s), float(e), int(kb) / 1024
one = t("one")
shards = [t(f"shard_{i}") for i in range(n)]
merge = t("merge")
shard_cpu = sum(s[0] for s in shards)
print(f"{'':28} {'CPU s':>8} {'wall s':>8} {'peak RSS MB':>12}")
print(f"{'unsharded night':28} {one[0]:8.1f} {one[1]:8.1f} {one[2]:12.0f}")
for i, s in enumerate(shards):
    print(f"{'  shard %d/%d' % (i, n):28} {s[0]:8.1f} {s[1]:8.1f} {s[2]:12.0f}")
print(f"{'shards summed':28} {shard_cpu:8.1f}")
print(f"{'merge':28} {merge[0]:8.1f} {merge[1]:8.1f} {merge[2]:12.0f}")
print(f"shards' CPU / unsharded CPU: {shard_cpu / one[0]:.2f} (target <= 1.1)")
print(f"(shards + merge) CPU / unsharded CPU: {(shard_cpu + merge[0]) / one[0]:.2f}")
print(f"merge's share of the sharded CPU: {100 * merge[0] / (shard_cpu + merge[0]):.1f} % (target <= 5 %)")
def rows(d):
    c = sqlite3.connect(os.path.join(work, d, "nightly.gpkg"))
    skip = {"started_utc", "finished_utc", "out_dir", "at_utc", "recorded_utc"}
    out = {}
    for (tb,) in c.execute("SELECT table_name FROM gpkg_contents"):
        cols = [r[1] for r in c.execute(f"PRAGMA table_info('{tb}')") if r[1] not in skip]
        out[tb] = sorted(map(repr, c.execute("SELECT " + ",".join(f'"{x}"' for x in cols) + f' FROM "{tb}"')))
    return out
def state(d):
    root = os.path.join(work, d, "state")
    g = sorted(x for x in os.listdir(root) if x.startswith("gen-"))[-1]
    def open_(f):  # a merge's generation reads the shards' pieces through f.vrt
        p = os.path.join(root, g, f + ".tif")
        return gdal.Open(p if os.path.exists(p) else p[:-4] + ".vrt")
    return {f: hashlib.sha256(open_(f).ReadAsArray().tobytes()).hexdigest()
            for f in ("reflectance", "landuse", "observed")}
print("database rows identical:", rows("one") == rows("."), "; state identical:", state("one") == state("."))
PY
