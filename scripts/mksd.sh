#!/usr/bin/env bash
# Make a bootable SD card image for a Raspberry Pi 3, without root:
#   OUTPUT (default sdcard.img in the repository root)
#       a 128 MiB disk image: MBR, one FAT32 partition (type 0x0c) at 1 MiB
#       holding the Raspberry Pi firmware (bootcode.bin, start.elf,
#       fixup.dat, from Debian's raspi-firmware package), config.txt from
#       boards/raspi3b/ and kernel8.img (ferrovisor with its VMs);
#   boot/ (in the repository root, or --boot-dir DIR)
#       the same files, to copy onto the FAT partition of a card you have.
# Usage: ./scripts/mksd.sh [--no-build] [--boot-dir DIR] [OUTPUT]
#   --no-build   use target/images/kernel8.img as it is (scripts/build.sh made it)
# The firmware package is downloaded once with apt and kept in target/firmware/.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=common.sh
source "$(dirname "$0")/common.sh"

# ANCHOR: layout
IMAGE_MIB=128                   # the whole disk image: kernel8.img carries Linux (~35 MB)
SECTOR=512                      # bytes per sector, on the card and in the FAT
PARTITION_START=2048            # sectors: the partition starts at 1 MiB
FAT_LABEL=FERROVISOR
# The files the Pi 3's boot ROM and GPU firmware look for on the FAT partition.
FIRMWARE_FILES=(bootcode.bin start.elf fixup.dat)
FIRMWARE_PACKAGE=raspi-firmware
FIRMWARE_DIR_IN_PACKAGE=usr/lib/raspi-firmware
# ANCHOR_END: layout
FIRMWARE_CACHE="$ROOT/target/firmware"

usage() { sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; }

build=yes
boot_dir="$ROOT/boot"
output=""
while [ $# -gt 0 ]; do
    case "$1" in
        -h|--help) usage; exit 0 ;;
        --no-build) build=no ;;
        --boot-dir) [ $# -ge 2 ] || die "--boot-dir needs a folder"; boot_dir=$2; shift ;;
        -*) die "unknown option '$1' (try --help)" ;;
        *) [ -z "$output" ] || die "only one OUTPUT, please (try --help)"; output=$1 ;;
    esac
    shift
done
output=$(realpath -m "${output:-$ROOT/sdcard.img}")
boot_dir=$(realpath -m "$boot_dir")
# The output is an image file. Writing to a device is dd's job, after a
# human has checked the name.
case "$output" in
    /dev/*) die "$output is a device; make an image file and write it with dd (see --help)" ;;
esac
if [ -e "$output" ] && [ ! -f "$output" ]; then
    die "$output exists and is not a regular file"
fi
[ -d "$(dirname "$output")" ] || die "no folder $(dirname "$output") for the image"

[ "${FERROVISOR_TOOLS_CHECKED:-}" = 1 ] || ensure_tools
export FERROVISOR_TOOLS_CHECKED=1
# mtools checks that a FAT's size is a multiple of a floppy-era track size;
# a FAT inside a disk image need not be.
export MTOOLS_SKIP_CHECK=1

work=$(mktemp -d)
# The image is made under a temporary name beside OUTPUT, then renamed.
tmp_image="$output.part"
trap 'rm -rf "$work" "$tmp_image"' EXIT

# ---- the firmware -----------------------------------------------------------

# The newest raspi-firmware .deb already in the cache, if any.
cached_firmware_deb() {
    find "$FIRMWARE_CACHE" -maxdepth 1 -name "${FIRMWARE_PACKAGE}_*.deb" 2>/dev/null | sort -V | tail -n1
}

# apt run by root downloads as the user _apt, who may not write to our
# folders; a plain user's apt downloads as that user anyway.
SANDBOX=()
if [ "$(id -u)" -eq 0 ]; then SANDBOX=(-o APT::Sandbox::User=root); fi

# signed_by ENTRY: the keyring file named by the Signed-By option of the
# sources entry ENTRY ("file:N", as `apt-get indextargets` reports it: the
# Nth stanza of a .sources file, line N of a .list file). Empty when the
# entry has none, or embeds the key instead of naming a file.
signed_by() {
    local file=${1%:*} n=${1##*:}
    [ -r "$file" ] || return 0
    case "$file" in
        *.sources)
            awk -v n="$n" 'BEGIN { RS = "" } NR == n' "$file" |
                sed -n 's/^Signed-By:[[:space:]]*\(\/[^[:space:]]*\)[[:space:]]*$/\1/Ip' | head -n1 ;;
        *)
            sed -n "${n}p" "$file" | sed -n 's/.*\[[^]]*signed-by=\([^][:space:]]*\).*/\1/Ip' ;;
    esac
}

