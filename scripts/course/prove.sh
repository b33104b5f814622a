#!/usr/bin/env bash
# The course proof (run by scripts/test.sh): every handout falls short and
# every solution scores full.
#
# For each lab N: cut its handout (./scripts/lab.sh handout N), check that it
# builds (the guests and the graders' images), that the tests that are not
# this lab's pass (the host unit tests of the hypervisor, lrtos and the
# harness: every pure module, fast; the system tests are left to the
# solution's run, which boots the same images), and that ./scripts/grade.sh N
# grades it below full. Then the tree with every solution in
# (./scripts/lab.sh solution) must score full on every lab.
#
# Every tree is synced into one work directory, target/course/tree, copying
# only files whose content differs: unchanged files keep their time stamps, so cargo rebuilds
# only what differs from the tree before (a handout differs from the
# solution in a few files) and all the trees share one target directory.
# Prints one line per check and the time taken; exits 1 if any check fails.
#   ./scripts/course/prove.sh
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
WORK="$ROOT/target/course"
TREE="$WORK/tree"
LABS=$(grep -v '^[[:space:]]*\(#\|$\)' "$ROOT/scripts/course/labs.txt" | cut -d'|' -f1)
# The handouts' host tests run with fewer property-test cases (the full
# number runs on this tree in test.sh), and their grading with shorter
# timeouts (a stub fails by not printing, and need not be waited for long):
# both only make the proof faster.
HANDOUT_PROPTEST_CASES=32
HANDOUT_TIMEOUT_SCALE=0.4
start=$SECONDS
failures=0
passes=0

say() { printf 'course: %s\n' "$*"; }
fail() { say "FAIL $*"; failures=$((failures + 1)); }
ok() { say "ok   $*"; passes=$((passes + 1)); }

# into_tree DIR: make the work tree hold exactly DIR's files.
into_tree() {
    local f
    mkdir -p "$TREE"
    # Files the new tree does not have go.
    (cd "$TREE" && find . -path ./target -prune -o -type f -print) | while IFS= read -r f; do
        [ -f "$1/$f" ] || rm -f "$TREE/$f"
    done
    (cd "$1" && find . -path ./.git -prune -o -type f -print) | while IFS= read -r f; do
        if ! cmp -s "$1/$f" "$TREE/$f"; then
            mkdir -p "$TREE/$(dirname "$f")"
            cp "$1/$f" "$TREE/$f"
        fi
        if [ -x "$1/$f" ]; then chmod +x "$TREE/$f"; fi
    done
}

"$ROOT/scripts/lab.sh" check
rm -rf "$WORK/handouts" "$WORK/solution"
mkdir -p "$WORK/handouts"

for n in $LABS; do
    t=$SECONDS
    hand="$WORK/handouts/lab$n"
    "$ROOT/scripts/lab.sh" handout "$n" "$hand" >/dev/null
    into_tree "$hand"
    log="$WORK/handout-lab$n.log"
    if ! (cd "$TREE" && ./scripts/course/images.sh $([ "$n" = 4 ] && echo --lab4) &&
            PROPTEST_CASES=$HANDOUT_PROPTEST_CASES cargo test -p ferrovisor --lib -- --test-threads=2 &&
            cargo test -p lrtos --lib && cargo test -p ferrovisor-harness --lib) >"$log" 2>&1; then
        fail "lab $n: the handout does not build or its other tests fail (log: ${log#"$ROOT"/})"
        continue
    fi
    glog="$WORK/handout-lab$n.grade"
    if FERROVISOR_TIMEOUT_SCALE=$HANDOUT_TIMEOUT_SCALE "$ROOT/scripts/grade.sh" "$n" --tree "$TREE" >"$glog" 2>&1; then
        fail "lab $n: the handout scores full without any work (${glog#"$ROOT"/})"
    else
        ok "lab $n: the handout builds, its other tests pass, it grades $(grep '^score:' "$glog" | cut -d' ' -f2) ($((SECONDS - t)) s)"
    fi
done

t=$SECONDS
"$ROOT/scripts/lab.sh" solution "$WORK/solution" >/dev/null
into_tree "$WORK/solution"
for n in $LABS; do
    glog="$WORK/solution-lab$n.grade"
    if "$ROOT/scripts/grade.sh" "$n" --tree "$TREE" >"$glog" 2>&1; then
        ok "lab $n: the solution grades $(grep '^score:' "$glog" | cut -d' ' -f2)"
    else
        fail "lab $n: the solution grades $(grep '^score:' "$glog" | cut -d' ' -f2 || echo '?'):"
        grep '^FAIL' "$glog" | sed 's/^/    /' || true
    fi
done
say "solutions graded in $((SECONDS - t)) s; the whole proof took $((SECONDS - start)) s"
say "$passes passed, $failures failed"
[ "$failures" -eq 0 ]
