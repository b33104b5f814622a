#!/usr/bin/env bash
# Build ferrovisor and run it in QEMU (Raspberry Pi 3 Model B) with the
# console on this terminal.
#   ./scripts/demo.sh                  ferrovisor with the VMs of guests/vms.list
#   ./scripts/demo.sh --native echo    one guest alone as the board's kernel8.img
#   ./scripts/demo.sh --native lrtos   (the same image the VM runs)
#   ./scripts/demo.sh --native linux   Debian's kernel, DTB and initramfs (guests/linux/native.args)
set -euo pipefail
source "$(dirname "$0")/common.sh"

image="$IMAGES/kernel8.img"
what="ferrovisor"
extra=()
case "${1:-}" in
    "") ;;
    -h|--help) sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    --native)
        guest="${2:-}"
        case "$guest" in
            echo|lrtos) image="$IMAGES/$guest.bin"; what="$guest, natively (no hypervisor)" ;;
            linux)
                image="$IMAGES/linux/Image"; what="Linux, natively (no hypervisor)"
                # Paths in the file are relative to the workspace root.
                mapfile -t extra < <(grep -v '^[[:space:]]*#' "$ROOT/guests/linux/native.args" |
                    grep -v '^[[:space:]]*$' | sed "s|^target/|$ROOT/target/|")
                ;;
            *) die "--native needs a guest: echo, lrtos or linux (got '${guest}')" ;;
        esac
        ;;
    *) die "unknown option '$1' (try --help)" ;;
esac

ensure_tools
FERROVISOR_TOOLS_CHECKED=1 "$ROOT/scripts/build.sh"

mapfile -t args < <(board_qemu_args)
cat <<MSG

==> starting QEMU raspi3b running $what; this terminal is its console.
    Quit: press Ctrl-A, then X.   QEMU monitor: Ctrl-A, then C.

MSG
exec qemu-system-aarch64 "${args[@]}" -kernel "$image" "${extra[@]}" -serial mon:stdio
