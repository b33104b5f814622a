#!/usr/bin/env bash
# Run the fuzzing guest (guests/fuzz/) next to echo, lrtos and Linux for a
# while, typing into echo and Linux's shell, and check that the hypervisor,
# echo (every byte echoed), lrtos (both tasks printing) and Linux (its shell
# answers) survive it, that vml lists every VM and that QEMU's memory stays
# flat. When the hypervisor stops the fuzzing guest (an expected outcome of
# the few operations a VM cannot survive, which the guest announces), it is
# restarted with vmreset and the next seed. Prints the operations done, the
# stops by reason and the seeds that caused a failure; exits non-zero on any
# failure. The console log is kept in target/systest-logs/fuzz.log.
#
# Usage: ./scripts/fuzz.sh [--no-build] [minutes] [--seed S]   (default 10 minutes)
#   --no-build   use the images already in target/images (test.sh builds them)
#   --seed S     the first seed (decimal or 0x hex); the later ones derive
#                from it, so the same S replays the same streams
set -euo pipefail
source "$(dirname "$0")/common.sh"

build=yes
args=()
while [ $# -gt 0 ]; do
    case "$1" in
        --no-build) build=no ;;
        --seed) [ $# -ge 2 ] || die "usage: $0 [--no-build] [minutes] [--seed S]"
                args+=(--seed "$2"); shift ;;
        *) args+=("$1") ;;
    esac
    shift
done

if [ "$build" = yes ]; then
    [ "${FERROVISOR_TOOLS_CHECKED:-}" = 1 ] || ensure_tools
    export FERROVISOR_TOOLS_CHECKED=1
    "$ROOT/scripts/build.sh"
fi

cd "$ROOT"
step "fuzz: the fuzzing guest next to echo, lrtos and Linux (QEMU raspi3b)"
# As soak.sh: the bench-driver profile lets a failure unwind, so the driver
# reports it, stops its QEMU and keeps the console log.
cargo run --quiet --profile bench-driver -p ferrovisor-harness --bin fuzz -- "${args[@]}"
