#!/usr/bin/env bash
# Benchmark: per-parcel statistics of a 5490x5490 class map over 100,000 generated parcels,
# farmwatch zonal (exact coverage-weighted class areas) against otbcli_ZonalStatistics
# (centre-of-cell count/mean/std/min/max), alternately, RUNS times each, in one run.
#   scripts/bench/bench_zonal.sh [RUNS] [SIZE] [PARCELS]
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-3}
size=${2:-5490}
n=${3:-100000}
work=${BENCH_DIR:-$(mktemp -d /tmp/farmwatch-bench.XXXXXX)}
export GDAL_NUM_THREADS=2
cls=$work/classes_${size}.tif
parcels=$work/parcels_${n}.gpkg
[ -f "$parcels" ] || { echo "generating $cls and $parcels"; /usr/bin/python3 scripts/bench/make_parcels.py "$cls" "$parcels" "$size" "$n"; }
declare -A cmds
# shellcheck source=lib.sh
source scripts/bench/lib.sh
cmds[otb_zonalstatistics]="otbcli_ZonalStatistics -in $cls -inzone.vector.in $parcels -out.vector.filename $work/zs.gpkg"
cmds[farmwatch_zonal]="build/farmwatch zonal --classes $cls --parcels $parcels --id-field pid --out $work/fw.csv"
tools=(otb_zonalstatistics farmwatch_zonal)
bench_alternate
echo "farmwatch zonal / OTB ZonalStatistics: $(ratio "${med_t[farmwatch_zonal]}" "${med_t[otb_zonalstatistics]}")x wall (target <= 0.33), $(ratio "${med_r[farmwatch_zonal]}" "${med_r[otb_zonalstatistics]}")x RSS"
[ -n "${BENCH_DIR:-}" ] || rm -rf "$work"
