#!/usr/bin/env bash
# One run against the same run as N shards on Slurm (issue 16): a generated two-date area of
# SIZE² pixels (default 21960: 4 Sentinel-2 tiles of 10980², 10 % of the fields changed; no
# farmland), run once unsharded and once through scripts/slurm/run.sh with N shards (default 8)
# on the throw-away local cluster (scripts/slurm/local; root). On 2 cores this measures the
# overhead of sharding, not its speed-up. Prints, side by side:
#   CPU seconds (user + system) and wall of the unsharded run; of each shard, summed; of the merge
#   the ratio shards' CPU / unsharded CPU (target <= 1.1) and the merge's share of the sharded
#   total (target <= 5 %), the peak RSS of a shard and of the merge, and whether the published
#   outputs are identical (every file's SHA-256; summary.json without timings and paths).
#   scripts/bench/bench_sharding.sh [N] [SIZE]
# BENCH_DIR keeps the scenes between runs. Needs build/farmwatch, python3-gdal, GNU time, Slurm.
set -euo pipefail
cd "$(dirname "$0")/../.."
n=${1:-8}
size=${2:-21960}
src=$PWD
work=${BENCH_DIR:-$(mktemp -d /tmp/farmwatch-shard-bench.XXXXXX)}
mkdir -p "$work"
fw=$PWD/build/farmwatch
# The same bytes for the same inputs: report.html and map.js show this time, not the clock.
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-1700000000}
[ -f "$work/before_$size.tif" ] || /usr/bin/python3 scripts/bench/make_scene.py "$work/before_$size.tif" "$size"
[ -f "$work/after_$size.tif" ] || /usr/bin/python3 scripts/bench/make_scene.py "$work/after_$size.tif" "$size" 0.1
cat > "$work/pipeline.yaml" <<YAML
name: shard-bench
dates:
  - {date: 2024-03-15, image: before_$size.tif}
  - {date: 2024-08-20, image: after_$size.tif}
classification: $src/pipelines/rules/landuse_rules.yaml
change_rules: $src/pipelines/rules/change_rules.yaml
database: none
outputs: {dir: out}
YAML
rm -rf "$work/one" "$work/sharded" "$work/times"
mkdir -p "$work/times"
# Every farmwatch process of the sharded run is timed by this wrapper (user, system, wall, RSS).
cat > "$work/timed-farmwatch" <<SH
#!/bin/sh
exec /usr/bin/time -f "%U %S %e %M" -o "$work/times/\$(echo "\$*" | grep -oE 'shard [0-9]+/[0-9]+|merge' | tr ' /' '__').txt" "$fw" "\$@"
SH
chmod +x "$work/timed-farmwatch"

echo "== unsharded: farmwatch run ($size² x 2 dates)"
/usr/bin/time -f "%U %S %e %M" -o "$work/times/one.txt" "$fw" run "$work/pipeline.yaml" \
  --out "$work/one/out" -q > /dev/null

echo "== $n shards + merge on the local Slurm cluster"
export SLURM_LOCAL_DIR=$work/cluster SLURM_LOCAL_SKIP_INSTALL=1
eval "$(scripts/slurm/local/start-local-slurm.sh | grep '^export SLURM_CONF=')"
trap 'scripts/slurm/local/stop-local-slurm.sh > /dev/null' EXIT
start=$(date +%s.%N)
FARMWATCH=$work/timed-farmwatch FARMWATCH_LOGS=$work/logs FARMWATCH_CPUS_PER_TASK=1 \
  scripts/slurm/run.sh "$work/pipeline.yaml" "$n" --out "$work/sharded/out" -q > /dev/null ||
  echo "== scripts/slurm/run.sh failed; the figures below are of the processes that ran"
sharded_wall=$(echo "$(date +%s.%N) - $start" | bc)

/usr/bin/python3 - "$work" "$n" "$sharded_wall" <<'PY'
import glob, hashlib, json, os, sys
work, n, sharded_wall = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
def t(name):
    u, s, e, kb = open(os.path.join(work, "times", name + ".txt")).read().split()[-4:]
    return float(u) + float(s), float(e), int(kb) / 1024
one_cpu, one_wall, one_mb = t("one")
shards = [t(f"shard_{i}_{n}") for i in range(n)]
merge_cpu, merge_wall, merge_mb = t("merge")
shard_cpu = sum(s[0] for s in shards)
total = shard_cpu + merge_cpu
print(f"{'':34} {'CPU s':>9} {'wall s':>9} {'peak RSS MB':>12}")
print(f"{'unsharded run':34} {one_cpu:9.1f} {one_wall:9.1f} {one_mb:12.0f}")
for i, (c, e, mb) in enumerate(shards):
    print(f"{'  shard %d/%d' % (i, n):34} {c:9.1f} {e:9.1f} {mb:12.0f}")
print(f"{'shards summed':34} {shard_cpu:9.1f} {'':9} {max(s[2] for s in shards):12.0f} (largest)")
print(f"{'merge':34} {merge_cpu:9.1f} {merge_wall:9.1f} {merge_mb:12.0f}")
print(f"{'sharded run, wall through Slurm':34} {'':9} {sharded_wall:9.1f}")
print(f"shards' CPU / unsharded CPU: {shard_cpu / one_cpu:.2f} (target <= 1.1)")
print(f"(shards + merge) CPU / unsharded CPU: {total / one_cpu:.2f}")
print(f"merge's share of the sharded CPU: {100 * merge_cpu / total:.1f} % (target <= 5 %)")
def digest(folder):
    out = {}
    for p in glob.glob(os.path.join(folder, "**"), recursive=True):
        if os.path.isfile(p):
            data = open(p, "rb").read()
            if p.endswith("summary.json"):
                s = json.loads(data)
                for k in ("timings_s", "threads", "database"):
                    s.pop(k, None)
                s["outputs"].pop("dir", None)
                data = json.dumps(s, sort_keys=True).encode()
            out[os.path.relpath(p, folder)] = hashlib.sha256(data).hexdigest()
    return out
a, b = digest(os.path.join(work, "one", "out")), digest(os.path.join(work, "sharded", "out"))
differ = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
print(f"published outputs: {len(a)} files, " + ("identical" if not differ else f"DIFFER: {differ[:10]}"))
PY
