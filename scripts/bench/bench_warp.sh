#!/usr/bin/env bash
# Benchmark: a full Sentinel-2 tile (10980x10980, 4 bands UInt16, UTM 50N, tiled 512 DEFLATE)
# warped onto a CGCS2000 Gauss-Kruger grid (EPSG:4526, zone 38, 10 m, bilinear), by
# `farmwatch warp` and by `gdalwarp -multi -wo NUM_THREADS=ALL_CPUS`, alternately, RUNS times
# each, both writing tiled 512 DEFLATE + predictor 2. Then, once, `farmwatch classify` of the
# tile with a 20 m SCL quality layer on that grid, for its peak memory (target <= 1 GB).
#   scripts/bench/bench_warp.sh [RUNS] [SIZE]
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-3}
size=${2:-10980}
work=${BENCH_DIR:-$(mktemp -d /tmp/farmwatch-bench.XXXXXX)}
scene=$work/scene_${size}.tif
scl=$work/scl_${size}.tif
export GDAL_NUM_THREADS=2
[ -f "$scene" ] || { echo "generating $scene"; /usr/bin/python3 scripts/bench/make_scene.py "$scene" "$size"; }
[ -f "$scl" ] || /usr/bin/python3 - "$scene" "$scl" <<'PY'
import sys
import numpy as np
from osgeo import gdal
src = gdal.Open(sys.argv[1])
w, h = src.RasterXSize // 2, src.RasterYSize // 2
gt = list(src.GetGeoTransform()); gt[1] *= 2; gt[5] *= 2
ds = gdal.GetDriverByName("GTiff").Create(sys.argv[2], w, h, 1, gdal.GDT_Byte,
                                          ["TILED=YES", "COMPRESS=DEFLATE"])
ds.SetGeoTransform(gt); ds.SetProjection(src.GetProjection())
ds.GetRasterBand(1).SetDescription("SCL")
rng = np.random.default_rng(1)
for r0 in range(0, h, 512):
    n = min(512, h - r0)
    a = np.full((n, w), 4, np.uint8)  # vegetation
    for _ in range(3):  # a few clouds per strip
        c, r, rad = rng.integers(0, w), rng.integers(0, n), rng.integers(20, 80)
        yy, xx = np.ogrid[:n, :w]
        a[(yy - r) ** 2 + (xx - c) ** 2 < rad ** 2] = 9
    ds.GetRasterBand(1).WriteArray(a, 0, r0)
ds = None
PY
ls -l "$scene" "$scl"
co="-co TILED=YES -co BLOCKXSIZE=512 -co BLOCKYSIZE=512 -co COMPRESS=DEFLATE -co PREDICTOR=2 -co BIGTIFF=IF_SAFER"
declare -A cmds
# shellcheck source=lib.sh
source scripts/bench/lib.sh
cmds[gdalwarp]="gdalwarp -q -overwrite -multi -wo NUM_THREADS=ALL_CPUS -t_srs EPSG:4526 -tr 10 10 -tap -r bilinear $co $scene $work/gdalwarp.tif"
cmds[farmwatch_warp]="build/farmwatch warp --in $scene --out $work/fw.tif --crs EPSG:4526 --resolution 10"
tools=(gdalwarp farmwatch_warp)
bench_alternate
echo "farmwatch warp / gdalwarp: $(echo "scale=2; ${med_t[farmwatch_warp]} / ${med_t[gdalwarp]}" | bc -l)x wall (target <= 1.0), $(echo "scale=2; ${med_r[farmwatch_warp]} / ${med_r[gdalwarp]}" | bc -l)x RSS"
/usr/bin/time -f "%e %M" -o "$work/time.txt" build/farmwatch classify --in "$scene" --quality "$scl" \
  --crs EPSG:4526 --resolution 10 --out "$work/cls.tif" -q > /dev/null
read -r s kb < "$work/time.txt"
echo "farmwatch classify (${size}x${size} tile + 20 m SCL, warped to EPSG:4526): ${s} s, peak RSS $((kb / 1024)) MB (target <= 1024)"
[ -n "${BENCH_DIR:-}" ] || rm -rf "$work"
