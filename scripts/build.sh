#!/usr/bin/env bash
# Build the guests and the hypervisor into target/images/:
#   echo.bin, lrtos.bin   the guests, each also a kernel8.img of its own
#   kernel8.img           ferrovisor with the VMs of guests/vms.list embedded
# Usage: ./scripts/build.sh   (installs missing tools first)
set -euo pipefail
source "$(dirname "$0")/common.sh"
[ "${FERROVISOR_TOOLS_CHECKED:-}" = 1 ] || ensure_tools
cd "$ROOT"
objcopy=$(objcopy_path)
mkdir -p "$IMAGES"

# elf_to_image CRATE OUTPUT: the raw binary the firmware (or QEMU) loads.
elf_to_image() {
    "$objcopy" --strip-all -O binary "target/$TARGET/release/$1" "$IMAGES/$2"
    echo "built $IMAGES/$2 ($(stat -c %s "$IMAGES/$2") bytes)"
}

step "building the guests: echo, lrtos ($TARGET, release)"
cargo build --release --target "$TARGET" -p echo -p lrtos
elf_to_image echo echo.bin
elf_to_image lrtos lrtos.bin

step "building ferrovisor with the VMs of guests/vms.list"
cargo build --release --target "$TARGET" -p ferrovisor
elf_to_image ferrovisor kernel8.img
