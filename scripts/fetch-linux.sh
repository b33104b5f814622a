#!/usr/bin/env bash
# Fetch the Linux guest: Debian's stock arm64 kernel (its Image and its
# bcm2837-rpi-3-b.dtb) and Debian's static BusyBox, the versions pinned in
# guests/linux.pin, and build the initramfs from BusyBox and guests/linux/init.
# The packages are downloaded with apt (into .cache/linux/, git-ignored; about
# 60 MB the first time), checked against the pinned checksums, and the guest
# installed in target/images/linux/: Image, bcm2837-rpi-3-b.dtb, initramfs.cpio.gz.
#   ./scripts/fetch-linux.sh           fetch if needed, check, install
#   ./scripts/fetch-linux.sh --check   only check target/images/linux/ (no network)
#   ./scripts/fetch-linux.sh --latest  fetch the newest versions apt offers and
#                                      print the values for guests/linux.pin
# scripts/build.sh sources this file and calls ensure_linux.
#
# apt runs with a private state (scripts/apt-fetch.sh, shared with
# fetch-uboot.sh). When Debian no longer offers a pinned version (a stable or
# security update replaced the kernel's ABI package), the newest matching one
# is used with a warning, checked by apt's signed index, dpkg-deb and the
# files' own formats, but not by the pinned checksums, until the pin is updated.

# Sourced by build.sh after common.sh, or run on its own.
declare -F objcopy_path >/dev/null || source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
declare -F apt_private >/dev/null || source "$(dirname "${BASH_SOURCE[0]}")/apt-fetch.sh"

LINUX_PIN="$ROOT/guests/linux.pin"
LINUX_INIT="$ROOT/guests/linux/init"
LINUX_CACHE="$ROOT/.cache/linux"
LINUX_DIR="$IMAGES/linux"
LINUX_IMAGE="$LINUX_DIR/Image"
LINUX_DTB="$LINUX_DIR/bcm2837-rpi-3-b.dtb"
LINUX_INITRD="$LINUX_DIR/initramfs.cpio.gz"
# BusyBox as taken out of its package, kept for rebuilding the initramfs.
LINUX_BUSYBOX="$LINUX_CACHE/busybox"
# The kernel modules the initramfs carries (guests/linux.pin's `modules`), as
# taken out of the kernel package: lib/modules/<release>/... under this folder.
LINUX_MODULES="$LINUX_CACHE/modules"
# Written when a pinned version is gone and a newer one is used instead: the
# pin's checksum, then "KEY VALUE" lines that replace the pin's for the files.
LINUX_UNPINNED="$LINUX_CACHE/unpinned"
# The DTB inside the kernel package (relative to usr/lib/linux-image-<release>/).
LINUX_DTB_IN_PACKAGE="broadcom/bcm2837-rpi-3-b.dtb"
# arm64 Image header (Documentation/arm64/booting.rst): "ARM\x64" at byte 56.
LINUX_IMAGE_MAGIC_OFFSET=56
LINUX_IMAGE_MAGIC="41524d64"
# A flattened device tree starts with the big-endian magic 0xd00dfeed.
FDT_MAGIC="d00dfeed"
# gzip's magic, for a compressed vmlinuz.
GZIP_MAGIC="1f8b"
# An ELF file for AArch64: "\x7fELF", and e_machine (byte 18, little-endian) EM_AARCH64.
ELF_MAGIC="7f454c46"
ELF_MACHINE_OFFSET=18
ELF_MACHINE_AARCH64="b700"
# Fixed time stamp of the initramfs's files, so the same inputs give the same archive.
INITRAMFS_EPOCH=0

# linux_pin KEY: the value of KEY in guests/linux.pin.
linux_pin() {
    pin_require "$LINUX_PIN" "$1"
}

# linux_expect KEY: the checksum a file must have: the unpinned record's when
# one is in use for this pin, else the pin's.
linux_expect() {
    if linux_unpinned_active; then
        local value
        value=$(pin_get "$LINUX_UNPINNED" "$1")
        [ -z "$value" ] || { echo "$value"; return; }
    fi
    linux_pin "$1"
}

