#!/usr/bin/env bash
# Fetch the U-Boot guest: Debian's stock u-boot-rpi package for arm64, the
# version pinned in guests/uboot.pin. The package is downloaded with apt
# (into .cache/uboot/, git-ignored), checked against the pinned checksums,
# and its rpi_3 image installed as target/images/uboot.bin.
#   ./scripts/fetch-uboot.sh           fetch if needed, check, install
#   ./scripts/fetch-uboot.sh --check   only check target/images/uboot.bin (no network)
#   ./scripts/fetch-uboot.sh --latest  fetch the newest version apt offers and
#                                      print the values for guests/uboot.pin
# scripts/build.sh sources this file and calls ensure_uboot.
#
# apt runs with a private state (scripts/apt-fetch.sh, shared with
# fetch-linux.sh): the machine's own package state is not touched, and the
# sources are the machine's own (/etc/apt/sources.list and sources.list.d).
# When Debian no longer offers the pinned version, the newest one is used
# with a warning (checked by apt, dpkg-deb and the image checks, but not by
# the pinned checksums) until the pin is updated.

# Sourced by build.sh after common.sh, or run on its own.
declare -F objcopy_path >/dev/null || source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
declare -F apt_private >/dev/null || source "$(dirname "${BASH_SOURCE[0]}")/apt-fetch.sh"

UBOOT_PIN="$ROOT/guests/uboot.pin"
UBOOT_CACHE="$ROOT/.cache/uboot"
UBOOT_IMAGE="$IMAGES/uboot.bin"
# Written when Debian no longer offers the pinned version and a newer one is
# used instead: "VERSION IMAGE_SHA256", so that image is still verified.
UBOOT_UNPINNED="$UBOOT_CACHE/unpinned"
# AArch64 "B <label>": bits 31:26 of the first instruction, U-Boot's `b reset`.
UBOOT_BRANCH_OPCODE=5
# U-Boot stores its link address (CONFIG_TEXT_BASE) at byte 8; the VM list
# loads and enters it there.
UBOOT_TEXT_BASE=$((0x80000))

# uboot_pin KEY: the value of KEY in guests/uboot.pin.
uboot_pin() {
    pin_require "$UBOOT_PIN" "$1"
}

# uboot_help: how to get the image by hand, for error messages.
uboot_help() {
    cat >&2 <<MSG
  ./scripts/fetch-uboot.sh downloads Debian's $(uboot_pin package) $(uboot_pin version)
  for $(uboot_pin arch) with apt, from the Debian mirrors this machine's apt is configured
  with (/etc/apt/sources.list*), and installs target/images/uboot.bin. Without
  network access, download the package on any Debian machine with
      apt-get download $(uboot_pin package):$(uboot_pin arch)=$(uboot_pin version)
  and copy the .deb into $UBOOT_CACHE/ before running ./scripts/build.sh.
MSG
}

uboot_fail() {
    printf 'error: U-Boot: %s\n' "$*" >&2
    uboot_help
    exit 1
}


# uboot_update: refresh the private package lists for arm64 (quiet, once
# per fetch).
uboot_update() {
    echo "U-Boot: reading the $(uboot_pin arch) package lists of this machine's apt sources"
    apt_private_update "$UBOOT_CACHE" "$(uboot_pin arch)" ||
        uboot_fail "apt-get update for $(uboot_pin arch) failed"
}

# uboot_download VERSION: download the package into the cache; prints the
# .deb's path.
uboot_download() {
    printf 'U-Boot: ' >&2
    apt_private_download "$UBOOT_CACHE" "$(uboot_pin arch)" "$(uboot_pin package)" "$1"
}

# uboot_deb_path VERSION: where the cache keeps that version's package.
uboot_deb_path() {
    apt_deb_path "$UBOOT_CACHE" "$(uboot_pin package)" "$1" "$(uboot_pin arch)"
}

