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
cmds[read_floor]="gdalinfo -checksum $scene"
cmds[farmwatch_classify]="build/farmwatch classify --in $scene --out $work/cls.tif -q"
tools=(read_floor farmwatch_classify)
if command -v otbcli_BandMath > /dev/null; then
  cmds[otb_bandmath_ndvi]="otbcli_BandMath -il $scene -out $work/ndvi.tif?&gdal:co:TILED=YES&gdal:co:COMPRESS=DEFLATE float -exp (im1b4-im1b3)/(im1b4+im1b3+1e-9)"
  tools+=(otb_bandmath_ndvi)
else
  echo "otbcli_BandMath not found (apt-get install otb-bin): OTB left out"
fi

declare -A times rss
for ((i = 1; i <= runs; i++)); do
  for t in "${tools[@]}"; do
    # Word-split on purpose: the commands above hold no spaces inside arguments.
    # shellcheck disable=SC2086
    /usr/bin/time -f "%e %M" -o "$work/time.txt" ${cmds[$t]} > /dev/null 2>&1
    read -r s kb < "$work/time.txt"
    times[$t]+="$s "
    rss[$t]+="$kb "
  done
done

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
printf "%-22s %10s %12s\n" tool "wall (s)" "peak RSS MB"
declare -A med_t med_r
for t in "${tools[@]}"; do
  med_t[$t]=$(echo "${times[$t]}" | median)
  med_r[$t]=$(echo "${rss[$t]}" | median)
  printf "%-22s %10.2f %12.0f   (runs: %s)\n" "$t" "${med_t[$t]}" "$(echo "${med_r[$t]} / 1024" | bc -l)" "${times[$t]}"
done
ratio() { echo "scale=2; $1 / $2" | bc -l; }
echo "farmwatch classify / read floor: $(ratio "${med_t[farmwatch_classify]}" "${med_t[read_floor]}")x wall (target <= 2), peak RSS $(echo "${med_r[farmwatch_classify]} / 1024" | bc) MB (target <= 300)"
if [ -n "${med_t[otb_bandmath_ndvi]:-}" ]; then
  echo "farmwatch classify / OTB BandMath NDVI: $(ratio "${med_t[farmwatch_classify]}" "${med_t[otb_bandmath_ndvi]}")x wall, $(ratio "${med_r[farmwatch_classify]}" "${med_r[otb_bandmath_ndvi]}")x RSS"
fi
[ -n "${BENCH_DIR:-}" ] || rm -rf "$work"
