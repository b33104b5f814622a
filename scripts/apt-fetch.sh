# Shared by the scripts that fetch Debian's stock guests (fetch-uboot.sh,
# fetch-linux.sh): reading a pin file, and apt with a private state.
# Source it after common.sh; do not run it.
#
# apt runs with a private state directory inside the guest's cache (.cache/<guest>/apt,
# git-ignored) and the architecture set to the pin's (APT::Architecture), so the
# machine's own package state is not touched and no foreign architecture is added
# to it. The sources are the machine's own (/etc/apt/sources.list and
# sources.list.d): no mirror is named here.

# pin_get PIN KEY: the value of KEY in the pin file PIN (the rest of the first
# line that starts with KEY), or nothing.
pin_get() {
    awk -v key="$2" '$1 == key { $1 = ""; sub(/^ +/, ""); print; exit }' "$1"
}

# pin_require PIN KEY: the value of KEY in the pin file PIN; stops with an
# error naming the file when the key is missing.
pin_require() {
    local value
    value=$(pin_get "$1" "$2")
    [ -n "$value" ] || die "guests/$(basename "$1") has no '$2'"
    printf '%s\n' "$value"
}

# ANCHOR: apt
# apt_private CACHE ARCH COMMAND ARGS...: apt-get or apt-cache with the private
# state in CACHE/apt, for architecture ARCH.
apt_private() {
    local cache=$1 arch=$2 tool=$3
    shift 3
    local opts=(
        -o "Dir::State=$cache/apt/state"
        -o "Dir::State::status=$cache/apt/state/status"
        -o "Dir::Cache=$cache/apt/cache"
        -o "APT::Architecture=$arch"
        -o "APT::Architectures=$arch"
        -o "Acquire::Languages=none"
        -o "Acquire::IndexTargets::deb::DEP-11::DefaultEnabled=false"
        -o "Acquire::IndexTargets::deb::DEP-11-icons::DefaultEnabled=false"
        -o "Acquire::IndexTargets::deb::DEP-11-icons-small::DefaultEnabled=false"
        -o "Acquire::IndexTargets::deb::DEP-11-icons-hidpi::DefaultEnabled=false"
    )
    # As root, apt would hand downloads to its sandbox user, which cannot
    # write into this user's cache.
    [ "$(id -u)" -ne 0 ] || opts+=(-o "APT::Sandbox::User=root")
    "$tool" "${opts[@]}" "$@"
}
# ANCHOR_END: apt

# apt_private_update CACHE ARCH: refresh the private package lists. On failure
# apt's output goes to stderr and the status is non-zero.
apt_private_update() {
    local cache=$1 arch=$2 out
    if ! command -v apt-get >/dev/null || ! command -v dpkg-deb >/dev/null; then
        echo "apt-get and dpkg-deb are needed to fetch Debian packages (a Debian machine)" >&2
        return 1
    fi
    mkdir -p "$cache/apt/state/lists/partial" "$cache/apt/cache/archives/partial"
    touch "$cache/apt/state/status"
    out=$(apt_private "$cache" "$arch" apt-get -q update 2>&1) || { echo "$out" >&2; return 1; }
}

# apt_deb_path CACHE PACKAGE VERSION ARCH: where the cache keeps that package
# (apt's file name: the epoch colon is written %3a).
apt_deb_path() {
    echo "$1/$2_${3//:/%3a}_$4.deb"
}

# apt_private_download CACHE ARCH PACKAGE VERSION: download the package into
# CACHE and print the .deb's path. apt's progress goes to stderr.
apt_private_download() {
    local cache=$1 arch=$2 package=$3 version=$4 size
    size=$(apt_private "$cache" "$arch" apt-cache show "$package:$arch=$version" 2>/dev/null |
        sed -n 's/^Size: //p' | head -n1)
    if [ "${size:-0}" -ge 1000000 ]; then size="$((size / 1000000)) MB"; else size="$((${size:-0} / 1000)) kB"; fi
    echo "downloading $package $version ($arch, $size)" >&2
    (cd "$cache" && apt_private "$cache" "$arch" apt-get download "$package:$arch=$version") >&2 ||
        return 1
    local deb
    deb=$(apt_deb_path "$cache" "$package" "$version" "$arch")
    [ -f "$deb" ] || { echo "apt did not leave $deb" >&2; return 1; }
    echo "$deb"
}

# apt_private_newest CACHE ARCH REGEX: "PACKAGE VERSION" of the newest version
# of any package whose whole name matches the extended regular expression
# REGEX (a plain package name matches itself), or nothing.
apt_private_newest() {
    local cache=$1 arch=$2 regex=$3 best_package="" best_version="" package version names
    mapfile -t names < <(apt_private "$cache" "$arch" apt-cache pkgnames | grep -E "^($regex)\$")
    [ "${#names[@]}" -gt 0 ] || return 0
    while read -r package version; do
        if [ -z "$best_version" ] || dpkg --compare-versions "$version" gt "$best_version"; then
            best_package=$package best_version=$version
        fi
    done < <(apt_private "$cache" "$arch" apt-cache show "${names[@]}" 2>/dev/null |
        awk '/^Package: / { p = $2 } /^Version: / { print p, $2 }')
    [ -z "$best_version" ] || echo "$best_package $best_version"
}

sha256() { sha256sum "$1" | cut -d' ' -f1; }