linux_unpinned_active() {
    [ -f "$LINUX_UNPINNED" ] && [ "$(pin_get "$LINUX_UNPINNED" for_pin)" = "$(sha256 "$LINUX_PIN")" ]
}

linux_help() {
    cat >&2 <<MSG
  ./scripts/fetch-linux.sh downloads Debian's $(linux_pin kernel_package) $(linux_pin kernel_version)
  and $(linux_pin busybox_package) $(linux_pin busybox_version) for $(linux_pin arch) with apt,
  from the Debian mirrors this machine's apt is configured with (/etc/apt/sources.list*).
  Without network access, download them on any Debian machine with
      apt-get download $(linux_pin kernel_package):$(linux_pin arch)=$(linux_pin kernel_version) \\
          $(linux_pin busybox_package):$(linux_pin arch)=$(linux_pin busybox_version)
  and copy the .deb files into $LINUX_CACHE/ before running ./scripts/build.sh.
MSG
}

linux_fail() {
    printf 'error: Linux: %s\n' "$*" >&2
    linux_help
    exit 1
}

# hex_at FILE OFFSET COUNT: COUNT bytes of FILE at OFFSET, as hex.
hex_at() { od -An -tx1 -j "$2" -N "$3" "$1" | tr -d ' \n'; }

# linux_check FILE KIND [SHA256]: what is wrong with FILE as a KIND (image,
# dtb, busybox, initrd), or nothing.
linux_check() {
    local file=$1 kind=$2 want=${3:-}
    local shown=${file#"$ROOT"/}
    [ -s "$file" ] || { echo "$shown is missing or empty"; return; }
    case "$kind" in
        image) [ "$(hex_at "$file" "$LINUX_IMAGE_MAGIC_OFFSET" 4)" = "$LINUX_IMAGE_MAGIC" ] ||
            { echo "$shown is not an arm64 Linux Image (no ARM\\x64 magic at byte 56)"; return; } ;;
        dtb) [ "$(hex_at "$file" 0 4)" = "$FDT_MAGIC" ] ||
            { echo "$shown is not a flattened device tree"; return; } ;;
        busybox) [ "$(hex_at "$file" 0 4)" = "$ELF_MAGIC" ] &&
            [ "$(hex_at "$file" "$ELF_MACHINE_OFFSET" 2)" = "$ELF_MACHINE_AARCH64" ] ||
            { echo "$shown is not an AArch64 program"; return; } ;;
        initrd) [ "$(hex_at "$file" 0 2)" = "$GZIP_MAGIC" ] ||
            { echo "$shown is not a gzip'd archive"; return; } ;;
    esac
    if [ -n "$want" ] && [ "$(sha256 "$file")" != "$want" ]; then
        echo "$shown has the wrong SHA-256 (corrupt or not the pinned version)"
    fi
}

LINUX_UPDATED=""
linux_update() {
    [ -z "$LINUX_UPDATED" ] || return 0
    echo "Linux: reading the $(linux_pin arch) package lists of this machine's apt sources"
    apt_private_update "$LINUX_CACHE" "$(linux_pin arch)" ||
        linux_fail "apt-get update for $(linux_pin arch) failed"
    LINUX_UPDATED=1
}

