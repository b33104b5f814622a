#!/usr/bin/env bash
# Remove everything the build, the tests and the book produced.
set -euo pipefail
source "$(dirname "$0")/common.sh"
cd "$ROOT"
cargo clean
rm -rf book/build boot sdcard.img
echo "clean"
