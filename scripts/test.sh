#!/usr/bin/env bash
# Sets up, builds, and runs the test suite (labels: unit, integration, realdata).
# realdata tests read ../shared/data and skip with a message when it is absent.
# Extra arguments go to ctest, e.g. scripts/test.sh -L unit
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cd build
ctest --output-on-failure -j "$(nproc)" "$@"
