#!/usr/bin/env bash
# Make an SD card image for ferrovisor's card driver to read, without root:
#   OUTPUT   a disk image of MIB MiB (default 64): MBR, one FAT32 partition
#            (type 0x0c) at 1 MiB, holding a copy of the folder FROM
#            (subfolders and long file names included).
# Usage: ./scripts/mktestsd.sh [--mib MIB] FROM OUTPUT
#   --mib MIB   the image's size in MiB, a power of two (QEMU wants one):
#               up to 2048 the card is standard capacity (byte addresses),
#               above it SDHC (block addresses). The image is sparse.
# Attach it to QEMU with -drive if=sd,format=raw,file=OUTPUT; the
# hypervisor's `ls` lists it. (scripts/mksd.sh makes the card a real Pi 3
# boots from.)
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=common.sh
source "$(dirname "$0")/common.sh"

# ANCHOR: layout
SECTOR=512                      # bytes per sector, on the card and in the FAT
PARTITION_START=2048            # sectors: the partition starts at 1 MiB
SMALL_CLUSTERS_MIB=1024         # up to here one sector per cluster, as mksd.sh
FAT_LABEL=FERROTEST
# ANCHOR_END: layout

usage() { sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; }

mib=64
args=()
while [ $# -gt 0 ]; do
    case "$1" in
        -h|--help) usage; exit 0 ;;
        --mib) [ $# -ge 2 ] || die "--mib needs a size in MiB"; mib=$2; shift ;;
        -*) die "unknown option '$1' (try --help)" ;;
        *) args+=("$1") ;;
    esac
    shift
done
[ ${#args[@]} -eq 2 ] || die "give a folder and an image name (try --help)"
from=${args[0]}
output=${args[1]}
[ -d "$from" ] || die "no folder $from"
case "$mib" in
    ''|*[!0-9]*) die "--mib takes a number of MiB, not '$mib'" ;;
esac
[ $((mib & (mib - 1))) -eq 0 ] && [ "$mib" -ge 64 ] ||
    die "--mib $mib: QEMU wants a power of two, and FAT32 at least 64 MiB here"
case "$output" in
    /dev/*) die "$output is a device; this script makes image files" ;;
esac
for tool in sfdisk mkfs.fat mcopy; do
    command -v "$tool" >/dev/null || die "$tool is missing (Debian: fdisk, dosfstools, mtools)"
done
export MTOOLS_SKIP_CHECK=1      # a FAT in a disk image need not fit floppy tracks

# ANCHOR: image
tmp_image="$output.part"
trap 'rm -f "$tmp_image"' EXIT
image_sectors=$((mib * 1024 * 1024 / SECTOR))
partition_sectors=$((image_sectors - PARTITION_START))
rm -f "$tmp_image"
truncate -s "$((image_sectors * SECTOR))" "$tmp_image"     # sparse, all zeros
sfdisk --quiet "$tmp_image" <<EOF
label: dos
unit: sectors
start=$PARTITION_START, size=$partition_sectors, type=c
EOF
cluster=()
[ "$mib" -le "$SMALL_CLUSTERS_MIB" ] && cluster=(-s 1)
mkfs.fat -F 32 -S "$SECTOR" "${cluster[@]}" -n "$FAT_LABEL" -h "$PARTITION_START" \
    --offset "$PARTITION_START" "$tmp_image" "$((partition_sectors * SECTOR / 1024))" >/dev/null
# mcopy -s copies folders with what is in them; names that are not 8.3
# get VFAT long-name entries.
fat="$tmp_image@@$((PARTITION_START * SECTOR))"
shopt -s nullglob dotglob
export LC_ALL=C                 # the same order of files on every host
entries=("$from"/*)
[ ${#entries[@]} -eq 0 ] || mcopy -i "$fat" -s -m "${entries[@]}" ::
mv "$tmp_image" "$output"
# ANCHOR_END: image
