#!/usr/bin/env bash
# Stops the throwaway PostgreSQL cluster started by scripts/start-postgres.sh.
# Same environment: DROVER_PG_DIR (default /tmp/drover-pg), DROVER_PG_BIN.
# The cluster's files stay; remove DROVER_PG_DIR to start from scratch next time.
set -euo pipefail

pg_dir=${DROVER_PG_DIR:-/tmp/drover-pg}
bin=${DROVER_PG_BIN:-/usr/lib/postgresql/15/bin}
data="$pg_dir/data"

die() {
  echo "stop-postgres: error: $*" >&2
  exit 1
}

[ -x "$bin/pg_ctl" ] || die "$bin/pg_ctl not found; install postgresql-15 or set DROVER_PG_BIN"
if [ ! -f "$data/PG_VERSION" ]; then
  echo "stop-postgres: no cluster in $data; nothing to stop" >&2
  exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
  as_owner() { runuser -u postgres -- "$@"; }
else
  as_owner() { "$@"; }
fi

if ! as_owner "$bin/pg_ctl" --pgdata="$data" status >/dev/null 2>&1; then
  echo "stop-postgres: the cluster in $data is not running" >&2
  exit 0
fi
as_owner "$bin/pg_ctl" --pgdata="$data" --mode=fast --wait stop >&2 || die "pg_ctl stop failed for $data"
echo "stop-postgres: stopped the cluster in $data" >&2
