#!/usr/bin/env bash
# Sets up, builds, and runs the monitoring pipeline on the bundled sample (pipelines/sample.yaml).
# Outputs go to out/sample/ (the command prints them).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh farmwatch
build/farmwatch run pipelines/sample.yaml -v "$@"
# What an analyst sees next: the patches in the monitoring database the run wrote to.
build/farmwatch patches --db out/farmwatch.gpkg