# ANCHOR: sources
# One-line apt sources for the machine's own Debian archives with the
# component that holds non-free firmware: "deb [signed-by=K] URI SUITE COMPONENT".
# The URIs and suites are the ones apt already uses here; the component is
# the one each archive's Release file lists (non-free-firmware since Debian
# 12, non-free before).
firmware_sources() {
    local origin uri suite filename metakey entry release components component keyring
    # $(NAME) is apt's own field syntax, not the shell's.
    # shellcheck disable=SC2016
    apt-get indextargets --format '$(ORIGIN)|$(REPO_URI)|$(RELEASE)|$(FILENAME)|$(METAKEY)|$(SOURCESENTRY)' \
        'Identifier: Packages' |
    while IFS='|' read -r origin uri suite filename metakey entry; do
        [ "$origin" = Debian ] || continue
        # The Packages file is <lists>/<archive>_<metakey with / as _>[.ext];
        # the archive's Release file sits beside it.
        release=${filename%"_${metakey//\//_}"*}
        components=$(sed -n 's/^Components:[[:space:]]*//p' "${release}_InRelease" "${release}_Release" 2>/dev/null | head -n1)
        component=""
        for c in non-free-firmware non-free; do
            if [[ " $components " == *" $c "* ]]; then component=$c; break; fi
        done
        [ -n "$component" ] || continue
        keyring=$(signed_by "$entry")
        echo "deb ${keyring:+[signed-by=$keyring] }$uri $suite $component"
    done | sort -u
}

# Download the package with apt seeing only those sources, on private
# state in $work/apt: the machine's apt configuration is not touched.
download_with_firmware_sources() {
    local apt_dir="$work/apt"
    mkdir -p "$apt_dir/sources.list.d" "$apt_dir/state/lists/partial" "$apt_dir/cache/archives/partial"
    firmware_sources >"$apt_dir/sources.list"
    [ -s "$apt_dir/sources.list" ] ||
        die "apt knows no Debian archive with non-free firmware; add a Debian mirror to apt's sources (or run 'sudo apt-get update' once) and try again"
    echo "apt sources used, the machine's Debian archives with the firmware component:"
    sed 's/^/    /' "$apt_dir/sources.list"
    # The machine's update hooks (cleaning its cache, updating its
    # command-not-found database) are for its own state, not this one.
    printf '#clear APT::Update::%s;\n' Pre-Invoke Post-Invoke Post-Invoke-Success >"$apt_dir/apt.conf"
    local options=(
        -c "$apt_dir/apt.conf"
        -o "Dir::Etc::sourcelist=$apt_dir/sources.list"
        -o "Dir::Etc::sourceparts=$apt_dir/sources.list.d"
        -o "Dir::State=$apt_dir/state"
        -o "Dir::Cache=$apt_dir/cache"
        # Only the package lists: no translations, no AppStream metadata.
        -o "Acquire::Languages=none"
        -o "Acquire::IndexTargets::deb::DEP-11::DefaultEnabled=false"
        -o "Acquire::IndexTargets::deb::DEP-11-icons::DefaultEnabled=false"
        -o "Acquire::IndexTargets::deb::DEP-11-icons-small::DefaultEnabled=false"
        -o "Acquire::IndexTargets::deb::DEP-11-icons-hidpi::DefaultEnabled=false"
        "${SANDBOX[@]}"
    )
    apt-get -qq "${options[@]}" update
    (cd "$FIRMWARE_CACHE" && apt-get -qq "${options[@]}" download "$FIRMWARE_PACKAGE")
}
# ANCHOR_END: sources

