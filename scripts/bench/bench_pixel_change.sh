#!/usr/bin/env bash
# Benchmark: change on two very-high-resolution RGB PNGs with no georeference (SIZE², default
# 4096², 0.5 m houses on grass, generated here), `farmwatch change` (new buildings on the pixel
# grid) beside the read floor (`gdalinfo -checksum` of both PNGs) and the CVA+Otsu baseline of
# ../shared/docs/benchmarks.md in numpy, alternately, RUNS times each; medians and ratios.
#   scripts/bench/bench_pixel_change.sh [RUNS] [SIZE]
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-3}
size=${2:-4096}
work=${BENCH_DIR:-$(mktemp -d /tmp/farmwatch-bench.XXXXXX)}
a=$work/A_${size}.png
b=$work/B_${size}.png
[ -f "$b" ] || /usr/bin/python3 - "$a" "$b" "$size" <<'PY'
import sys
import numpy as np
from osgeo import gdal
a_path, b_path, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
rng = np.random.default_rng(7)
def scene(houses, gain, offset, seed):
    r = np.random.default_rng(seed)
    img = np.empty((3, n, n), np.float32)
    for k, g in enumerate((72, 104, 52)):
        img[k] = g + r.normal(0, 9, (n, n))
    for (c, w, h) in houses:
        x, y = c
        img[:, y + 4:y + h + 4, x + 4:x + w + 4] = 28  # shadow to the south-east
        img[:, y:y + h, x:x + w] = 150
    return np.clip(gain * img + offset, 0, 255).astype(np.uint8)
def houses(count):
    return [((int(rng.integers(0, n - 60)), int(rng.integers(0, n - 60))),
             int(rng.integers(20, 40)), int(rng.integers(16, 32))) for _ in range(count)]
old, new = houses(n * n // 40000), houses(n * n // 40000)
for path, img in ((a_path, scene(old, 1.0, 0, 1)), (b_path, scene(old + new, 0.8, 25, 2))):
    mem = gdal.GetDriverByName("MEM").Create("", n, n, 3, gdal.GDT_Byte)
    for k in range(3):
        mem.GetRasterBand(k + 1).WriteArray(img[k])
    gdal.GetDriverByName("PNG").CreateCopy(path, mem)
PY
ls -l "$a" "$b"
declare -A cmds
# shellcheck source=lib.sh
source scripts/bench/lib.sh
printf 'gdalinfo -checksum "%s" && gdalinfo -checksum "%s"\n' "$a" "$b" > "$work/read_floor.sh"
cmds[read_floor]="bash $work/read_floor.sh"
cmds[cva_otsu_numpy]="/usr/bin/python3 scripts/bench/cva_otsu.py $a $b $work/cva.tif"
cmds[farmwatch_change]="build/farmwatch change --before $a --after $b --out $work/fw -q"
tools=(read_floor cva_otsu_numpy farmwatch_change)
bench_alternate
echo "farmwatch change / read floor: $(ratio "${med_t[farmwatch_change]}" "${med_t[read_floor]}")x wall;" \
  "/ CVA+Otsu in numpy: $(ratio "${med_t[farmwatch_change]}" "${med_t[cva_otsu_numpy]}")x wall," \
  "$(ratio "${med_r[farmwatch_change]}" "${med_r[cva_otsu_numpy]}")x RSS"
