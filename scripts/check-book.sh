#!/usr/bin/env bash
# Check that the book still matches the code:
#   1. every {{#include PATH}}, {{#include PATH:ANCHOR}} (and {{#rustdoc_include}})
#      in book/src names an existing file and, for an anchor, a region marked
#      with both `ANCHOR: name` and `ANCHOR_END: name` in that file;
#   2. every `ANCHOR: name` in the sources has its `ANCHOR_END: name`, and the
#      other way round;
#   3. `mdbook build book` runs without an ERROR or WARN line;
#   4. every picture the book shows exists (and an SVG is well-formed XML);
#   5. no chapter pastes a console transcript (a code block with the prompt
#      `ferrovisor> `, `U-Boot> ` or `/root # `, a log line `[    0.002306] ...`
#      or a `[vmtrace] ` line): transcripts are
#      included from book/src/transcripts/, which real runs produce;
#   6. those transcripts match what the code prints (scripts/check-transcripts.sh,
#      against target/transcripts/ from the system test `transcripts`).
#   7. the labs' grading tables in labs.md are what scripts/course/labN.tests
#      make (scripts/course/tables.sh --check).
# Prints one line per problem and a summary; exits 1 if there is any problem.
#   ./scripts/check-book.sh                 step 6 only if a fresh run exists
#   ./scripts/check-book.sh --transcripts   step 6 required (test.sh)
#   ./scripts/check-book.sh --update        refresh book/src/transcripts/, then check
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BOOK="$ROOT/book"
SRC="$BOOK/src"
# Source folders whose anchors are checked (the ones that exist).
SOURCE_DIRS=(hypervisor echo lrtos guests boards)

transcripts=--if-fresh
case "${1:-}" in
    "") ;;
    --transcripts) transcripts="" ;;
    --update) "$ROOT/scripts/check-transcripts.sh" --update; transcripts="" ;;
    -h|--help) sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "check-book: unknown option '$1' (try --help)" >&2; exit 2 ;;
esac

problems=0
includes=0
anchors=0
images=0

problem() {
    echo "check-book: $*"
    problems=$((problems + 1))
}

# A path relative to the repository root, for messages.
rel() { realpath -m --relative-to="$ROOT" "$1"; }

# has_marker FILE KIND NAME: FILE has a line with `KIND: NAME` (KIND is ANCHOR
# or ANCHOR_END), NAME ending where mdBook's anchor names end.
has_marker() {
    grep -Eq "$2:[[:space:]]*$3([^A-Za-z0-9_-]|\$)" "$1"
}

# Line number of the first `KIND: NAME` marker in FILE (empty if none).
marker_line() {
    grep -En "$2:[[:space:]]*$3([^A-Za-z0-9_-]|\$)" "$1" | head -n1 | cut -d: -f1
}

[ -d "$SRC" ] || { problem "no book sources at $(rel "$SRC")"; echo "check-book: 1 problem"; exit 1; }
mapfile -t chapters < <(find "$SRC" -name '*.md' -type f | sort)

