#!/usr/bin/env bash
# Installs the Debian 12 packages farmwatch needs (only those missing) and builds it in build/.
# Used by scripts/run-sample.sh and scripts/test.sh; safe to run again.
#   scripts/setup.sh [TARGET]   (default: everything, tests included)
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(build-essential cmake ninja-build pkg-config
          libgdal-dev libproj-dev libgeos-dev libopencv-dev libtbb-dev
          libboost-program-options-dev libyaml-cpp-dev nlohmann-json3-dev libgtest-dev libtinyxml2-dev libssl-dev libpng-dev libsqlite3-dev
          libjpeg-dev libdeflate-dev zlib1g-dev libxlsxwriter-dev
          gdal-bin python3-gdal python3-numpy python3-yaml python3-jsonschema)
# For the tests only: the monitoring-database suite also runs on a real PostgreSQL + PostGIS.
# Without them those tests are skipped (saying why), so a failed install does not stop setup.
# The viewer's tests drive Debian's Chromium with playwright-core (viewer/package-lock.json).
# The cluster tests start a throw-away Slurm (scripts/slurm/local) from Debian's packages.
test_packages=(postgresql postgresql-15-postgis-3 chromium slurmctld slurmd slurm-client munge)

missing_of() {
  local p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || echo "$p"
  done
}
sudo_cmd=""
[ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
# Another apt/dpkg process (unattended-upgrades on a fresh machine, a second setup) holds the
# package lock for minutes: every apt-get waits for it (up to 15 min) instead of failing.
apt_get() {
  $sudo_cmd env DEBIAN_FRONTEND=noninteractive \
    apt-get -o DPkg::Lock::Timeout=900 "$@"
}
apt_install() {
  apt_get update -qq &&
    apt_get install -y -qq --no-install-recommends "$@"
}
# The web viewer is bundled at build time from npm (viewer/package-lock.json): Node.js and npm
# from Debian unless the machine already has them.
if ! command -v node > /dev/null || ! command -v npm > /dev/null; then
  packages+=(nodejs npm)
fi
mapfile -t missing < <(missing_of "${packages[@]}")
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  apt_install "${missing[@]}"
fi
if [ -z "${1:-}" ]; then
  mapfile -t missing < <(missing_of "${test_packages[@]}")
  if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing ${missing[*]} (for the PostGIS and browser tests)"
    apt_install "${missing[@]}" ||
      echo "setup: could not install ${missing[*]}; the PostGIS or viewer tests will be skipped"
  fi
fi

cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release > /dev/null
cmake --build build ${1:+--target "$1"}
