#!/usr/bin/env bash
# The images the course's graded system tests boot (scripts/grade.sh runs
# this as the `images` test), built without fetching any guest:
#   target/images/echo.bin, lrtos.bin      the guests, also bootable natively
#   target/images/ferrovisor-lab.img       ferrovisor with the VMs of guests/lab.list
# With --lab4 also:
#   target/images/lrtos-uptime.bin         lrtos with lab 4's uptime task
#   target/images/ferrovisor-lab4.img      ferrovisor with guests/lab4.list
# Each list builds in its own target directory (target/lists/NAME), so the
# images of the other lists are not rebuilt.
#   ./scripts/course/images.sh [--lab4]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
TARGET="aarch64-unknown-none-softfloat"
IMAGES="target/images"
sysroot=$(rustc --print sysroot)
host=$(rustc -vV | sed -n 's/^host: //p')
OBJCOPY="$sysroot/lib/rustlib/$host/bin/llvm-objcopy"
mkdir -p "$IMAGES"

# raw ELF IMAGE: the bytes the firmware (or QEMU) loads.
raw() { "$OBJCOPY" --strip-all -O binary "$1" "$IMAGES/$2"; echo "built $IMAGES/$2"; }

# hypervisor LIST: ferrovisor with the VMs of guests/LIST.list.
hypervisor() {
    local dir="target/lists/$1"
    CARGO_TARGET_DIR="$dir" FERROVISOR_VMS="guests/$1.list" \
        cargo build --release --target "$TARGET" -p ferrovisor
    raw "$dir/$TARGET/release/ferrovisor" "ferrovisor-$1.img"
}

cargo build --release --target "$TARGET" -p echo -p lrtos
raw "target/$TARGET/release/echo" echo.bin
raw "target/$TARGET/release/lrtos" lrtos.bin
hypervisor lab
if [ "${1:-}" = --lab4 ]; then
    CARGO_TARGET_DIR=target/lists/lrtos-uptime cargo build --release --target "$TARGET" -p lrtos --features uptime
    raw "target/lists/lrtos-uptime/$TARGET/release/lrtos" lrtos-uptime.bin
    hypervisor lab4
fi
