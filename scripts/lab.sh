#!/usr/bin/env bash
# The course's labs: list them, check their markers, cut a student's handout.
#
#   ./scripts/lab.sh list             the labs: summary, chapters to read, time
#   ./scripts/lab.sh check            every solution and stub marker pairs up
#   ./scripts/lab.sh handout N DIR    lab N's starter tree in DIR, a git repository
#                                     with one commit
#   ./scripts/lab.sh solution DIR     the tree with every solution in and no marker
#                                     (what the course proof grades; not a git repository)
#
# The solutions live in this tree, between markers that name the lab, with
# the stub the student starts from next to them, commented out:
#
#     // LAB 3: BEGIN SOLUTION
#     ...the code that works...
#     // LAB 3: END SOLUTION
#     // LAB 3: BEGIN STUB
#     // ...what the handout has instead, behind the same comment prefix...
#     // LAB 3: END STUB
#
# Any comment prefix works (`//` in Rust and assembly, `#` in shell scripts
# and lists, `<!--` ... `-->` in Markdown: whatever precedes `LAB` on the
# BEGIN STUB line is taken off each stub line but its indentation, which
# stays, so a stub comes out at the marker's indentation; whatever follows
# `STUB` is taken off too).
# A handout for lab N keeps the solutions of labs 1..N-1, replaces those of
# labs N and later by their stubs, leaves out the tests and grade lists of
# later labs (tests/labM.rs, scripts/course/labM.tests) and adds a GitHub
# Actions workflow that runs ./scripts/grade.sh N on every push.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
COURSE="$ROOT/scripts/course"

die() { echo "lab: $*" >&2; exit 2; }
usage() { sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; }

# The labs: "number|title|chapters|hours", from scripts/course/labs.txt.
labs() { grep -v '^[[:space:]]*\(#\|$\)' "$COURSE/labs.txt"; }

cmd_list() {
    local n title chapters hours
    while IFS='|' read -r n title chapters hours; do
        printf 'lab %s  %s\n        read: %s\n        time: about %s hours; graded by ./scripts/grade.sh %s (%s points)\n' \
            "$n" "$title" "$chapters" "$hours" "$n" "$(total_points "$n")"
    done < <(labs)
}

# Points of lab N's graded tests.
total_points() {
    [ -f "$COURSE/lab$1.tests" ] || { echo "?"; return; }
    awk '!/^[[:space:]]*(#|$)/ { p += $2 } END { print p + 0 }' "$COURSE/lab$1.tests"
}

# Files that may carry markers: the tracked and new files, not ignored ones.
source_files() {
    (cd "$ROOT" && git ls-files --cached --others --exclude-standard | sort -u |
        while IFS= read -r f; do [ -f "$f" ] && echo "$f"; done)
}

# cut_file N FILE: FILE as lab N's handout has it, on stdout. Exit status 2
# (with a message on stderr) if its markers do not pair up.
#
# The cut keeps rustfmt's layout: a stub keeps the indentation of its
# marker (only the comment leader goes), and where lines were taken out the
# blank lines around them close up as rustfmt would have them: at most one,
# none after an opening bracket or before a closing one.
cut_file() {
    awk -v lab="$1" -v file="$2" '
        function fail(msg) { printf "lab: %s:%d: %s\n", file, NR, msg > "/dev/stderr"; bad = 1; exit 2 }
        # emit(line): print it, the blank lines before it held back until a
        # line that is not blank shows whether a cut left them doubled.
        function emit(line) {
            if (line ~ /^[[:space:]]*$/) { blanks++; return }
            if (blanks > 0 && cut) {
                if (last ~ /[[({][[:space:]]*$/ || line ~ /^[[:space:]]*[])}]/) blanks = 0
                else blanks = 1
            }
            for (; blanks > 0; blanks--) print ""
            print line
            last = line; cut = 0
        }
        match($0, /LAB [0-9]+: (BEGIN|END) (SOLUTION|STUB)/) {
            marker = substr($0, RSTART, RLENGTH)
            split(marker, w, /[ :]+/)         # w[2] lab, w[3] BEGIN/END, w[4] SOLUTION/STUB
            n = w[2] + 0
            if (w[3] == "BEGIN") {
                if (state != "") fail("\"" marker "\" inside an open " state " block of lab " open)
                state = w[4]; open = n
                if (state == "STUB") {
                    prefix = substr($0, 1, RSTART - 1)
                    suffix = substr($0, RSTART + RLENGTH)
                    bare = prefix; sub(/[[:space:]]+$/, "", bare)
                    indent = prefix; sub(/[^[:space:]].*$/, "", indent)
                }
            } else {
                if (state != w[4] || open != n) fail("\"" marker "\" without its BEGIN")
                state = ""
            }
            cut = 1
            next
        }
        state == "SOLUTION" { if (open < lab) emit($0); else cut = 1; next }
        state == "STUB" {
            if (open < lab) { cut = 1; next }
            line = $0
            if (substr(line, 1, length(prefix)) == prefix) line = indent substr(line, length(prefix) + 1)
            else if (line ~ /^[[:space:]]*$/) line = ""
            else if (line == bare) line = ""
            else fail("stub line does not start with \"" prefix "\"")
            if (suffix != "" && substr(line, length(line) - length(suffix) + 1) == suffix)
                line = substr(line, 1, length(line) - length(suffix))
            emit(line)
            next
        }
        { emit($0) }
        END {
            if (!bad && state != "") { NR = NR; fail("block of lab " open " not closed") }
            if (!cut) for (; blanks > 0; blanks--) print ""
        }
    ' "$ROOT/$2"
}

