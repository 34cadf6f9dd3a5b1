#!/usr/bin/env bash
# pack.sh <file-or-dir> <out.car> [--no-wrap] [--hidden]
# Runs the locked ipfs-car CLI (node_modules/.bin/ipfs-car, after `npm ci`).
# Prints the root CID on stdout; the CAR header root is the real root.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [ $# -lt 2 ]; then echo "usage: pack.sh <file-or-dir> <out.car> [--no-wrap] [--hidden]" >&2; exit 2; fi
in="$1"; out="$2"; shift 2
exec "$here/node_modules/.bin/ipfs-car" pack "$in" --output "$out" "$@"
