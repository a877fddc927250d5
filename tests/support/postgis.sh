#!/usr/bin/env bash
# Starts or stops a throw-away PostgreSQL + PostGIS server for the database tests.
#   tests/support/postgis.sh start DIR   -> writes DIR/connection ("PG:..."), or DIR/skipped
#                                           with the reason when the packages are missing
#   tests/support/postgis.sh stop DIR
# The server listens only on a Unix socket in DIR; it runs as the 'postgres' user when started
# by root (PostgreSQL refuses to run as root).
set -euo pipefail
action=$1
dir=$(realpath -m "$2")
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)

as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "$action" in
start)
  rm -rf "$dir" && mkdir -p "$dir"
  if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
    echo "PostgreSQL is not installed (Debian: postgresql)" > "$dir/skipped"; exit 0
  fi
  version=$(basename "$(dirname "$bin")")
  if ! ls /usr/share/postgresql/"$version"/extension/postgis.control > /dev/null 2>&1; then
    echo "PostGIS is not installed (Debian: postgresql-$version-postgis-3)" > "$dir/skipped"; exit 0
  fi
  [ "$(id -u)" -eq 0 ] && chown postgres "$dir"
  as_owner "$bin/initdb" -D "$dir/data" -U farmwatch -A trust > "$dir/initdb.log" 2>&1
  as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
    -o "-k $dir -c listen_addresses='' -c fsync=off" start > /dev/null
  as_owner "$bin/createdb" -h "$dir" -U farmwatch farmwatch_test
  as_owner "$bin/psql" -q -h "$dir" -U farmwatch -d farmwatch_test \
    -c "CREATE EXTENSION postgis" > /dev/null
  echo "PG:host=$dir dbname=farmwatch_test user=farmwatch" > "$dir/connection"
  ;;
stop)
  if [ -n "$bin" ] && [ -d "$dir/data" ]; then
    as_owner "$bin/pg_ctl" -D "$dir/data" -m fast stop > /dev/null 2>&1 || true
  fi
  ;;
*)
  echo "usage: $0 start|stop DIR" >&2; exit 2
  ;;
esac
