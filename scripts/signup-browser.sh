#!/usr/bin/env bash
# The hosted-signup browser test: headless Chromium signs up on /signup,
# follows the link mailed to a real SMTP server (aiosmtpd), reaches the
# verified page, signs in and creates a SCIM token.
#
#   scripts/signup-browser.sh [sqlite|postgres]
#
# Needs the Debian package `chromium` (/usr/bin/chromium) and Node.js; installs
# playwright-core into target/browser-test and aiosmtpd into target/test-venv
# when missing. Screenshots land in target/signup-screenshots/.
set -euo pipefail
cd "$(dirname "$0")/.."

backend="${1:-sqlite}"
bin="target/debug/latchkey"
chromium="${CHROMIUM:-/usr/bin/chromium}"
playwright_dir="target/browser-test"
venv="target/test-venv"
shots="target/signup-screenshots"

[ -x "$chromium" ] || { echo "Chromium is missing at $chromium (Debian: apt-get install chromium)" >&2; exit 1; }
cargo build -q --bin latchkey
if [ ! -d "$playwright_dir/node_modules/playwright-core" ]; then
  mkdir -p "$playwright_dir"
  npm install --silent --no-audit --no-fund --prefix "$playwright_dir" playwright-core@1.65.1 >/dev/null
fi
if ! "$venv/bin/python" -c 'import aiosmtpd' 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check "aiosmtpd==1.4.6"
fi

work="$(mktemp -d)"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
port="$(free_port)"
smtp_port="$(free_port)"
db_name=""
admin_url=""
cleanup() {
  [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  [ -n "${smtp_pid:-}" ] && kill "$smtp_pid" 2>/dev/null && wait "$smtp_pid" 2>/dev/null || true
  [ -n "$db_name" ] && psql -q "$admin_url" -c "DROP DATABASE IF EXISTS $db_name WITH (FORCE)" >/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

"$venv/bin/python" -m aiosmtpd -n -l "127.0.0.1:$smtp_port" -c aiosmtpd.handlers.Mailbox "$work/mail" \
  >"$work/smtp.log" 2>&1 &
smtp_pid=$!

base="http://127.0.0.1:$port"
export LATCHKEY_LISTEN="127.0.0.1:$port" LATCHKEY_DATA_DIR="$work/data" LATCHKEY_PUBLIC_URL="$base"
export LATCHKEY_SIGNUP_ENABLED=true LATCHKEY_SMTP_URL="smtp://127.0.0.1:$smtp_port"
export LATCHKEY_MAIL_FROM="Latchkey <no-reply@latchkey.test>"
if [ "$backend" = postgres ]; then
  db_name="latchkey_browser_$$"
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

mkdir -p "$shots"
BASE_URL="$base" MAILDIR="$work/mail" SCREENSHOTS="$shots" CHROMIUM="$chromium" \
  PLAYWRIGHT_DIR="$(pwd)/$playwright_dir" node scripts/signup-browser.mjs \
  || { echo "--- server log"; tail -50 "$work/server.log"; echo "--- smtp log"; cat "$work/smtp.log"; exit 1; }
