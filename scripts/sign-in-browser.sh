#!/usr/bin/env bash
# The sign-in browser test: SCIM provisions a user with a password, and
# headless Chromium signs in, sets up an authenticator app, signs in again
# with a code, and signs out everywhere; it prints how long the first part
# (provisioned → signed in → app on → account page) took.
#
#   scripts/sign-in-browser.sh [sqlite|postgres]
#
# The public URL is http://localhost:PORT (passkeys, next, refuse IP
# addresses as relying-party ids). Needs Debian's `chromium` and Node.js;
# installs playwright-core into target/browser-test when missing.
# Screenshots land in target/sign-in-screenshots/.
set -euo pipefail
cd "$(dirname "$0")/.."

backend="${1:-sqlite}"
bin="target/debug/latchkey"
chromium="${CHROMIUM:-/usr/bin/chromium}"
playwright_dir="target/browser-test"
shots="target/sign-in-screenshots"

[ -x "$chromium" ] || { echo "Chromium is missing at $chromium (Debian: apt-get install chromium)" >&2; exit 1; }
cargo build -q --bin latchkey
if [ ! -d "$playwright_dir/node_modules/playwright-core" ]; then
  mkdir -p "$playwright_dir"
  npm install --silent --no-audit --no-fund --prefix "$playwright_dir" playwright-core@1.65.1 >/dev/null
fi

work="$(mktemp -d)"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
db_name=""
admin_url=""
cleanup() {
  [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  [ -n "$db_name" ] && psql -q "$admin_url" -c "DROP DATABASE IF EXISTS $db_name WITH (FORCE)" >/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

base="http://localhost:$port"
platform="$("$bin" token generate)"
export LATCHKEY_LISTEN="127.0.0.1:$port" LATCHKEY_DATA_DIR="$work/data" LATCHKEY_PUBLIC_URL="$base"
export LATCHKEY_BOOTSTRAP_TOKEN="$platform"
if [ "$backend" = postgres ]; then
  db_name="latchkey_sign_in_browser_$$"
  admin_url="$(scripts/test-postgres.sh url)"
  psql -q "$admin_url" -c "CREATE DATABASE $db_name" >/dev/null
  DATABASE_URL="$(LATCHKEY_TEST_POSTGRES_URL="$admin_url" scripts/test-postgres.sh url "$db_name")"
  export DATABASE_URL
fi
"$bin" serve >"$work/server.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do
  curl -fsS "$base/readyz" >/dev/null 2>&1 && break
  sleep 0.1
done
curl -fsS "$base/readyz" >/dev/null || { cat "$work/server.log"; exit 1; }

api() { curl -fsS -H "Authorization: Bearer $platform" -H 'Content-Type: application/json' "$@"; }
api -X POST "$base/api/v1/tenants" -d '{"slug":"initech","display_name":"Initech"}' >/dev/null
scim_token="$(api -X POST "$base/api/v1/tenants/initech/tokens" -d '{"name":"hr","scopes":["scim"]}' | jq -r .token)"

mkdir -p "$shots"
BASE_URL="$base" SCIM_TOKEN="$scim_token" SCREENSHOTS="$shots" CHROMIUM="$chromium" \
  PLAYWRIGHT_DIR="$(pwd)/$playwright_dir" node scripts/sign-in-browser.mjs \
  || { echo "--- server log"; tail -50 "$work/server.log"; exit 1; }
