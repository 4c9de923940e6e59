#!/usr/bin/env bash
# Builds the provider zip for a Terraform filesystem mirror, in the "packed"
# layout Terraform reads:
#
#   OUT/registry.terraform.io/latchkey/latchkey/terraform-provider-latchkey_VERSION_OS_ARCH.zip
#
# Usage: terraform/package.sh [--out DIR] [--binary PATH] [--version V]
#   --out DIR      the mirror folder (default: target/terraform-mirror in the
#                  repository)
#   --binary PATH  package this binary instead of building a release one
#   --version V    the version to name it (default: the crate's version)
#   Relative paths given to --out and --binary are taken from the directory
#   the script is run in.
#
# Then point Terraform at the mirror (see terraform/docs/index.md):
#   provider_installation {
#     filesystem_mirror {
#       path    = "DIR"
#       include = ["registry.terraform.io/latchkey/latchkey"]
#     }
#     direct { exclude = ["registry.terraform.io/latchkey/latchkey"] }
#   }
set -euo pipefail

# The caller's directory: relative paths are the caller's, and are made
# absolute before the script moves to the repository root (for cargo).
caller=$PWD
absolute() {
  case "$1" in
    /*) printf '%s\n' "$1" ;;
    *) printf '%s\n' "$caller/$1" ;;
  esac
}

out=
binary=
version=
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out=$(absolute "$2"); shift 2 ;;
    --binary) binary=$(absolute "$2"); shift 2 ;;
    --version) version=$2; shift 2 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done

cd "$(dirname "$0")/.."
out=${out:-target/terraform-mirror}

# The crate's version, e.g. 0.1.0 (from `path+file:///…#terraform-provider-latchkey@0.1.0`).
if [ -z "$version" ]; then
  version=$(cargo pkgid -p terraform-provider-latchkey | sed 's/.*@//')
fi

case "$(uname -s)" in
  Linux) os=linux ;;
  Darwin) os=darwin ;;
  *) echo "unsupported OS: $(uname -s)" >&2; exit 1 ;;
esac
case "$(uname -m)" in
  x86_64 | amd64) arch=amd64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) echo "unsupported architecture: $(uname -m)" >&2; exit 1 ;;
esac

if [ -z "$binary" ]; then
  cargo build --release -p terraform-provider-latchkey
  binary=target/release/terraform-provider-latchkey
fi

folder="$out/registry.terraform.io/latchkey/latchkey"
zip="$folder/terraform-provider-latchkey_${version}_${os}_${arch}.zip"
mkdir -p "$folder"
rm -f "$zip"
# Terraform finds the executable by its name prefix; the usual name carries
# the version. Python's zipfile keeps the executable bit.
python3 - "$binary" "$zip" "terraform-provider-latchkey_v${version}" <<'PY'
import sys, zipfile
binary, zip_path, name = sys.argv[1:]
with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as z:
    z.write(binary, name)
PY
echo "$zip"
