#!/usr/bin/env bash
# The viewer in a real browser (playwright-core driving Debian's chromium, headless): on the
# generated fixture, then on the sample's own run output; screenshots against the goldens in
# viewer/test/golden/. Skips (exit 77) without /usr/bin/chromium.
#   tests/viewer/run.sh FARMWATCH SOURCE_DIR BUILD_VIEWER_DIR
set -euo pipefail
fw=$1 src=$2 bundle=$3
if [ ! -x /usr/bin/chromium ]; then
  echo "SKIP: /usr/bin/chromium is not installed (scripts/setup.sh installs it)"
  exit 77
fi
work=$(mktemp -d /tmp/farmwatch-viewer.XXXXXX)
trap 'rm -rf "$work"' EXIT
cd "$src/viewer"
node test/make_fixture.mjs "$work/fixture" --dist "$bundle"
node test/viewer.test.mjs "$work/fixture" "$work/shots-fixture" --golden fixture
# The sample: the same run a new user makes (fresh database, fixed clock).
SOURCE_DATE_EPOCH=1700000000 "$fw" run "$src/pipelines/sample.yaml" --out "$work/sample" \
  --db "$work/sample.gpkg" -q
node test/viewer.test.mjs "$work/sample" "$work/shots-sample" --golden sample
