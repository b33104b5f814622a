#!/usr/bin/env bash
# Run the full demo (guests/vms.list) in its own QEMU for a long time, with
# input to every VM and periodic `vml`, and check at the end that every VM
# still answers and nothing grew without bound. Prints the figures (exit
# rates per VM, CPU time, console bytes lost, scrollbacks, QEMU memory).
# The console log of a failed run is kept in target/systest-logs/soak.log.
#
# Usage: ./scripts/soak.sh [--no-build] [minutes]   (default 10 minutes)
#   --no-build   use the images already in target/images (test.sh builds them)
set -euo pipefail
source "$(dirname "$0")/common.sh"

build=yes
if [ "${1:-}" = "--no-build" ]; then
    build=no
    shift
fi
minutes="${1:-10}"
[ $# -le 1 ] || die "usage: $0 [--no-build] [minutes]"

if [ "$build" = yes ]; then
    [ "${FERROVISOR_TOOLS_CHECKED:-}" = 1 ] || ensure_tools
    export FERROVISOR_TOOLS_CHECKED=1
    "$ROOT/scripts/build.sh"
fi

cd "$ROOT"
step "soak: the demo for $minutes min under load (QEMU raspi3b)"
# The bench-driver profile lets a failure unwind, so the driver stops its
# QEMU and keeps the console log (the dev profile aborts on panic).
cargo run --quiet --profile bench-driver -p ferrovisor-harness --bin soak -- "$minutes"