# ---- 1. includes -----------------------------------------------------------
for md in "${chapters[@]}"; do
    dir=$(dirname "$md")
    # "line:directive", skipping directives escaped with a backslash.
    while IFS= read -r hit; do
        [ -n "$hit" ] || continue
        line=${hit%%:*}
        directive=${hit#*:}
        directive=${directive#?}            # drop the character before {{ (or nothing)
        [ "${directive:0:2}" = "{{" ] || directive="{${directive}"
        includes=$((includes + 1))
        # {{#include ARG}} -> ARG, trimmed
        arg=$(sed -E 's/^\{\{#(include|rustdoc_include)[[:space:]]+//; s/[[:space:]]*\}\}$//' <<<"$directive")
        path=${arg%%:*}
        rest=""
        [ "$arg" != "$path" ] && rest=${arg#*:}
        where="$(rel "$md"):$line: $directive"
        file="$dir/$path"
        if [ ! -f "$file" ]; then
            problem "$where: file $(rel "$file") does not exist"
            continue
        fi
        # No anchor, or a line range such as 10, 10:20, :20 or 10:.
        if [ -z "$rest" ] || [[ "$rest" =~ ^[0-9]*(:[0-9]*)?$ ]]; then
            continue
        fi
        name=$rest
        if ! [[ "$name" =~ ^[A-Za-z0-9_-]+$ ]]; then
            problem "$where: '$name' is not a valid anchor name"
            continue
        fi
        start_ok=yes end_ok=yes
        has_marker "$file" ANCHOR "$name" || start_ok=no
        has_marker "$file" ANCHOR_END "$name" || end_ok=no
        if [ $start_ok = no ] && [ $end_ok = no ]; then
            problem "$where: anchor '$name' not found in $(rel "$file") (needs 'ANCHOR: $name' and 'ANCHOR_END: $name')"
        elif [ $start_ok = no ]; then
            problem "$where: $(rel "$file") has 'ANCHOR_END: $name' but no 'ANCHOR: $name'"
        elif [ $end_ok = no ]; then
            problem "$where: $(rel "$file") has 'ANCHOR: $name' but no 'ANCHOR_END: $name'"
        elif [ "$(marker_line "$file" ANCHOR "$name")" -gt "$(marker_line "$file" ANCHOR_END "$name")" ]; then
            problem "$where: in $(rel "$file"), 'ANCHOR_END: $name' comes before 'ANCHOR: $name'"
        fi
    done < <(grep -noE '(^|[^\\])\{\{#(include|rustdoc_include)[[:space:]]+[^}]*\}\}' "$md" || true)
done

# ---- 2. anchors in the sources --------------------------------------------
for d in "${SOURCE_DIRS[@]}"; do
    [ -d "$ROOT/$d" ] || continue
    while IFS= read -r file; do
        while IFS= read -r msg; do
            [ -n "$msg" ] && problem "$(rel "$file"): $msg"
        done < <(awk '
            {
                if (match($0, /ANCHOR_END:[ \t]*[A-Za-z0-9_-]+/)) {
                    name = substr($0, RSTART, RLENGTH); sub(/^ANCHOR_END:[ \t]*/, "", name)
                    ends[name]++; if (!(name in end_line)) end_line[name] = NR
                } else if (match($0, /ANCHOR:[ \t]*[A-Za-z0-9_-]+/)) {
                    name = substr($0, RSTART, RLENGTH); sub(/^ANCHOR:[ \t]*/, "", name)
                    starts[name]++; if (!(name in start_line)) start_line[name] = NR
                }
            }
            END {
                for (n in starts) {
                    if (!(n in ends)) printf "line %d: ANCHOR: %s has no ANCHOR_END: %s\n", start_line[n], n, n
                    else if (starts[n] > 1) printf "line %d: ANCHOR: %s appears %d times\n", start_line[n], n, starts[n]
                    else if (end_line[n] < start_line[n]) printf "line %d: ANCHOR_END: %s comes before its ANCHOR\n", end_line[n], n
                }
                for (n in ends) {
                    if (!(n in starts)) printf "line %d: ANCHOR_END: %s has no ANCHOR: %s\n", end_line[n], n, n
                    else if (ends[n] > 1) printf "line %d: ANCHOR_END: %s appears %d times\n", end_line[n], n, ends[n]
                }
                for (n in starts) count++
                printf "#count %d\n", count
            }' "$file" | sed -n '/^#count /!p')
        anchors=$((anchors + $(grep -cE 'ANCHOR:[[:space:]]*[A-Za-z0-9_-]+' "$file" || true)))
    done < <(grep -rlIE 'ANCHOR(_END)?:' "$ROOT/$d" --exclude-dir=target --exclude-dir=build --exclude-dir=.git || true)
done

# ---- 3. mdbook build --------------------------------------------------------
MDBOOK=$(command -v mdbook || true)
[ -n "$MDBOOK" ] || { [ -x "$HOME/.cargo/bin/mdbook" ] && MDBOOK="$HOME/.cargo/bin/mdbook"; } || true
if [ -z "$MDBOOK" ]; then
    problem "mdbook is not installed (./scripts/test.sh installs it, or: cargo install mdbook --version 0.5.4)"
else
    set +e
    out=$(cd "$ROOT" && "$MDBOOK" build book 2>&1)
    status=$?
    set -e
    while IFS= read -r l; do
        [ -n "$l" ] && problem "mdbook build: $l"
    done < <(sed 's/\x1b\[[0-9;]*m//g' <<<"$out" | grep -E '(^|[[:space:]])(ERROR|WARN)([[:space:]]|$)' || true)
    if [ "$status" -ne 0 ]; then
        problem "mdbook build book failed (exit status $status)"
        sed 's/^/    /' <<<"$out" | tail -n 20
    fi
fi

# ---- 4. pictures ------------------------------------------------------------
for md in "${chapters[@]}"; do
    dir=$(dirname "$md")
    while IFS= read -r hit; do
        [ -n "$hit" ] || continue
        line=${hit%%:*}
        ref=${hit#*:}
        # ![alt](path "title") or <img ... src="path">
        if [[ "$ref" == '!['* ]]; then
            target=$(sed -E 's/^!\[[^]]*\]\(([^)[:space:]]+).*/\1/' <<<"$ref")
        else
            target=$(sed -E 's/.*src="([^"]+)".*/\1/' <<<"$ref")
        fi
        case "$target" in http://*|https://*|data:*) continue ;; esac
        target=${target%%#*}
        images=$((images + 1))
        file="$dir/$target"
        if [ ! -f "$file" ]; then
            problem "$(rel "$md"):$line: picture $target does not exist ($(rel "$file"))"
        elif [[ "$file" == *.svg ]] && command -v python3 >/dev/null; then
            if ! err=$(python3 -c 'import sys, xml.dom.minidom; xml.dom.minidom.parse(sys.argv[1])' "$file" 2>&1); then
                problem "$(rel "$file"): not well-formed SVG: $(tail -n1 <<<"$err")"
            fi
        fi
    done < <(grep -noE '!\[[^]]*\]\([^)]+\)|<img[^>]*src="[^"]+"' "$md" || true)
done

# ---- 5. no pasted transcripts -----------------------------------------------
pasted=0
for md in "${chapters[@]}"; do
    case "$md" in "$SRC"/transcripts/*) continue ;; esac
    while IFS= read -r line; do
        [ -n "$line" ] || continue
        problem "$(rel "$md"):$line: a console transcript pasted into the chapter; write a session in book/transcripts/ and {{#include transcripts/NAME.txt}} it"
        pasted=$((pasted + 1))
    done < <(awk '
        /^[ \t]*```/ { if (fence) { if (hit) print start; fence = 0 } else { fence = 1; hit = 0; start = NR }; next }
        fence && ($0 ~ /^ferrovisor> / || $0 ~ /^\[ *[0-9]+\.[0-9][0-9][0-9][0-9][0-9][0-9]\] / ||
                  $0 ~ /^\[vmtrace\] / || $0 ~ /^U-Boot> / || $0 ~ /^\/root # /) { hit = 1 }
    ' "$md")
done

# ---- 6. transcripts match the code -------------------------------------------
while IFS= read -r l; do
    case "$l" in
        "check-transcripts: OK"*|"check-transcripts: not checked"*) transcript_note=${l#check-transcripts: } ;;
        "check-transcripts: "*" stale or missing transcripts") ;;
        "check-transcripts: "*) problem "${l#check-transcripts: }" ;;
        *) echo "$l" ;;
    esac
done < <("$ROOT/scripts/check-transcripts.sh" $transcripts || true)

# ---- 7. the labs' grading tables --------------------------------------------
while IFS= read -r l; do
    case "$l" in
        "tables: the grading tables match"*) ;;
        "tables: the grading tables in"*) problem "${l#tables: }" ;;
        "tables: run "*) echo "check-book: ${l#tables: }" ;;
        "tables: "*) problem "${l#tables: }" ;;
        *) echo "$l" ;;
    esac
done < <("$ROOT/scripts/course/tables.sh" --check 2>&1 || true)

# ---- summary ----------------------------------------------------------------
if [ "$problems" -eq 0 ]; then
    echo "check-book: OK (${#chapters[@]} pages, $includes includes, $anchors anchors in the sources, $images pictures, mdbook build clean; transcripts: ${transcript_note:-?})"
else
    [ "$problems" -eq 1 ] && noun=problem || noun=problems
    echo "check-book: $problems $noun"
    exit 1
fi
