#!/usr/bin/env bash
# A PostgreSQL for the tests and the checkers, on any machine.
#
#   scripts/test-postgres.sh [url [DATABASE]]
#       Prints the URL of a server that takes the user `postgres` without a
#       password (naming DATABASE, default `postgres`):
#       $LATCHKEY_TEST_POSTGRES_URL when set; else 127.0.0.1:5432 when it
#       accepts that user; else this checkout's private cluster, started
#       (and Debian's `postgresql` installed, when root) if need be.
#   scripts/test-postgres.sh start
#       Starts the private cluster if it is not running; prints its URL.
#   scripts/test-postgres.sh stop
#       Stops the private cluster and removes its folder.
#
# The private cluster: trust authentication, 127.0.0.1 only, a free port
# chosen when it starts, in a temporary folder of this checkout's own
# ($LATCHKEY_TEST_POSTGRES_DIR, default /tmp/latchkey-test-postgres-UID-HASH).
# It is started once and shared: the test harness (tenants/src/testing) runs
# `start` from every test process, and a lock makes them wait for the first.
# It keeps running after the tests, so the next run starts at once; `stop`
# ends it. Its data is scratch (fsync off): only test databases live there.
#
# Fails (exit 1, saying why) when no PostgreSQL can be had: a missing
# PostgreSQL fails the tests, it never skips them.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"

die() { echo "test-postgres: $*" >&2; exit 1; }

# The same URL with another database, keeping any ?parameters.
with_database() {
  local url="$1" database="$2" query=""
  case "$url" in *\?*) query="?${url#*\?}"; url="${url%%\?*}" ;; esac
  local rest="${url#*://}"
  printf '%s://%s/%s%s\n' "${url%%://*}" "${rest%%/*}" "$database" "$query"
}

accepts() {  # URL: the server answers a query as that user
  command -v psql >/dev/null 2>&1 && PGCONNECT_TIMEOUT=3 psql "$1" -Atqc 'select 1' >/dev/null 2>&1
}

folder="${LATCHKEY_TEST_POSTGRES_DIR:-/tmp/latchkey-test-postgres-$(id -u)-$(printf %s "$root" | cksum | cut -d' ' -f1)}"
data="$folder/data"

bindir() {
  local dir
  dir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
  if [ -n "$dir" ] && [ -x "$dir/initdb" ]; then echo "$dir"; return; fi
  command -v pg_config >/dev/null 2>&1 && dir="$(pg_config --bindir)" && [ -x "$dir/initdb" ] && { echo "$dir"; return; }
  return 1
}

# PostgreSQL refuses to run as root: as root its programs run as the
# `postgres` user Debian's package creates, who must own the data folder.
as_server() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

running_url() {  # the URL of the private cluster when it runs
  [ -f "$folder/port" ] && [ -f "$data/PG_VERSION" ] || return 1
  as_server "$1/pg_ctl" -D "$data" status >/dev/null 2>&1 || return 1
  echo "postgres://postgres@127.0.0.1:$(cat "$folder/port")/postgres"
}

start() {
  mkdir -p "$folder"
  exec 9>"$folder/lock"
  flock 9
  local bin
  if ! bin="$(bindir)"; then
    [ "$(id -u)" -eq 0 ] || die "PostgreSQL is not installed. Install Debian's \`postgresql\` (apt-get install postgresql) or set LATCHKEY_TEST_POSTGRES_URL to a server that takes CREATE DATABASE."
    echo "test-postgres: installing Debian's postgresql" >&2
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql; } >&2 \
      || die "apt-get install postgresql failed"
    bin="$(bindir)" || die "postgresql is installed but its initdb was not found under /usr/lib/postgresql"
  fi
  if running_url "$bin"; then return; fi

  if [ "$(id -u)" -eq 0 ]; then
    id postgres >/dev/null 2>&1 || die "there is no \`postgres\` user to run PostgreSQL as (Debian's postgresql package creates it)"
    chmod 755 "$folder"
  fi
  if [ ! -f "$data/PG_VERSION" ]; then
    echo "test-postgres: creating a private cluster in $data" >&2
    rm -rf "$data"
    mkdir -p "$data"
    [ "$(id -u)" -ne 0 ] || chown postgres: "$data"
    as_server "$bin/initdb" -D "$data" -U postgres -A trust -E UTF8 --locale=C --no-sync >"$folder/initdb.log" 2>&1 \
      || { cat "$folder/initdb.log" >&2; die "initdb failed"; }
  fi
  mkdir -p "$folder/socket"
  [ "$(id -u)" -ne 0 ] || chown postgres: "$folder/socket"
  : >"$folder/server.log"
  [ "$(id -u)" -ne 0 ] || chown postgres: "$folder/server.log"
  # A port free now may be taken before the server binds it: then try another.
  local port
  for _ in 1 2 3 4 5; do
    port=$((20000 + RANDOM % 40000))
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && continue
    # The tests run many databases and connections at once. `9>&-`: the
    # server would otherwise inherit the lock and hold it for good.
    if as_server "$bin/pg_ctl" -D "$data" -l "$folder/server.log" -w -t 60 start \
        -o "-p $port -c listen_addresses=127.0.0.1 -k $folder/socket -c max_connections=300 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
        >/dev/null 2>&1 9>&-; then
      echo "$port" >"$folder/port"
      running_url "$bin"
      return
    fi
  done
  cat "$folder/server.log" >&2
  die "the private cluster in $data did not start"
}

stop() {
  [ -d "$folder" ] || return 0
  exec 9>"$folder/lock"
  flock 9
  local bin
  if [ -f "$data/PG_VERSION" ] && bin="$(bindir)"; then
    as_server "$bin/pg_ctl" -D "$data" -m fast -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$folder"
}

case "${1:-url}" in
  url)
    database="${2:-postgres}"
    if [ -n "${LATCHKEY_TEST_POSTGRES_URL:-}" ]; then
      url="$LATCHKEY_TEST_POSTGRES_URL"
    elif accepts "postgres://postgres@127.0.0.1:5432/postgres"; then
      url="postgres://postgres@127.0.0.1:5432/postgres"
    else
      url="$(start)"
    fi
    with_database "$url" "$database"
    ;;
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 [url [DATABASE]|start|stop]" >&2; exit 2 ;;
esac
