# Shared by the benchmark scripts: run tools alternately and report medians.
# Callers set: runs, work, tools (array of names), cmds (assoc array name -> command line).
# After bench_alternate: med_t[name] (median wall s) and med_r[name] (median peak RSS KB).

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
