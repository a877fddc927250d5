#!/usr/bin/env bash
# Golden test: runs the bundled sample pipeline, normalises its outputs and database
# (tests/golden/normalise.py) and compares them byte for byte with tests/golden/sample/.
#   tests/golden/check.sh FARMWATCH_EXE            compare (the ctest `golden_sample`)
#   tests/golden/check.sh FARMWATCH_EXE --update   regenerate the goldens (say why in the commit)
set -euo pipefail
exe=$1
here="$(cd "$(dirname "$0")" && pwd)"
source_dir="$(cd "$here/../.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# A fixed clock: map.js and the GeoPackages carry the time of the run.
SOURCE_DATE_EPOCH=1700000000 "$exe" run "$source_dir/pipelines/sample.yaml" --out "$work/out" --db "$work/farmwatch.gpkg" \
  --threads 2 -q > /dev/null
/usr/bin/python3 "$here/normalise.py" "$work/out" "$work/farmwatch.gpkg" "$work/normalised" \
  --source "$source_dir"
if [ "${2:-}" = "--update" ]; then
  rm -rf "$here/sample"
  cp -r "$work/normalised" "$here/sample"
  echo "goldens written to $here/sample"
  exit 0
fi
if ! diff -r "$here/sample" "$work/normalised" > "$work/diff.txt"; then
  head -c 20000 "$work/diff.txt"
  echo "golden_sample: the sample run's outputs differ from tests/golden/sample (above);" \
       "if the change is intended, run tests/golden/check.sh build/farmwatch --update and say" \
       "why in the commit"
  exit 1
fi
echo "golden_sample: $(ls "$here/sample" | wc -l) normalised files identical"
