#!/usr/bin/env bash
# Build the guests and the hypervisor into target/images/:
#   echo.bin, lrtos.bin   the guests, each also a kernel8.img of its own
#   uboot.bin             Debian's U-Boot for rpi_3, fetched (scripts/fetch-uboot.sh)
#   linux/                Debian's arm64 kernel (Image), its bcm2837-rpi-3-b.dtb and a
#                         BusyBox initramfs.cpio.gz, fetched and built (scripts/fetch-linux.sh)
#   bench.bin             the benchmark guest (guests/bench/), also a kernel8.img
#   hostile.bin           the misbehaving guest of the isolation tests (guests/hostile/)
#   fuzz.bin              the fuzzing guest of scripts/fuzz.sh (guests/fuzz/)
#   kernel8.img           ferrovisor with the VMs of guests/vms.list embedded
#   ferrovisor-bench-alone.img  ferrovisor with guests/bench-alone.list (bench smoke test)
#   ferrovisor-hostile.img      ferrovisor with guests/hostile.list (isolation tests)
#   ferrovisor-fuzz.img         ferrovisor with guests/fuzz.list (scripts/fuzz.sh)
# Usage: ./scripts/build.sh   (installs missing tools first)
set -euo pipefail
source "$(dirname "$0")/common.sh"
source "$(dirname "$0")/fetch-uboot.sh"
source "$(dirname "$0")/fetch-linux.sh"
[ "${FERROVISOR_TOOLS_CHECKED:-}" = 1 ] || ensure_tools
cd "$ROOT"
objcopy=$(objcopy_path)
mkdir -p "$IMAGES"

# elf_to_image CRATE OUTPUT: the raw binary the firmware (or QEMU) loads.
elf_to_image() {
    "$objcopy" --strip-all -O binary "target/$TARGET/release/$1" "$IMAGES/$2"
    echo "built $IMAGES/$2 ($(stat -c %s "$IMAGES/$2") bytes)"
}

step "building the guests: echo, lrtos, bench, hostile, fuzz ($TARGET, release)"
cargo build --release --target "$TARGET" -p echo -p lrtos -p bench -p hostile -p fuzz
elf_to_image echo echo.bin
elf_to_image lrtos lrtos.bin
elf_to_image bench bench.bin
elf_to_image hostile hostile.bin
elf_to_image fuzz fuzz.bin

step "fetching the U-Boot guest (Debian's u-boot-rpi, pinned in guests/uboot.pin)"
ensure_uboot

step "fetching the Linux guest (Debian's arm64 kernel and busybox-static, pinned in guests/linux.pin; about 60 MB the first time)"
ensure_linux

step "building ferrovisor with the VMs of guests/vms.list"
cargo build --release --target "$TARGET" -p ferrovisor
elf_to_image ferrovisor kernel8.img

step "building ferrovisor with the benchmark VM of guests/bench-alone.list"
list_image bench-alone

step "building ferrovisor with the isolation tests' VMs of guests/hostile.list"
list_image hostile

step "building ferrovisor with the fuzzer's VMs of guests/fuzz.list"
list_image fuzz