# uboot_check_image FILE: what is wrong with a U-Boot image for rpi_3, or
# nothing. Size and checksum are checked when EXPECT_SIZE/EXPECT_SHA256 are
# set.
uboot_check_image() {
    local file=$1
    local shown=${file#"$ROOT"/}
    [ -s "$file" ] || { echo "$shown is missing or empty"; return; }
    local word text_base
    word=$(od -An -tu4 -N4 "$file" | tr -d ' ')
    text_base=$(od -An -tu8 -j8 -N8 "$file" | tr -d ' ')
    word=${word:-0} text_base=${text_base:-0}
    if [ $((word >> 26)) -ne "$UBOOT_BRANCH_OPCODE" ] || [ "$text_base" -ne "$UBOOT_TEXT_BASE" ]; then
        echo "$shown is not an AArch64 U-Boot linked at 0x80000"
        return
    fi
    local banner
    banner=$(uboot_pin banner)
    grep -qaF "$banner" "$file" || { echo "$shown does not contain '$banner'"; return; }
    if [ -n "${EXPECT_SIZE:-}" ] && [ "$(stat -c %s "$file")" -ne "$EXPECT_SIZE" ]; then
        echo "$shown has $(stat -c %s "$file") bytes, not $EXPECT_SIZE"
        return
    fi
    if [ -n "${EXPECT_SHA256:-}" ] && [ "$(sha256 "$file")" != "$EXPECT_SHA256" ]; then
        echo "$shown has the wrong SHA-256 (corrupt or not the pinned version)"
    fi
}

# uboot_install DEB [DEB_SHA256]: check the package and install its image.
uboot_install() {
    local deb=$1 want_sha=${2:-}
    if [ -n "$want_sha" ] && [ "$(sha256 "$deb")" != "$want_sha" ]; then
        echo "the package's SHA-256 is not the pinned one"
        return
    fi
    dpkg-deb --info "$deb" >/dev/null 2>&1 || { echo "dpkg-deb cannot read the package"; return; }
    local tmp
    tmp=$(mktemp "$IMAGES/.uboot.XXXXXX")
    if ! dpkg-deb --fsys-tarfile "$deb" | tar -xOf - "./$(uboot_pin image)" >"$tmp" 2>/dev/null; then
        rm -f "$tmp"
        echo "the package has no ./$(uboot_pin image)"
        return
    fi
    local problem
    problem=$(uboot_check_image "$tmp")
    if [ -n "$problem" ]; then
        rm -f "$tmp"
        echo "${problem//${tmp#"$ROOT"/}/the image in the package}"
        return
    fi
    chmod 644 "$tmp"
    mv "$tmp" "$UBOOT_IMAGE"
}

# ANCHOR: ensure
# ensure_uboot: make target/images/uboot.bin the pinned, verified image,
# fetching the package when the cache does not have it.
ensure_uboot() {
    mkdir -p "$IMAGES" "$UBOOT_CACHE"
    local version size sha deb problem
    version=$(uboot_pin version)
    size=$(uboot_pin image_size)
    sha=$(uboot_pin image_sha256)
    problem=$(EXPECT_SIZE=$size EXPECT_SHA256=$sha uboot_check_image "$UBOOT_IMAGE")
    if [ -z "$problem" ]; then
        echo "U-Boot: target/images/uboot.bin is $(uboot_pin package) $version's rpi_3 image (verified)"
        return
    fi
    if uboot_unpinned_ok; then
        uboot_unpinned_warning "$(cut -d' ' -f1 "$UBOOT_UNPINNED")"
        return
    fi
    [ ! -e "$UBOOT_IMAGE" ] || echo "U-Boot: $problem; installing it again"
    deb=$(uboot_deb_path "$version")
    if [ -f "$deb" ]; then
        problem=$(EXPECT_SIZE=$size EXPECT_SHA256=$sha uboot_install "$deb" "$(uboot_pin deb_sha256)")
        [ -z "$problem" ] && { echo "U-Boot: installed from the cached package"; return; }
        echo "U-Boot: the cached $(basename "$deb") is corrupt ($problem); fetching it again"
        rm -f "$deb"
    fi
    uboot_update
    if ! deb=$(uboot_download "$version"); then
        uboot_fallback "$version"
        return
    fi
    problem=$(EXPECT_SIZE=$size EXPECT_SHA256=$sha uboot_install "$deb" "$(uboot_pin deb_sha256)")
    if [ -n "$problem" ]; then
        rm -f "$deb"
        uboot_fail "the downloaded package failed its check: $problem"
    fi
    echo "U-Boot: installed target/images/uboot.bin ($size bytes, SHA-256 verified)"
}
# ANCHOR_END: ensure

# uboot_candidate: the newest version of the package apt offers.
uboot_candidate() {
    apt_private_newest "$UBOOT_CACHE" "$(uboot_pin arch)" "$(uboot_pin package)" | cut -d' ' -f2
}

# uboot_fallback PINNED: Debian no longer offers the pinned version (a stable
# update replaced it). Use the newest one, checked by apt's signed index,
# dpkg-deb and the image's own checks (but no pinned checksum), and say so.
uboot_fallback() {
    local pinned=$1 version deb problem
    version=$(uboot_candidate)
    if [ -z "$version" ] || [ "$version" = "$pinned" ]; then
        uboot_fail "apt could not download $(uboot_pin package) $pinned"
    fi
    deb=$(uboot_download "$version") ||
        uboot_fail "apt could not download $(uboot_pin package) $pinned, nor $version"
    problem=$(uboot_install "$deb")
    [ -z "$problem" ] || uboot_fail "$(uboot_pin package) $version: $problem"
    echo "$version $(sha256 "$UBOOT_IMAGE")" >"$UBOOT_UNPINNED"
    uboot_unpinned_warning "$version"
}

# uboot_unpinned_ok: target/images/uboot.bin is the unpinned fallback image
# recorded in the cache, intact.
uboot_unpinned_ok() {
    [ -f "$UBOOT_UNPINNED" ] || return 1
    local sha problem
    sha=$(cut -d' ' -f2 "$UBOOT_UNPINNED")
    problem=$(EXPECT_SHA256=$sha uboot_check_image "$UBOOT_IMAGE")
    [ -z "$problem" ]
}

uboot_unpinned_warning() {
    cat <<MSG
U-Boot: WARNING: apt no longer offers the pinned $(uboot_pin package) $(uboot_pin version);
        using $1 (checked by apt, dpkg-deb and the image's banner, not by
        a pinned checksum). Run './scripts/fetch-uboot.sh --latest' and put
        the values it prints in guests/uboot.pin.
MSG
}

# check_uboot: fail unless target/images/uboot.bin is the pinned image.
check_uboot() {
    local problem
    problem=$(EXPECT_SIZE=$(uboot_pin image_size) EXPECT_SHA256=$(uboot_pin image_sha256) \
        uboot_check_image "$UBOOT_IMAGE")
    [ -z "$problem" ] || uboot_fail "$problem"
    echo "U-Boot: target/images/uboot.bin verified"
}

# latest_uboot: fetch the newest version apt offers, install it and print
# its pin values.
latest_uboot() {
    mkdir -p "$IMAGES" "$UBOOT_CACHE"
    uboot_update
    local package arch version deb problem
    package=$(uboot_pin package)
    arch=$(uboot_pin arch)
    version=$(uboot_candidate)
    [ -n "$version" ] || uboot_fail "apt offers no $package for $arch"
    deb=$(uboot_download "$version") || uboot_fail "apt could not download $package $version"
    problem=$(uboot_install "$deb")
    [ -z "$problem" ] || uboot_fail "$package $version: $problem"
    cat <<PIN
U-Boot: installed $package $version; if it boots, put these in guests/uboot.pin:
version     $version
deb_sha256  $(sha256 "$deb")
image_size  $(stat -c %s "$UBOOT_IMAGE")
image_sha256 $(sha256 "$UBOOT_IMAGE")
PIN
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    set -euo pipefail
    case "${1:-}" in
        "") ensure_uboot ;;
        --check) check_uboot ;;
        --latest) latest_uboot ;;
        -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//' ;;
        *) die "unknown option '$1' (try --help)" ;;
    esac
fi
