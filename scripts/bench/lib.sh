# Shared by the benchmark scripts: run tools alternately and report medians.
# Callers set: runs, work, tools (array of names), cmds (assoc array name -> command line).
# After bench_alternate: med_t[name] (median wall s) and med_r[name] (median peak RSS KB).

# scene_pair: the two generated Sentinel-2-like dates of $size² pixels in $work (made once; the
# later one with $changed of the fields changed) as $a and $b, and the area's grid keys as $common.
scene_pair() {
  a=$work/S2_20240315_${size}.tif
  b=$work/S2_20240820_${size}_${changed}.tif
  [ -f "$a" ] || /usr/bin/python3 scripts/bench/make_scene.py "$a" "$size"
  [ -f "$b" ] || /usr/bin/python3 scripts/bench/make_scene.py "$b" "$size" "$changed"
  local extent="[300000, $((3600000 - size * 10)), $((300000 + size * 10)), 3600000]"
  common="grid: {crs: \"EPSG:32650\", resolution: 10, extent: $extent}
classification: $PWD/pipelines/rules/landuse_rules.yaml
change_rules: $PWD/pipelines/rules/change_rules.yaml"
}

# area_yaml: $work/area.yaml, a nightly area over that grid with its folders in $work, no tiles.
area_yaml() {
  cat > "$work/area.yaml" <<YAML
inbox: [$work/inbox]
state: $work/state
publish: $work/publish
database: $work/nightly.gpkg
tiles: false
$common
YAML
}

ratio() { echo "scale=2; $1 / $2" | bc -l; }
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

bench_alternate() {
  declare -gA med_t med_r
  local -A times rss
  local i t s kb
  for ((i = 1; i <= runs; i++)); do
    for t in "${tools[@]}"; do
      # Word-split on purpose: the commands hold no spaces inside arguments.
      # shellcheck disable=SC2086
      /usr/bin/time -f "%e %M" -o "$work/time.txt" ${cmds[$t]} > /dev/null 2>&1
      read -r s kb < "$work/time.txt"
      times[$t]+="$s "
      rss[$t]+="$kb "
    done
  done
  printf "%-22s %10s %12s\n" tool "wall (s)" "peak RSS MB"
  for t in "${tools[@]}"; do
    med_t[$t]=$(echo "${times[$t]}" | median)
    med_r[$t]=$(echo "${rss[$t]}" | median)
    printf "%-22s %10.2f %12.0f   (runs: %s)\n" "$t" "${med_t[$t]}" "$(echo "${med_r[$t]} / 1024" | bc -l)" "${times[$t]}"
  done
}
