#!/usr/bin/env bash
# Benchmark: `farmwatch classify` against the read floor (gdalinfo -checksum) and OTB's
# BandMath computing NDVI alone, on a generated 5490x5490 4-band UInt16 scene (tiled 512,
# DEFLATE + predictor 2), as in ../shared/docs/benchmarks.md. Runs the tools alternately,
# RUNS times each, and prints median wall time, peak RSS and the ratios.
#   scripts/bench/bench_classify.sh [RUNS] [SIZE]
# Needs: build/farmwatch (scripts/setup.sh), gdal-bin, python3-gdal, otb-bin (optional),
# GNU time (package 'time').
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-3}
size=${2:-5490}
work=${BENCH_DIR:-$(mktemp -d /tmp/farmwatch-bench.XXXXXX)}
scene=$work/scene_${size}.tif
export GDAL_NUM_THREADS=2
[ -f "$scene" ] || { echo "generating $scene"; /usr/bin/python3 scripts/bench/make_scene.py "$scene" "$size"; }
ls -l "$scene"

declare -A cmds
# shellcheck source=lib.sh
source scripts/bench/lib.sh
cmds[read_floor]="gdalinfo -checksum $scene"
cmds[farmwatch_classify]="build/farmwatch classify --in $scene --out $work/cls.tif -q"
tools=(read_floor farmwatch_classify)
if command -v otbcli_BandMath > /dev/null; then
  cmds[otb_bandmath_ndvi]="otbcli_BandMath -il $scene -out $work/ndvi.tif?&gdal:co:TILED=YES&gdal:co:COMPRESS=DEFLATE float -exp (im1b4-im1b3)/(im1b4+im1b3+1e-9)"
  tools+=(otb_bandmath_ndvi)
else
  echo "otbcli_BandMath not found (apt-get install otb-bin): OTB left out"
fi

bench_alternate
echo "farmwatch classify / read floor: $(ratio "${med_t[farmwatch_classify]}" "${med_t[read_floor]}")x wall (target <= 2), peak RSS $(echo "${med_r[farmwatch_classify]} / 1024" | bc) MB (target <= 300)"
if [ -n "${med_t[otb_bandmath_ndvi]:-}" ]; then
  echo "farmwatch classify / OTB BandMath NDVI: $(ratio "${med_t[farmwatch_classify]}" "${med_t[otb_bandmath_ndvi]}")x wall, $(ratio "${med_r[farmwatch_classify]}" "${med_r[otb_bandmath_ndvi]}")x RSS"
fi
[ -n "${BENCH_DIR:-}" ] || rm -rf "$work"
