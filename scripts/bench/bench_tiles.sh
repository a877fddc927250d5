#!/usr/bin/env bash
# Benchmark of the one map's tiles (../shared/docs/benchmarks.md):
#  1. Web Mercator XYZ tiles z8-14 of the 5490² class map of a generated Sentinel-2-like scene:
#     `farmwatch tiles` against `gdal2tiles.py --xyz -z 8-14 --processes=2 -r near`, run
#     alternately RUNS times; median wall time, peak RSS, tiles and bytes, and the ratio.
#  2. A province-sized class map (PROVINCE_SIZE², default 40000², 10 m): every level from z8
#     to full resolution, both grids; time and peak RSS (target <= 1 GB).
#  3. Incremental: the same map with a tenth of its area changed (a new scene), tiles updated
#     with --previous; tiles rendered and time against the full render.
#   scripts/bench/bench_tiles.sh [RUNS] [PROVINCE_SIZE|0]
# Needs: build/farmwatch (scripts/setup.sh), gdal-bin, python3-gdal, GNU time, bc.
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-3}
province=${2:-40000}
work=${BENCH_DIR:-$(mktemp -d /tmp/farmwatch-bench.XXXXXX)}
export GDAL_NUM_THREADS=2
fw=$PWD/build/farmwatch
scene=$work/scene_5490.tif
[ -f "$scene" ] || /usr/bin/python3 scripts/bench/make_scene.py "$scene" 5490
[ -f "$work/cls.tif" ] || "$fw" classify --in "$scene" --out "$work/cls.tif" -q > /dev/null
[ -f "$work/cls.vrt" ] || gdal_translate -q -of vrt -expand rgba "$work/cls.tif" "$work/cls.vrt"

# Each tool starts from an empty output folder.
cat > "$work/fw.sh" <<EOS
rm -rf $work/fw && exec $fw tiles --in $work/cls.tif --out $work/fw --grid webmercator --min-zoom 8 --max-zoom 14 -q
EOS
cat > "$work/g2t.sh" <<EOS
rm -rf $work/g2t && exec gdal2tiles.py --xyz -z 8-14 --processes=2 -r near $work/cls.vrt $work/g2t/
EOS
declare -A cmds
# shellcheck source=lib.sh
source scripts/bench/lib.sh
cmds[farmwatch_tiles]="bash $work/fw.sh"
cmds[gdal2tiles]="bash $work/g2t.sh"
tools=(farmwatch_tiles gdal2tiles)
bench_alternate
count() { find "$1" -name "*.png" | wc -l; }
bytes() { find "$1" -name "*.png" -printf "%s\n" | awk '{s+=$1} END {print s}'; }
echo "gdal2tiles / farmwatch tiles: $(ratio "${med_t[gdal2tiles]}" "${med_t[farmwatch_tiles]}")x faster (target >= 10)"
echo "tiles: farmwatch $(count "$work/fw") ($(bytes "$work/fw") bytes, palette PNG), gdal2tiles $(count "$work/g2t") ($(bytes "$work/g2t") bytes, RGBA PNG)"

if [ "$province" != 0 ]; then
  # The same layer name on both nights: tiles are updated in place of the previous set.
  mkdir -p "$work/night1" "$work/night2"
  map=$work/night1/province.tif
  [ -f "$map" ] || /usr/bin/python3 scripts/bench/make_class_map.py "$map" "$province"
  rm -rf "$work/prov"
  /usr/bin/time -f "%e %M" -o "$work/prov_time.txt" "$fw" tiles --in "$map" --out "$work/prov" --min-zoom 8
  read -r s kb < "$work/prov_time.txt"
  echo "province ${province}²: z8 to full resolution, both grids: ${s} s, peak RSS $((kb / 1024)) MB (target <= 1024), $(find "$work/prov" -name "*.png" | wc -l) tiles"
  edited=$work/night2/province.tif
  [ -f "$edited" ] || /usr/bin/python3 scripts/bench/make_class_map.py "$edited" "$province" --edit 0.1
  /usr/bin/time -f "%e %M" -o "$work/inc_time.txt" "$fw" tiles --in "$edited" --out "$work/prov" --min-zoom 8 --previous "$map" > "$work/inc.txt"
  read -r si kbi < "$work/inc_time.txt"
  cat "$work/inc.txt"
  echo "incremental (a tenth of the area changed): ${si} s against ${s} s for the full render ($(ratio "$si" "$s")x), peak RSS $((kbi / 1024)) MB"
fi
[ -n "${BENCH_DIR:-}" ] || rm -rf "$work"
