#!/usr/bin/env bash
# Installs the Debian 12 packages farmwatch needs (only those missing) and builds it in build/.
# Used by scripts/run-sample.sh and scripts/test.sh; safe to run again.
#   scripts/setup.sh [TARGET]   (default: everything, tests included)
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(build-essential cmake ninja-build pkg-config
          libgdal-dev libproj-dev libgeos-dev libopencv-dev libtbb-dev
          libboost-program-options-dev libyaml-cpp-dev nlohmann-json3-dev libgtest-dev
          gdal-bin python3-gdal python3-numpy
          postgresql postgresql-15-postgis-3)  # the database tests run on a real PostGIS too
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release > /dev/null
cmake --build build ${1:+--target "$1"}
