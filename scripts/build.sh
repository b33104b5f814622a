#!/usr/bin/env bash
# Build kernel8.img (the hypervisor) into target/images/.
#   ./scripts/build.sh            build (installs missing tools first)
set -euo pipefail
source "$(dirname "$0")/common.sh"
[ "${FERROVISOR_TOOLS_CHECKED:-}" = 1 ] || ensure_tools

step "building ferrovisor for the Raspberry Pi 3 ($TARGET, release)"
cd "$ROOT"
cargo build --release --target "$TARGET" -p ferrovisor
mkdir -p "$IMAGES"
"$(objcopy_path)" --strip-all -O binary \
    "target/$TARGET/release/ferrovisor" "$IMAGES/kernel8.img"
echo "built $IMAGES/kernel8.img ($(stat -c %s "$IMAGES/kernel8.img") bytes)"
