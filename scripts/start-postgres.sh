#!/usr/bin/env bash
# Starts (or reuses) a throwaway PostgreSQL 15 cluster for Drover's tests and CI.
#
#   DROVER_PG_DIR   directory holding the cluster, its unix socket and log (default /tmp/drover-pg)
#   DROVER_PG_PORT  TCP port, bound on 127.0.0.1 only (default 54329)
#   DROVER_PG_BIN   PostgreSQL programs (default /usr/lib/postgresql/15/bin)
#   DROVER_PG_LISTEN  one more address to listen on besides 127.0.0.1 (default none), e.g. the
#                   address of a bridge in a test's own network namespace
#   DROVER_PG_TRUST   with DROVER_PG_LISTEN: the network (CIDR) whose connections are trusted
#
# The cluster trusts every loopback connection: it is for tests only, never for data
# you care about (fsync is off too). It has a role `drover` owning the databases
# `drover` and `drover_test`. Running it again is harmless: a running server is
# reused. Progress goes to stderr; the last line on stdout is the test database URL:
#
#   export DROVER_TEST_POSTGRES_URL=$(scripts/start-postgres.sh | tail -1)
#
# Stop it with scripts/stop-postgres.sh.
set -euo pipefail

pg_dir=${DROVER_PG_DIR:-/tmp/drover-pg}
port=${DROVER_PG_PORT:-54329}
bin=${DROVER_PG_BIN:-/usr/lib/postgresql/15/bin}
listen_extra=${DROVER_PG_LISTEN:-}
trust_net=${DROVER_PG_TRUST:-}
data="$pg_dir/data"
log="$pg_dir/postgres.log"

say() { echo "start-postgres: $*" >&2; }
die() {
  echo "start-postgres: error: $*" >&2
  exit 1
}

[[ "$port" =~ ^[0-9]+$ ]] && ((port > 0 && port < 65536)) || die "DROVER_PG_PORT='$port' is not a TCP port number"
[[ "$pg_dir" = /* ]] || die "DROVER_PG_DIR='$pg_dir' must be an absolute path"
for prog in initdb pg_ctl pg_isready psql; do
  [ -x "$bin/$prog" ] || die "$bin/$prog not found; install postgresql-15 (scripts/install-deps.sh) or set DROVER_PG_BIN"
done
command -v flock >/dev/null || die "flock not found; install util-linux"
if [ -n "$listen_extra" ]; then
  [[ "$listen_extra" =~ ^[0-9.]+$ ]] || die "DROVER_PG_LISTEN='$listen_extra' is not an IPv4 address"
  [[ "$trust_net" =~ ^[0-9.]+/[0-9]+$ ]] || die "DROVER_PG_LISTEN needs DROVER_PG_TRUST, a network such as 10.211.0.0/24 (got '$trust_net')"
fi

# initdb and pg_ctl refuse to run as root, so root runs them as the postgres user.
if [ "$(id -u)" -eq 0 ]; then
  id postgres >/dev/null 2>&1 || die "running as root but there is no 'postgres' user; install postgresql-15"
  command -v runuser >/dev/null || die "runuser not found; install util-linux"
  as_owner() { runuser -u postgres -- "$@"; }
  superuser=postgres
else
  as_owner() { "$@"; }
  superuser=$(id -un)
fi

mkdir -p "$pg_dir" || die "cannot create DROVER_PG_DIR=$pg_dir"
if [ "$(id -u)" -eq 0 ]; then chown postgres: "$pg_dir"; fi
as_owner test -w "$pg_dir" || die "$pg_dir is not writable by the cluster owner ($superuser); choose another DROVER_PG_DIR"

# Serialize concurrent starts (e.g. parallel CI jobs) on the same directory. The server
# must not inherit this descriptor (9>&- below), or it would hold the lock forever.
exec 9>>"$pg_dir/.start.lock"
flock -w 120 9 || die "timed out waiting for another start-postgres.sh on $pg_dir"

ready() { "$bin/pg_isready" -q -h 127.0.0.1 -p "$port" -t 2; }

if ready; then
  say "reusing the server already listening on 127.0.0.1:$port"
else
  if [ ! -f "$data/PG_VERSION" ]; then
    say "creating a cluster in $data"
    as_owner "$bin/initdb" --pgdata="$data" --username="$superuser" --auth=trust --encoding=UTF8 \
      --locale=C.UTF-8 >"$pg_dir/initdb.log" 2>&1 || die "initdb failed; see $pg_dir/initdb.log"
    echo "include_if_exists = 'drover.conf'" | as_owner tee -a "$data/postgresql.conf" >/dev/null
  fi
  [ "$(cat "$data/PG_VERSION")" = 15 ] || die "$data holds a PostgreSQL $(cat "$data/PG_VERSION") cluster, not 15; remove it or choose another DROVER_PG_DIR"
  if as_owner "$bin/pg_ctl" --pgdata="$data" status >/dev/null 2>&1; then
    die "the cluster in $data is already running, but not on 127.0.0.1:$port; use its port (see $data/postmaster.pid) or stop it first with scripts/stop-postgres.sh"
  fi
  # Settings live in a file (not on a command line) so no path is ever parsed by a shell.
  # Single quotes inside a value are doubled, as postgresql.conf requires.
  quoted_dir=${pg_dir//\'/\'\'}
  listen="127.0.0.1${listen_extra:+,$listen_extra}"
  if [ -n "$trust_net" ] && ! grep -qF "host all all $trust_net trust" "$data/pg_hba.conf"; then
    echo "host all all $trust_net trust" | as_owner tee -a "$data/pg_hba.conf" >/dev/null
  fi
  printf "%s\n" \
    "listen_addresses = '$listen'" \
    "port = $port" \
    "unix_socket_directories = '$quoted_dir'" \
    "max_connections = 200" \
    "fsync = off" \
    "synchronous_commit = off" \
    "full_page_writes = off" | as_owner tee "$data/drover.conf" >/dev/null
  say "starting PostgreSQL on $listen port $port (log: $log)"
  as_owner touch "$log"
  # After a kill -9 the old server's backends can take a moment to exit and free
  # the data directory, so a refused start is retried a few times.
  started=no
  for attempt in 1 2 3 4 5; do
    if as_owner "$bin/pg_ctl" --pgdata="$data" --log="$log" --wait --timeout=60 start >&2 9>&-; then
      started=yes
      break
    fi
    say "start attempt $attempt failed; retrying"
    sleep 1
  done
  [ "$started" = yes ] || die "pg_ctl start failed; last log lines:
$(tail -n 20 "$log" 2>/dev/null)"
fi

for _ in $(seq 1 60); do
  ready && break
  sleep 0.5
done
ready || die "the server on 127.0.0.1:$port did not become ready within 30 s; see $log"

psql_super() {
  "$bin/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U "$superuser" -d postgres "$@"
}
exists() { [ "$(psql_super -tAc "$1")" = 1 ]; }

exists "SELECT 1 FROM pg_roles WHERE rolname = 'drover'" ||
  psql_super -c "CREATE ROLE drover LOGIN CREATEDB" ||
  die "cannot create role drover as $superuser on 127.0.0.1:$port (is it another server, not ours?)"
for db in drover drover_test; do
  exists "SELECT 1 FROM pg_database WHERE datname = '$db'" ||
    psql_super -c "CREATE DATABASE $db OWNER drover" || die "cannot create database $db on 127.0.0.1:$port"
done

say "ready"
echo "postgresql://drover@127.0.0.1:$port/drover_test"
