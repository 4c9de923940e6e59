#!/usr/bin/env bash
# Runs every scim2-tester check (SCIM 2.0 compliance, RFC 7643/7644) against
# a live SCIM endpoint, and ends with `N passed, N failed, N skipped`.
#
#   scripts/scim-tester.sh [sqlite|postgres] [runner options]
#       Starts target/debug/latchkey on a free port with a fresh database (a
#       temporary SQLite file, or a throw-away PostgreSQL database on the
#       server scripts/test-postgres.sh finds or starts), creates tenant
#       `acme` and a SCIM token for it, and checks
#       http://127.0.0.1:PORT/t/acme/scim/v2.
#   scripts/scim-tester.sh url [runner options]
#       Checks a server already running: $SCIM_URL (the SCIM base, e.g.
#       http://127.0.0.1:8080/t/acme/scim/v2) with the bearer token $SCIM_TOKEN.
#   scripts/scim-tester.sh scim2-server [runner options]
#       Checks the reference server scim2-server (in memory): a self-test of
#       this script and of scripts/scim_tester.py.
#
# Runner options go to scripts/scim_tester.py: -v (print every check),
# --trace FILE, --seed N, --include-tag/--exclude-tag TAG, --resource-type T.
# Every request and response is written to target/scim-tester-BACKEND.trace.
# The packages are pinned in scripts/scim-tester-requirements.txt and
# installed into target/ci-venv when missing.
set -euo pipefail
cd "$(dirname "$0")/.."

backend="${1:-sqlite}"
[ $# -gt 0 ] && shift
venv="target/ci-venv"
bin="target/debug/latchkey"
requirements="scripts/scim-tester-requirements.txt"
case "$backend" in
  sqlite|postgres|url|scim2-server) ;;
  *) echo "usage: $0 [sqlite|postgres|url|scim2-server] [runner options]" >&2; exit 2 ;;
esac

# The pinned packages, installed only when one is missing or at another version.
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
if ! "$venv/bin/python" - "$requirements" <<'EOF'
import sys
from importlib.metadata import version, PackageNotFoundError
for line in open(sys.argv[1]):
    line = line.split("#")[0].strip()
    if not line:
        continue
    name, _, wanted = line.partition("==")
    try:
        assert version(name.split("[")[0]) == wanted
    except (PackageNotFoundError, AssertionError):
        sys.exit(1)
EOF
then
  "$venv/bin/pip" install -q --disable-pip-version-check -r "$requirements"
fi

mkdir -p target
trace="target/scim-tester-$backend.trace"
work="$(mktemp -d)"
pid=""
db_name=""
admin_url=""
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true; fi
  if [ -n "$db_name" ]; then
    psql -q "$admin_url" -c "DROP DATABASE IF EXISTS $db_name WITH (FORCE)" >/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_for() {  # URL: until it answers at all (any status), 10 s at most
  for _ in $(seq 1 100); do
    curl -sS -o /dev/null "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "the server did not come up:" >&2; cat "$work/server.log" >&2; exit 1
}

case "$backend" in
  url)
    : "${SCIM_URL:?set SCIM_URL to the SCIM base URL}"
    : "${SCIM_TOKEN:?set SCIM_TOKEN to a SCIM bearer token}"
    url="$SCIM_URL" token="$SCIM_TOKEN"
    ;;
  scim2-server)
    port="$(free_port)"
    token="scim-tester-$$"
    "$venv/bin/scim2-server" --hostname 127.0.0.1 --port "$port" --bearer-token "$token" \
      >"$work/server.log" 2>&1 &
    pid=$!
    url="http://127.0.0.1:$port/v2"
    wait_for "$url/ServiceProviderConfig"
    ;;
  sqlite|postgres)
    [ -x "$bin" ] || cargo build -q --bin latchkey
    port="$(free_port)"
    platform_token="$("$bin" token generate)"
    export LATCHKEY_LISTEN="127.0.0.1:$port" LATCHKEY_DATA_DIR="$work" LATCHKEY_BOOTSTRAP_TOKEN="$platform_token"
    export LATCHKEY_PUBLIC_URL="http://127.0.0.1:$port"
    # One client sends everything here (and many DELETEs): rate limits would only get in the way.
    export LATCHKEY_RATE_LIMIT_PER_ADDRESS=0 LATCHKEY_RATE_LIMIT_PER_TOKEN=0
    if [ "$backend" = postgres ]; then
      db_name="latchkey_scim_tester_$$"
      admin_url="$(scripts/test-postgres.sh url)"
      psql -q "$admin_url" -c "CREATE DATABASE $db_name" >/dev/null
      DATABASE_URL="$(LATCHKEY_TEST_POSTGRES_URL="$admin_url" scripts/test-postgres.sh url "$db_name")"
      export DATABASE_URL
    fi
    "$bin" serve >"$work/server.log" 2>&1 &
    pid=$!
    base="http://127.0.0.1:$port"
    for _ in $(seq 1 100); do
      curl -fsS "$base/readyz" >/dev/null 2>&1 && break
      sleep 0.1
    done
    curl -fsS "$base/readyz" >/dev/null || { cat "$work/server.log"; exit 1; }

    auth="Authorization: Bearer $platform_token"
    curl -fsS -X POST "$base/api/v1/tenants" -H "$auth" -H 'Content-Type: application/json' \
      -d '{"slug":"acme","display_name":"Acme"}' >/dev/null
    token="$(curl -fsS -X POST "$base/api/v1/tenants/acme/tokens" -H "$auth" -H 'Content-Type: application/json' \
      -d '{"name":"scim-tester","scopes":["scim"]}' \
      | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')"
    url="$base/t/acme/scim/v2"
    ;;
esac

echo "requests and responses go to $trace"
status=0
"$venv/bin/python" scripts/scim_tester.py --url "$url" --token "$token" --trace "$trace" "$@" \
  | tee "$work/runner.out" || status=$?
summary="$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$work/runner.out" | tail -n 1 || true)"
if [ -f "$work/server.log" ] && grep -q "panicked" "$work/server.log"; then
  echo "the server panicked:" >&2
  grep -A5 "panicked" "$work/server.log" >&2
  status=1
  # The panic counts as one more failure in the closing line.
  summary="$(echo "${summary:-0 passed, 0 failed}" | awk '{ $3 = $3 + 1; print }')"
fi
if [ "$status" -ne 0 ] && [ -s "$work/server.log" ]; then
  echo "--- last lines of the server log ---" >&2
  tail -n 40 "$work/server.log" >&2
  # Repeated so that the summary stays the last line of the run.
  [ -n "$summary" ] && echo "$summary"
fi
exit "$status"