# linux_deb PART: make the package of PART (kernel or busybox) present in the
# cache; sets DEB (its path), DEB_PACKAGE, DEB_VERSION and DEB_PINNED (1 or empty).
linux_deb() {
    local part=$1 arch
    arch=$(linux_pin arch)
    DEB_PACKAGE=$(linux_pin "${part}_package")
    DEB_VERSION=$(linux_pin "${part}_version")
    DEB_PINNED=1
    DEB=$(apt_deb_path "$LINUX_CACHE" "$DEB_PACKAGE" "$DEB_VERSION" "$arch")
    local want
    want=$(linux_pin "${part}_deb_sha256")
    if [ -f "$DEB" ]; then
        [ "$(sha256 "$DEB")" = "$want" ] && return
        echo "Linux: the cached $(basename "$DEB") is corrupt; fetching it again"
        rm -f "$DEB"
    fi
    linux_update
    printf 'Linux: '
    if apt_private_download "$LINUX_CACHE" "$arch" "$DEB_PACKAGE" "$DEB_VERSION" >/dev/null; then
        [ "$(sha256 "$DEB")" = "$want" ] && return
        rm -f "$DEB"
        linux_fail "the downloaded $DEB_PACKAGE $DEB_VERSION does not have the pinned SHA-256"
    fi
    # The pinned version is gone: the newest one that matches.
    local pattern newest
    pattern=$(pin_get "$LINUX_PIN" "${part}_pattern")
    newest=$(apt_private_newest "$LINUX_CACHE" "$arch" "${pattern:-$DEB_PACKAGE}")
    [ -n "$newest" ] && [ "$newest" != "$DEB_PACKAGE $DEB_VERSION" ] ||
        linux_fail "apt could not download $DEB_PACKAGE $DEB_VERSION"
    DEB_PACKAGE=${newest% *} DEB_VERSION=${newest#* } DEB_PINNED=""
    DEB=$(apt_deb_path "$LINUX_CACHE" "$DEB_PACKAGE" "$DEB_VERSION" "$arch")
    [ -f "$DEB" ] && dpkg-deb --info "$DEB" >/dev/null 2>&1 && return
    printf 'Linux: '
    apt_private_download "$LINUX_CACHE" "$arch" "$DEB_PACKAGE" "$DEB_VERSION" >/dev/null ||
        linux_fail "apt could not download the pinned $(linux_pin "${part}_package"), nor $DEB_PACKAGE $DEB_VERSION"
}

# deb_file DEB PATH OUT: extract PATH (relative, without ./) from DEB into OUT.
deb_file() {
    dpkg-deb --fsys-tarfile "$1" | tar -xOf - "./$2" >"$3" 2>/dev/null
}

# install_file TMP DEST: move TMP to DEST unless DEST already has the same
# bytes (so the build, which watches time stamps, is not redone for nothing).
install_file() {
    if cmp -s "$1" "$2"; then rm -f "$1"; else chmod 644 "$1"; mv "$1" "$2"; fi
}

# linux_extract_kernel DEB RELEASE PINNED: install Image and the DTB from DEB.
linux_extract_kernel() {
    local deb=$1 release=$2 pinned=$3 tmp problem
    tmp=$(mktemp "$LINUX_DIR/.vmlinuz.XXXXXX")
    deb_file "$deb" "boot/vmlinuz-$release" "$tmp" ||
        { rm -f "$tmp"; linux_fail "$(basename "$deb") has no ./boot/vmlinuz-$release"; }
    # On arm64 vmlinuz is the Image itself, gzip'd in some releases.
    if [ "$(hex_at "$tmp" 0 2)" = "$GZIP_MAGIC" ]; then
        gzip -dc <"$tmp" >"$tmp.image" && mv "$tmp.image" "$tmp"
    fi
    problem=$(linux_check "$tmp" image "${pinned:+$(linux_pin image_sha256)}")
    [ -z "$problem" ] || { rm -f "$tmp"; linux_fail "boot/vmlinuz-$release: ${problem#* }"; }
    install_file "$tmp" "$LINUX_IMAGE"
    tmp=$(mktemp "$LINUX_DIR/.dtb.XXXXXX")
    deb_file "$deb" "usr/lib/linux-image-$release/$LINUX_DTB_IN_PACKAGE" "$tmp" ||
        { rm -f "$tmp"; linux_fail "$(basename "$deb") has no $LINUX_DTB_IN_PACKAGE"; }
    problem=$(linux_check "$tmp" dtb "${pinned:+$(linux_pin dtb_sha256)}")
    [ -z "$problem" ] || { rm -f "$tmp"; linux_fail "$LINUX_DTB_IN_PACKAGE: ${problem#* }"; }
    install_file "$tmp" "$LINUX_DTB"
    rm -rf "$LINUX_MODULES"
    local module
    for module in $(linux_pin modules); do
        mkdir -p "$LINUX_MODULES/lib/modules/$release/$(dirname "$module")"
        deb_file "$deb" "lib/modules/$release/$module" "$LINUX_MODULES/lib/modules/$release/$module" ||
            linux_fail "$(basename "$deb") has no lib/modules/$release/$module"
    done
}

# linux_extract_busybox DEB PINNED: keep bin/busybox from DEB in the cache.
linux_extract_busybox() {
    local deb=$1 pinned=$2 tmp problem
    tmp=$(mktemp "$LINUX_CACHE/.busybox.XXXXXX")
    deb_file "$deb" bin/busybox "$tmp" ||
        { rm -f "$tmp"; linux_fail "$(basename "$deb") has no ./bin/busybox"; }
    problem=$(linux_check "$tmp" busybox "${pinned:+$(linux_pin busybox_sha256)}")
    [ -z "$problem" ] || { rm -f "$tmp"; linux_fail "bin/busybox: ${problem#* }"; }
    chmod 755 "$tmp"
    mv "$tmp" "$LINUX_BUSYBOX"
}

# ANCHOR: initramfs
# linux_initramfs: build target/images/linux/initramfs.cpio.gz: BusyBox as
# /bin/busybox, guests/linux/init as /init, the pinned kernel modules (the
# watchdog driver, which reboots and powers off a Pi) and the empty directories
# init mounts on. /dev/console is not in it: every kernel unpacks its built-in
# initramfs first, which holds /dev/console, and this archive is laid on top.
# Owners, modes and time stamps are fixed, so the same inputs give the same bytes.
linux_initramfs() {
    local stage="$LINUX_CACHE/initramfs" tmp
    rm -rf "$stage"
    mkdir -p "$stage"/{bin,dev,etc,proc,root,sbin,sys,tmp,usr/bin,usr/sbin}
    install -m 755 "$LINUX_BUSYBOX" "$stage/bin/busybox"
    install -m 755 "$LINUX_INIT" "$stage/init"
    cp -r "$LINUX_MODULES/lib" "$stage/"
    find "$stage" -exec touch -h -d "@$INITRAMFS_EPOCH" {} +
    tmp=$(mktemp "$LINUX_DIR/.initramfs.XXXXXX")
    (cd "$stage" && find . -mindepth 1 | LC_ALL=C sort |
        cpio --quiet -o -H newc -R 0:0 --reproducible) | gzip -9n >"$tmp"
    install_file "$tmp" "$LINUX_INITRD"
}
# ANCHOR_END: initramfs

# linux_installed_ok: the installed files are the expected ones.
linux_installed_ok() {
    [ -z "$(linux_check "$LINUX_IMAGE" image "$(linux_expect image_sha256)")" ] &&
        [ -z "$(linux_check "$LINUX_DTB" dtb "$(linux_expect dtb_sha256)")" ] &&
        [ -z "$(linux_check "$LINUX_BUSYBOX" busybox "$(linux_expect busybox_sha256)")" ] &&
        [ -d "$LINUX_MODULES/lib" ]
}

# ANCHOR: ensure
# ensure_linux: make target/images/linux/ hold the pinned, verified kernel
# and DTB and an initramfs built from the pinned BusyBox, fetching the
# packages when the cache does not have them.
ensure_linux() {
    mkdir -p "$LINUX_DIR" "$LINUX_CACHE"
    command -v cpio >/dev/null || linux_fail "cpio is needed to build the initramfs (apt-get install cpio)"
    if ! linux_installed_ok; then
        local unpinned=()
        linux_deb kernel
        local release
        if [ -n "$DEB_PINNED" ]; then release=$(linux_pin kernel_release); else
            release=${DEB_PACKAGE#linux-image-}; release=${release%-unsigned}
            unpinned+=("kernel_version $DEB_PACKAGE $DEB_VERSION")
        fi
        linux_extract_kernel "$DEB" "$release" "$DEB_PINNED"
        linux_deb busybox
        [ -n "$DEB_PINNED" ] || unpinned+=("busybox_version $DEB_PACKAGE $DEB_VERSION")
        linux_extract_busybox "$DEB" "$DEB_PINNED"
        if [ "${#unpinned[@]}" -gt 0 ]; then
            {
                echo "for_pin $(sha256 "$LINUX_PIN")"
                printf '%s\n' "${unpinned[@]}"
                echo "image_sha256 $(sha256 "$LINUX_IMAGE")"
                echo "dtb_sha256 $(sha256 "$LINUX_DTB")"
                echo "busybox_sha256 $(sha256 "$LINUX_BUSYBOX")"
            } >"$LINUX_UNPINNED"
        else
            rm -f "$LINUX_UNPINNED"
        fi
        local verified="SHA-256 verified"
        [ "${#unpinned[@]}" -eq 0 ] || verified="not pinned"
        echo "Linux: installed $(basename "$LINUX_IMAGE") ($(stat -c %s "$LINUX_IMAGE") bytes) and $(basename "$LINUX_DTB") ($verified)"
    fi
    if linux_unpinned_active; then
        linux_unpinned_warning
    else
        echo "Linux: target/images/linux/ holds $(linux_pin kernel_package) $(linux_pin kernel_version) (verified)"
    fi
    linux_initramfs
}
# ANCHOR_END: ensure

linux_unpinned_warning() {
    cat <<MSG
Linux: WARNING: apt no longer offers a pinned version in guests/linux.pin; using
$(sed -n 's/^[a-z]*_version /        /p' "$LINUX_UNPINNED")
        (checked by apt, dpkg-deb and the files' formats, not by a pinned
        checksum). Run './scripts/fetch-linux.sh --latest' and put the values
        it prints in guests/linux.pin.
MSG
}

# check_linux: fail unless target/images/linux/ holds the pinned files and an initramfs.
check_linux() {
    local problem
    for problem in "$(linux_check "$LINUX_IMAGE" image "$(linux_pin image_sha256)")" \
        "$(linux_check "$LINUX_DTB" dtb "$(linux_pin dtb_sha256)")" \
        "$(linux_check "$LINUX_INITRD" initrd)"; do
        [ -z "$problem" ] || linux_fail "$problem"
    done
    echo "Linux: target/images/linux/ verified"
}

# latest_linux: fetch the newest versions apt offers, install them and print
# their pin values.
latest_linux() {
    mkdir -p "$LINUX_DIR" "$LINUX_CACHE"
    linux_update
    local arch kernel busybox kdeb bdeb release
    arch=$(linux_pin arch)
    kernel=$(apt_private_newest "$LINUX_CACHE" "$arch" "$(linux_pin kernel_pattern)")
    busybox=$(apt_private_newest "$LINUX_CACHE" "$arch" "$(linux_pin busybox_package)")
    [ -n "$kernel" ] && [ -n "$busybox" ] || linux_fail "apt offers no matching kernel or BusyBox for $arch"
    kdeb=$(apt_deb_path "$LINUX_CACHE" "${kernel% *}" "${kernel#* }" "$arch")
    [ -f "$kdeb" ] || kdeb=$(apt_private_download "$LINUX_CACHE" "$arch" "${kernel% *}" "${kernel#* }") ||
        linux_fail "apt could not download $kernel"
    bdeb=$(apt_deb_path "$LINUX_CACHE" "${busybox% *}" "${busybox#* }" "$arch")
    [ -f "$bdeb" ] || bdeb=$(apt_private_download "$LINUX_CACHE" "$arch" "${busybox% *}" "${busybox#* }") ||
        linux_fail "apt could not download $busybox"
    release=${kernel% *}; release=${release#linux-image-}; release=${release%-unsigned}
    linux_extract_kernel "$kdeb" "$release" ""
    linux_extract_busybox "$bdeb" ""
    linux_initramfs
    cat <<PIN
Linux: installed ${kernel% *} ${kernel#* } and ${busybox% *} ${busybox#* }; if Linux boots, put these in guests/linux.pin:
kernel_package      ${kernel% *}
kernel_version      ${kernel#* }
kernel_deb_sha256   $(sha256 "$kdeb")
kernel_release      $release
image_sha256        $(sha256 "$LINUX_IMAGE")
dtb_sha256          $(sha256 "$LINUX_DTB")
busybox_version     ${busybox#* }
busybox_deb_sha256  $(sha256 "$bdeb")
busybox_sha256      $(sha256 "$LINUX_BUSYBOX")
PIN
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    set -euo pipefail
    case "${1:-}" in
        "") ensure_linux ;;
        --check) check_linux ;;
        --latest) latest_linux ;;
        -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//' ;;
        *) die "unknown option '$1' (try --help)" ;;
    esac
fi
