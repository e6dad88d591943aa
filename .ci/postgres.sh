#!/usr/bin/env bash
# Starts a throwaway PostgreSQL on loopback for the test suite and prints
# its URL. Usage: .ci/postgres.sh start|stop
set -euo pipefail
PGDIR=${TIERLINK_PG_DIR:-/tmp/tierlink-pg}
PORT=${TIERLINK_PG_PORT:-54329}
BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -n "$BIN" ] || { echo "postgres.sh: no PostgreSQL server installed (apt-get install postgresql)" >&2; exit 1; }
run() { if [ "$(id -u)" = 0 ]; then su postgres -s /bin/sh -c "$*"; else sh -c "$*"; fi; }
case "${1:-start}" in
start)
  if [ ! -f "$PGDIR/PG_VERSION" ]; then
    mkdir -p "$PGDIR"; [ "$(id -u)" = 0 ] && chown postgres "$PGDIR"
    run "$BIN/initdb -D $PGDIR -U tierlink --auth=trust -E UTF8 --locale=C.UTF-8" >/dev/null
  fi
  if ! run "$BIN/pg_ctl -D $PGDIR status" >/dev/null 2>&1; then
    run "$BIN/pg_ctl -D $PGDIR -l $PGDIR/log -w -o \"-h 127.0.0.1 -p $PORT -k /tmp -c max_connections=300 -c fsync=off\" start" >/dev/null
  fi
  echo "postgres://tierlink@127.0.0.1:$PORT/postgres?sslmode=disable"
  ;;
stop)
  run "$BIN/pg_ctl -D $PGDIR -m fast stop" >/dev/null 2>&1 || true
  ;;
esac
