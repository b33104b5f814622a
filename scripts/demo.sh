#!/usr/bin/env bash
# Build ferrovisor and run it in QEMU (Raspberry Pi 3 Model B) with the
# console on this terminal.
#   ./scripts/demo.sh
set -euo pipefail
source "$(dirname "$0")/common.sh"

case "${1:-}" in
    "") ;;
    -h|--help) sed -n '2,4p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option '$1' (try --help)" ;;
esac

ensure_tools
FERROVISOR_TOOLS_CHECKED=1 "$ROOT/scripts/build.sh"

mapfile -t args < <(board_qemu_args)
cat <<MSG

==> starting QEMU raspi3b; this terminal is the ferrovisor console.
    Quit: press Ctrl-A, then X.   QEMU monitor: Ctrl-A, then C.

MSG
exec qemu-system-aarch64 "${args[@]}" -kernel "$IMAGES/kernel8.img" -serial mon:stdio
