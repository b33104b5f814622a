#!/usr/bin/env bash
# Grade a lab: run its graded tests, each with its points, its own timeout and
# a parent it depends on, and print the score.
#
#   ./scripts/grade.sh N [--tree DIR] [--seed S]
#
# N        the lab (./scripts/lab.sh list)
# --tree   grade the tree in DIR instead of this one; this tree's graded tests
#          (scripts/course/labN.tests, the tests/labN.rs files and the
#          harness library) are copied over DIR's first, so a student's
#          edits to them do not count
# --seed   the seed of what the tests randomise (default: a fresh one,
#          printed, so a failure can be reproduced)
#
# The graded tests of lab N are listed in scripts/course/labN.tests, one per
# line: name, points, timeout in seconds, parent (or -), and what to run:
#   images                       build the guests and target/images/ferrovisor-lab.img
#                                (the VMs of guests/lab.list): scripts/course/images.sh
#   host CRATE TARGET [FILTER]   cargo test -p CRATE --test TARGET (or --lib) [FILTER]
#   system FILE FILTER           cargo test -p ferrovisor-harness --test FILE FILTER
#                                (QEMU booting the images that `images` built)
#   run COMMAND...               any command; it passes if it exits 0
# A `#:` line just above a test says what it checks (the book's grading
# tables are made from them: scripts/course/tables.sh); other `#` lines are
# comments.
# A test passes if its command exits 0 within the timeout and, for cargo
# tests, at least one test ran. A test whose parent did not pass is not run
# (it fails with 0 points). Every test's output is kept in
# target/grade/labN/NAME.log, and a failed system test's console log in
# target/systest-logs/.
#
# Output: one line per test, "PASS name points" or "FAIL name 0/points", then
# "score: X/Y", then "P passed, F failed". Exit 0 only on a full score.
set -euo pipefail

SELF="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

die() { echo "grade: $*" >&2; exit 2; }

lab="" tree="$SELF" seed=""
while [ $# -gt 0 ]; do
    case "$1" in
        --tree) [ $# -ge 2 ] || die "--tree needs a directory"; tree=$(cd "$2" && pwd) || die "no directory $2"; shift ;;
        --seed) [ $# -ge 2 ] || die "--seed needs a number"; seed=$2; shift ;;
        -h|--help) sed -n '2,33p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        [0-9]*) [ -z "$lab" ] || die "one lab at a time"; lab=$1 ;;
        *) die "unknown argument '$1' (try --help)" ;;
    esac
    shift
done
[ -n "$lab" ] || die "usage: ./scripts/grade.sh N [--tree DIR] [--seed S]"
tests="$SELF/scripts/course/lab$lab.tests"
[ -f "$tests" ] || die "there is no lab $lab (./scripts/lab.sh list)"
[[ "$seed" =~ ^[0-9]*$ ]] || die "--seed takes a number"
[ -n "$seed" ] || seed=$(( (RANDOM << 15 | RANDOM) + 1 ))
export FERROVISOR_LAB_SEED="$seed"

# A teacher's grading: this tree's graded tests replace the student's.
if [ "$tree" != "$SELF" ]; then
    [ -f "$tree/Cargo.toml" ] || die "$tree is not a ferrovisor tree"
    mkdir -p "$tree/scripts/course"
    cp "$tests" "$tree/scripts/course/"
    rm -rf "$tree/scripts/harness/src" && cp -r "$SELF/scripts/harness/src" "$tree/scripts/harness/src"
    for t in "$SELF"/*/tests/lab"$lab".rs "$SELF"/scripts/harness/tests/lab"$lab".rs; do
        [ -f "$t" ] || continue
        rel=${t#"$SELF"/}
        mkdir -p "$tree/$(dirname "$rel")"
        cp "$t" "$tree/$rel"
    done
fi

cd "$tree"
logs="$tree/target/grade/lab$lab"
rm -rf "$logs"
mkdir -p "$logs"

# run_test KIND ARGS...: the command of one graded test.
run_test() {
    local kind=$1; shift
    case "$kind" in
        images) ./scripts/course/images.sh ;;
        host)
            local crate=$1 target=$2 filter=${3:-}
            if [ "$target" = lib ]; then
                cargo test -p "$crate" --lib -- ${filter:+"$filter"} --test-threads=2
            else
                cargo test -p "$crate" --test "$target" -- ${filter:+"$filter"} --test-threads=2
            fi ;;
        system)
            cargo test -p ferrovisor-harness --test "$1" -- "$2" --exact --test-threads=1 ;;
        run) "$@" ;;
        *) echo "grade: unknown kind of test '$kind'"; return 2 ;;
    esac
}

# Whether a cargo test log shows tests that ran and none that failed.
ran_tests() {
    grep -Eq '^test result: ok\. [1-9][0-9]* passed' "$1" && ! grep -Eq '^test result: FAILED' "$1"
}

echo "grading lab $lab in $tree (seed $seed)"
declare -A passed=()
score=0 total=0 npass=0 nfail=0
while read -r name points limit parent kind rest; do
    [ -n "${name:-}" ] && [ "${name:0:1}" != "#" ] || continue
    total=$((total + points))
    log="$logs/$name.log"
    ok=no
    if [ "$parent" != "-" ] && [ "${passed[$parent]:-no}" != yes ]; then
        echo "not run: its parent '$parent' did not pass" >"$log"
        why="(not run: '$parent' failed)"
    else
        # shellcheck disable=SC2086
        if timeout --kill-after=10 "$limit" bash -c "$(declare -f run_test); run_test $kind $rest" >"$log" 2>&1; then
            case "$kind" in
                host|system) ran_tests "$log" && ok=yes || why="(no test ran: see $log)" ;;
                *) ok=yes ;;
            esac
        else
            status=$?
            if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
                why="(timed out after ${limit} s; log: ${log#"$tree"/})"
            else
                why="(log: ${log#"$tree"/})"
            fi
        fi
    fi
    if [ "$ok" = yes ]; then
        passed[$name]=yes
        score=$((score + points)); npass=$((npass + 1))
        printf 'PASS %-40s %s\n' "$name" "$points"
    else
        nfail=$((nfail + 1))
        printf 'FAIL %-40s 0/%s %s\n' "$name" "$points" "$why"
    fi
done <"$tests"

echo "score: $score/$total"
echo "$npass passed, $nfail failed"
[ "$score" -eq "$total" ]
