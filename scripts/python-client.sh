#!/usr/bin/env bash
# Generates the Python client from openapi/openapi.json with a pinned
# openapi-python-client, fails when the generator leaves anything out, installs
# the client and runs it against a live server built from this checkout.
#
#   scripts/python-client.sh
#
# The generator only warns about an operation it skips (or an answer it
# cannot read) and still exits 0, so its output is checked: any warning fails.
# The smoke run is the example of docs/api.md ("A generated client"), run twice
# and compared with the console block shown there, then the two operations the
# generator used to skip or cut short: installLicense and exportAuditEvents.
# Everything lives in target/python-client-venv and target/python-client.
set -euo pipefail
cd "$(dirname "$0")/.."

generator_version="0.29.1"
venv="target/python-client-venv"
out="target/python-client"
bin="target/debug/latchkey"

[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
if [ "$("$venv/bin/python" -c 'from importlib.metadata import version; print(version("openapi-python-client"))' 2>/dev/null)" != "$generator_version" ]; then
  "$venv/bin/pip" install -q --disable-pip-version-check "openapi-python-client==$generator_version"
fi

work="$(mktemp -d)"
pid=""
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

echo "generating the client with openapi-python-client $generator_version"
status=0
"$venv/bin/openapi-python-client" generate --overwrite --path openapi/openapi.json \
  --config openapi/python-client.yaml --output-path "$out" >"$work/generate.log" 2>&1 || status=$?
cat "$work/generate.log"
if [ "$status" -ne 0 ] || grep -qiE 'warning|will not be generated|will be omitted|unable to|error' "$work/generate.log"; then
  echo "the generator skipped or cut short part of the contract (see above)" >&2
  exit 1
fi

"$venv/bin/pip" uninstall -q -y latchkey-client >/dev/null 2>&1 || true
"$venv/bin/pip" install -q --disable-pip-version-check "./$out"

cargo build -q --bin latchkey
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
token="$("$bin" token generate)"
base="http://127.0.0.1:$port"
LATCHKEY_LISTEN="127.0.0.1:$port" LATCHKEY_DATA_DIR="$work/data" LATCHKEY_BOOTSTRAP_TOKEN="$token" \
  "$bin" serve >"$work/server.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do
  curl -fsS "$base/readyz" >/dev/null 2>&1 && break
  sleep 0.1
done
curl -fsS "$base/readyz" >/dev/null || { cat "$work/server.log"; exit 1; }

# The example and what it prints, as docs/api.md shows them.
"$venv/bin/python" - docs/api.md "$work" <<'EOF'
import re, sys
text = open(sys.argv[1]).read()
section = text[text.index("## A generated client"):]
demo = re.search(r"```python\n(.*?)```", section, re.S).group(1)
console = re.search(r"```console\n(.*?)```", section, re.S).group(1)
open(f"{sys.argv[2]}/demo.py", "w").write(demo)
runs = [run.strip("\n") for run in re.split(r"^\$ .*\n", console, flags=re.M)[1:]]
for i, shown in enumerate(runs):
    open(f"{sys.argv[2]}/expected-{i}.txt", "w").write(shown + "\n")
EOF
runs="$(ls "$work"/expected-*.txt | wc -l)"
[ "$runs" -ge 1 ] || { echo "docs/api.md shows no run of its example" >&2; exit 1; }
for i in $(seq 0 $((runs - 1))); do
  LATCHKEY_URL="$base" LATCHKEY_TOKEN="$token" "$venv/bin/python" "$work/demo.py" >"$work/got-$i.txt" 2>&1 || true
  if ! diff -u "$work/expected-$i.txt" "$work/got-$i.txt"; then
    echo "run $((i + 1)) of the docs/api.md example printed something else than the page shows" >&2
    exit 1
  fi
done

LATCHKEY_URL="$base" LATCHKEY_TOKEN="$token" "$venv/bin/python" - <<'EOF'
import datetime, io, json, os

from latchkey_client import AuthenticatedClient
from latchkey_client.api.audit import export_audit_events
from latchkey_client.api.license_ import install_license
from latchkey_client.api.tenants import set_tenant_plan
from latchkey_client.models import AuditEvent, PlanName, Problem, SetTenantPlan
from latchkey_client.types import File

operator = AuthenticatedClient(base_url=os.environ["LATCHKEY_URL"], token=os.environ["LATCHKEY_TOKEN"])

# No valid licence is at hand here: a refusal shows the body arrived and was read.
refused = install_license.sync(client=operator, body=File(payload=io.BytesIO(b"not a licence")))
assert isinstance(refused, Problem) and refused.code == "invalid-request", refused

# The audit export is a `team` feature; the example above made `initech`.
set_tenant_plan.sync(client=operator, tenant="initech", body=SetTenantPlan(plan=PlanName.TEAM))
now = datetime.datetime.now(datetime.timezone.utc)
export = export_audit_events.sync(client=operator, tenant="initech",
                                  from_=now - datetime.timedelta(hours=1), to=now + datetime.timedelta(minutes=1))
assert isinstance(export, File), export
events = [AuditEvent.from_dict(json.loads(line)) for line in export.payload.read().splitlines()]
actions = [e.action for e in events]
assert actions.count("user.create") == 2, actions
print(f"installLicense answers a Problem; exportAuditEvents streamed {len(events)} events")
EOF

if grep -q "panicked" "$work/server.log"; then
  echo "the server panicked:" >&2
  grep -A5 "panicked" "$work/server.log" >&2
  exit 1
fi
echo "the generated Python client is complete and works"