# Whether FILE belongs to a lab after N: its tests or its grade list.
later_lab_file() {
    local n="$1" file="$2" m
    if [[ "$file" =~ (^|/)tests/lab([0-9]+)(_[^/]*)?\.rs$ ]]; then
        m=${BASH_REMATCH[2]}
    elif [[ "$file" =~ ^scripts/course/lab([0-9]+)\.tests$ ]]; then
        m=${BASH_REMATCH[1]}
    else
        return 1
    fi
    [ "$m" -gt "$n" ]
}

cmd_check() {
    local problems=0 files=0 markers=0 f count
    while IFS= read -r f; do
        grep -Iq . "$ROOT/$f" 2>/dev/null || continue
        count=$(grep -cE 'LAB [0-9]+: (BEGIN|END) (SOLUTION|STUB)' "$ROOT/$f" || true)
        [ "$count" -gt 0 ] || continue
        [ "$f" = scripts/lab.sh ] && continue
        files=$((files + 1)); markers=$((markers + count))
        cut_file 1 "$f" >/dev/null || problems=$((problems + 1))
    done < <(source_files)
    if [ "$problems" -ne 0 ]; then
        echo "lab: $problems files with unpaired markers"; exit 1
    fi
    echo "lab: markers OK ($markers markers in $files files)"
}

# The workflow a handout carries: grade on every push, on GitHub's runners.
workflow() {
    cat <<EOF
# Grades lab $1 on every push: ./scripts/grade.sh $1 builds what the lab
# needs, runs its graded tests in QEMU and on the host, and prints the score.
# The console logs of failed tests are kept as an artifact.
name: grade lab $1
on: [push, workflow_dispatch]
jobs:
  grade:
    runs-on: ubuntu-24.04
    timeout-minutes: 30
    steps:
      - uses: actions/checkout@v4
      - name: tools
        run: |
          sudo apt-get update -q
          sudo apt-get install -y -q --no-install-recommends qemu-system-arm
          rustup toolchain install
      - name: grade
        run: ./scripts/grade.sh $1
      - name: logs of failed tests
        if: failure()
        uses: actions/upload-artifact@v4
        with:
          name: grade-logs
          path: |
            target/grade/
            target/systest-logs/
EOF
}

# write_tree N DIR: the files of lab N's handout (N past the last lab: every
# solution) into the empty or new directory DIR.
write_tree() {
    local n="$1" dir="$2" f
    kept=0 stubbed=0
    while IFS= read -r f; do
        later_lab_file "$n" "$f" && continue
        mkdir -p "$dir/$(dirname "$f")"
        if [ "$f" != scripts/lab.sh ] && grep -IqE 'LAB [0-9]+: (BEGIN|END) (SOLUTION|STUB)' "$ROOT/$f" 2>/dev/null; then
            cut_file "$n" "$f" >"$dir/$f" || die "cannot cut $f (./scripts/lab.sh check)"
            [ -x "$ROOT/$f" ] && chmod +x "$dir/$f"
            stubbed=$((stubbed + 1))
        else
            cp -p "$ROOT/$f" "$dir/$f"
        fi
        kept=$((kept + 1))
    done < <(source_files)
}

# new_dir DIR: DIR, created, which must be empty; prints its absolute path.
new_dir() {
    if [ -e "$1" ] && [ -n "$(ls -A "$1" 2>/dev/null)" ]; then
        die "$1 exists and is not empty"
    fi
    mkdir -p "$1"
    local abs
    abs=$(cd "$1" && pwd)
    [ "$abs" != "$ROOT" ] || die "DIR must not be this tree"
    echo "$abs"
}

cmd_handout() {
    local n="$1" dir out
    grep -q "^$n|" <(labs) || die "there is no lab $n (./scripts/lab.sh list)"
    dir=$(new_dir "$2")
    write_tree "$n" "$dir"
    mkdir -p "$dir/.github/workflows"
    workflow "$n" >"$dir/.github/workflows/grade.yml"
    out=$(cd "$dir" && git init -q -b main . && git add -A &&
        git -c user.name="ferrovisor course" -c user.email="course@ferrovisor.invalid" \
            commit -q -m "Lab $n: $(grep "^$n|" <(labs) | cut -d'|' -f2)" && git rev-parse --short HEAD)
    echo "lab: handout for lab $n in $dir ($kept files, $stubbed cut from markers, commit $out)"
}

cmd_solution() {
    local dir
    dir=$(new_dir "$1")
    write_tree 1000 "$dir"
    echo "lab: the solutions in $dir ($kept files, $stubbed with markers resolved)"
}

case "${1:-}" in
    list) cmd_list ;;
    check) cmd_check ;;
    handout) [ $# -eq 3 ] || die "usage: ./scripts/lab.sh handout N DIR"; cmd_handout "$2" "$3" ;;
    solution) [ $# -eq 2 ] || die "usage: ./scripts/lab.sh solution DIR"; cmd_solution "$2" ;;
    -h|--help|"") usage ;;
    *) die "unknown command '$1' (list, check, handout, solution)" ;;
esac
