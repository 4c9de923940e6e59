#!/usr/bin/env bash
# Runs schemathesis against a live Latchkey server built from this checkout.
#
#   scripts/schemathesis.sh [sqlite|postgres] [max-examples]
#
# Starts the server on a free port with a fresh database (a temporary SQLite
# file, or a throw-away PostgreSQL database on the server
# scripts/test-postgres.sh finds or starts), seeds one tenant, user and group
# so the generated requests reach real resources, and fails on any server
# error or any response that breaks the spec.
set -euo pipefail
cd "$(dirname "$0")/.."

backend="${1:-sqlite}"
examples="${2:-25}"
venv="target/ci-venv"
bin="target/debug/latchkey"
[ -x "$venv/bin/schemathesis" ] || { echo "run .ci/run (or: python3 -m venv $venv && $venv/bin/pip install schemathesis)" >&2; exit 2; }
[ -x "$bin" ] || cargo build -q --bin latchkey

work="$(mktemp -d)"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
token="$("$bin" token generate)"
db_name=""
admin_url=""
cleanup() {
  [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  [ -n "$db_name" ] && psql -q "$admin_url" -c "DROP DATABASE IF EXISTS $db_name WITH (FORCE)" >/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

export LATCHKEY_LISTEN="127.0.0.1:$port" LATCHKEY_DATA_DIR="$work" LATCHKEY_BOOTSTRAP_TOKEN="$token"
# One client sends everything here: rate limits would only slow the run.
export LATCHKEY_RATE_LIMIT_PER_ADDRESS=0 LATCHKEY_RATE_LIMIT_PER_TOKEN=0
if [ "$backend" = postgres ]; then
  db_name="latchkey_schemathesis_$$"
  admin_url="$(scripts/test-postgres.sh url)"
  psql -q "$admin_url" -c "CREATE DATABASE $db_name" >/dev/null
  DATABASE_URL="$(LATCHKEY_TEST_POSTGRES_URL="$admin_url" scripts/test-postgres.sh url "$db_name")"
  export DATABASE_URL
fi
"$bin" serve >"$work/server.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
  sleep 0.1
done
curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null || { cat "$work/server.log"; exit 1; }

base="http://127.0.0.1:$port"
auth="Authorization: Bearer $token"
curl -fsS -X POST "$base/api/v1/tenants" -H "$auth" -H 'Content-Type: application/json' \
  -d '{"slug":"acme","display_name":"Acme"}' >/dev/null
curl -fsS -X POST "$base/api/v1/tenants/acme/users" -H "$auth" -H 'Content-Type: application/json' \
  -d '{"user_name":"ada","email":"ada@example.com"}' >/dev/null
curl -fsS -X POST "$base/api/v1/tenants/acme/groups" -H "$auth" -H 'Content-Type: application/json' \
  -d '{"display_name":"engineering"}' >/dev/null

# revokePlatformToken is left out: the stateful phase would revoke the very
# token the run authenticates with, and every later call would be a 401.
"$venv/bin/schemathesis" run openapi/openapi.json \
  --url "$base" \
  --header "$auth" \
  --max-examples "$examples" \
  --workers 1 \
  --seed 1 \
  --exclude-operation-id revokePlatformToken \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,response_headers_conformance \
  --warnings off
status=$?
if grep -q "panicked" "$work/server.log"; then
  echo "the server panicked:" >&2
  grep -A5 "panicked" "$work/server.log" >&2
  exit 1
fi
exit $status