# ANCHOR: fetch
# The raspi-firmware .deb: from the cache, else downloaded with the
# machine's own apt configuration, else with a temporary one that adds the
# firmware component to the machine's Debian archives.
firmware_deb() {
    local deb
    deb=$(cached_firmware_deb)
    if [ -z "$deb" ]; then
        step "downloading Debian's $FIRMWARE_PACKAGE package (once, kept in target/firmware/)" >&2
        mkdir -p "$FIRMWARE_CACHE"
        if ! (cd "$FIRMWARE_CACHE" && apt-get -qq "${SANDBOX[@]}" download "$FIRMWARE_PACKAGE") 2>/dev/null; then
            echo "the firmware component is not in apt's sources here; using a temporary list" >&2
            download_with_firmware_sources >&2
        fi
        deb=$(cached_firmware_deb)
        [ -n "$deb" ] || die "apt did not download $FIRMWARE_PACKAGE"
    fi
    echo "$deb"
}
# ANCHOR_END: fetch

# ---- the files --------------------------------------------------------------

if [ "$build" = yes ]; then
    "$ROOT/scripts/build.sh"
fi
kernel="$IMAGES/kernel8.img"
[ -f "$kernel" ] || die "$kernel does not exist; run ./scripts/build.sh (or drop --no-build)"

deb=$(firmware_deb)
step "collecting the boot files in $boot_dir"
echo "firmware: $(basename "$deb")"
dpkg-deb -x "$deb" "$work/firmware"
mkdir -p "$boot_dir"
files=()
for f in "${FIRMWARE_FILES[@]}"; do
    [ -f "$work/firmware/$FIRMWARE_DIR_IN_PACKAGE/$f" ] ||
        die "$(basename "$deb") has no $FIRMWARE_DIR_IN_PACKAGE/$f"
    cp "$work/firmware/$FIRMWARE_DIR_IN_PACKAGE/$f" "$boot_dir/$f"
    files+=("$f")
done
# The firmware's licence travels with it.
cp "$work/firmware/usr/share/doc/$FIRMWARE_PACKAGE/copyright" "$boot_dir/LICENCE.firmware"
cp "$ROOT/boards/raspi3b/config.txt" "$boot_dir/config.txt"
cp "$kernel" "$boot_dir/kernel8.img"
files+=(config.txt kernel8.img LICENCE.firmware)

# ---- the disk image ---------------------------------------------------------

# ANCHOR: image
step "making the disk image $output"
image_sectors=$((IMAGE_MIB * 1024 * 1024 / SECTOR))
partition_sectors=$((image_sectors - PARTITION_START))
rm -f "$tmp_image"
truncate -s "$((image_sectors * SECTOR))" "$tmp_image"     # sparse, all zeros

# The MBR: one partition, FAT32 with LBA addressing (type 0x0c).
sfdisk --quiet "$tmp_image" <<EOF
label: dos
unit: sectors
start=$PARTITION_START, size=$partition_sectors, type=c
EOF

# FAT32 with one 512-byte sector per cluster, as Raspberry Pi OS does;
# --offset writes it inside the partition, -h records where that is.
mkfs.fat -F 32 -S "$SECTOR" -s 1 -n "$FAT_LABEL" -h "$PARTITION_START" \
    --offset "$PARTITION_START" "$tmp_image" "$((partition_sectors * SECTOR / 1024))" >/dev/null

# Copy the files into the FAT without mounting it: "image@@offset" is the
# FAT that starts at that byte offset.
fat="$tmp_image@@$((PARTITION_START * SECTOR))"
for f in "${files[@]}"; do
    mcopy -i "$fat" -m "$boot_dir/$f" "::$f"
done
mv "$tmp_image" "$output"
# ANCHOR_END: image

step "done"
sfdisk --list "$output" | sed -n '/^Device/,$p'
echo
mdir -i "$output@@$((PARTITION_START * SECTOR))" -b :: | sed 's|^::/|    |'
# ANCHOR: dd
cat <<EOF

The image is $output ($IMAGE_MIB MiB); the same files are in $boot_dir/.

Write it to a microSD card (this erases the whole card):

    lsblk -d -o NAME,SIZE,MODEL,TRAN       # find the card, e.g. sdb or mmcblk0
    sudo dd if=$output of=/dev/sdX bs=4M conv=fsync status=progress

WARNING: check the device name twice. dd overwrites whatever /dev/sdX is,
including your own disk, without asking. Unmount the card's partitions first.
Or copy the files of $boot_dir/ onto the FAT partition of a card that
already boots a Raspberry Pi (keep a copy of what you replace).
EOF
# ANCHOR_END: dd
