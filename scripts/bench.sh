#!/usr/bin/env bash
# Measure ferrovisor against native runs of the same guests, in one run:
# time to the prompt, key latency and a 64 KiB paste into echo, the
# benchmark guest (guests/bench/) natively and as the only VM side by side
# (its measurements, and 64 KiB printed as fast as its polling driver can,
# also under the trap-floor measurement build: the least a trap can cost),
# three busy benchmark VMs sharing one core and on cores 1-3 (parallel
# speedup, against the host's cores), the hypervisor's size, and the
# Linux guest's boot to its init line natively, as VM 4 and as the only
# VM, on core 1 (linux_boot_s, linux_boot_s_alone,
# linux_boot_s_native).
# Prints a table; with --json FILE also writes the figures as JSON.
#
# Usage: ./scripts/bench.sh [--json FILE] [--quick] [--rounds N] [--icount] [--linux]
#        ./scripts/bench.sh --trap-profile   (one HVC and one MMIO write, instruction by instruction)
#
# Not part of test.sh: timing on a shared, emulated machine is a
# measurement, not a test. The book's "Performance" chapter explains every
# figure.
set -euo pipefail
source "$(dirname "$0")/common.sh"

# The driver runs from the workspace root: make a relative --json path
# relative to where the user is instead.
args=()
while [ $# -gt 0 ]; do
    case "$1" in
        --json) [ $# -ge 2 ] || die "--json needs a file"
                args+=("$1" "$(realpath -m -- "$2")"); shift 2 ;;
        *) args+=("$1"); shift ;;
    esac
done

ensure_tools
export FERROVISOR_TOOLS_CHECKED=1
"$ROOT/scripts/build.sh"
step "building ferrovisor with three benchmark VMs (guests/bench-three.list)"
list_image bench-three
step "building ferrovisor with the same three VMs on cores 1-3 (guests/bench-spread.list)"
list_image bench-spread
step "building ferrovisor with Linux alone on core 1 (guests/linux-alone.list)"
list_image linux-alone
step "building the trap-floor measurement build with the benchmark VM (guests/bench-alone.list)"
list_image bench-alone trap-floor

cd "$ROOT"
step "running the benchmarks in QEMU raspi3b (a few minutes)"
cargo run --quiet --profile bench-driver -p ferrovisor-harness --bin bench-driver -- "${args[@]}"
