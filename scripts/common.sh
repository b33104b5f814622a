# Shared by the scripts in this folder: paths, progress messages, and the
# installation of whatever a fresh Debian machine is missing.
# Source it; do not run it.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TARGET="aarch64-unknown-none-softfloat"
IMAGES="$ROOT/target/images"
MDBOOK_VERSION="0.5.4"
APT_PACKAGES=(qemu-system-arm mtools dosfstools fdisk gdb-multiarch cpio)

step() { printf '\n==> %s\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Run as root, or through sudo when there is one.
as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"
    elif command -v sudo >/dev/null; then sudo "$@"
    else die "need root to run: $* (install it by hand, or run as root)"
    fi
}

# The Debian packages that are not installed yet.
missing_apt_packages() {
    local p
    for p in "${APT_PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || echo "$p"
    done
}

# Install everything the build and the tests need; quick when all is there.
ensure_tools() {
    local missing
    missing=$(missing_apt_packages)
    if [ -n "$missing" ]; then
        step "installing Debian packages: $(echo $missing)"
        export DEBIAN_FRONTEND=noninteractive
        as_root apt-get update -q
        # shellcheck disable=SC2086
        as_root apt-get install -y -q --no-install-recommends $missing
    fi

    command -v rustup >/dev/null || die "rustup is missing: install it from your distribution or rustup.rs, then run this again"
    local channel
    channel=$(sed -n 's/^channel *= *"\(.*\)"/\1/p' "$ROOT/rust-toolchain.toml")
    if ! rustup toolchain list | grep -q "^$channel"; then
        step "installing the Rust $channel toolchain (rust-toolchain.toml)"
    fi
    # Idempotent: adds only the parts that are missing.
    local out
    out=$(cd "$ROOT" && rustup toolchain install "$channel" --profile minimal \
        --component llvm-tools,clippy,rustfmt --target "$TARGET" 2>&1) ||
        { echo "$out" >&2; die "rustup could not install the $channel toolchain"; }

    if [ "$(mdbook --version 2>/dev/null)" != "mdbook v$MDBOOK_VERSION" ]; then
        step "installing mdbook $MDBOOK_VERSION (takes a few minutes, once)"
        (cd "$ROOT" && cargo install --locked --quiet mdbook --version "$MDBOOK_VERSION" \
            --no-default-features --features search)
    fi
}

# llvm-objcopy from the toolchain's llvm-tools component.
objcopy_path() {
    local sysroot host
    sysroot=$(cd "$ROOT" && rustc --print sysroot)
    host=$(cd "$ROOT" && rustc -vV | sed -n 's/^host: //p')
    echo "$sysroot/lib/rustlib/$host/bin/llvm-objcopy"
}

# list_image NAME [FEATURE]: ferrovisor with the VMs of guests/NAME.list
# embedded, as target/images/ferrovisor-NAME.img. Each list builds in its
# own target directory (target/lists/NAME), so it never replaces
# kernel8.img's build and is only rebuilt when the hypervisor or its guests
# change. With a cargo FEATURE of the hypervisor (a measurement build, such
# as trap-floor), the image and the directory are named NAME-FEATURE.
list_image() {
    local name="$1${2:+-$2}"
    local dir="$ROOT/target/lists/$name" image="$IMAGES/ferrovisor-$name.img"
    (cd "$ROOT" && CARGO_TARGET_DIR="$dir" FERROVISOR_VMS="guests/$1.list" \
        cargo build --release --target "$TARGET" -p ferrovisor ${2:+--features "$2"})
    "$(objcopy_path)" --strip-all -O binary "$dir/$TARGET/release/ferrovisor" "$image"
    echo "built $image ($(stat -c %s "$image") bytes)"
}

# QEMU's arguments for the board, from boards/raspi3b/qemu.args.
board_qemu_args() {
    grep -v '^[[:space:]]*#' "$ROOT/boards/raspi3b/qemu.args" | grep -v '^[[:space:]]*$'
}
