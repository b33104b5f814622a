#!/usr/bin/env bash
# The course proof (run by scripts/test.sh): every handout passes the
# project's own checks but its lab's graded tests and scores 0 for its lab,
# and every solution scores full.
#
# For each lab N: cut its handout (./scripts/lab.sh handout N) and run on it
# what scripts/test.sh runs before the system tests: cargo fmt --check, the
# import check, the build (scripts/build.sh and the graders' images), both
# clippy lines, and the host tests (the unit tests of the hypervisor, lrtos
# and the harness, and the host test files but lab N's graded ones). The
# system tests are left to the solution's run, which boots the same images.
# Then ./scripts/grade.sh N must grade the handout 0: no points without work.
# Last, the tree with every solution in (./scripts/lab.sh solution) must
# score full on every lab.
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

# host_tests N: the host tests of lab N's handout, but its graded ones: the
# unit tests of the hypervisor, lrtos and the harness, and every test file in
# hypervisor/tests and lrtos/tests but labN.rs.
host_tests() {
    local n=$1 crate dir f name targets
    for crate in ferrovisor:hypervisor lrtos:lrtos; do
        targets=()
        dir=${crate#*:}
        for f in "$TREE/$dir"/tests/*.rs; do
            [ -f "$f" ] || continue
            name=$(basename "$f" .rs)
            [ "$name" = "lab$n" ] && continue
            targets+=(--test "$name")
        done
        PROPTEST_CASES=$HANDOUT_PROPTEST_CASES cargo test -p "${crate%%:*}" --lib "${targets[@]}" -- --test-threads=2 || return 1
    done
    cargo test -p ferrovisor-harness --lib
}

# check_handout N: the project's checks on lab N's handout in the work tree,
# each one's output into LOG; the first that fails is named.
check_handout() {
    local n=$1 what
    local -a checks=(
        "cargo fmt --all --check"
        "./scripts/check-imports.sh"
        "./scripts/build.sh"
        "./scripts/course/images.sh $([ "$n" = 4 ] && echo --lab4)"
        "cargo clippy --workspace --all-targets --quiet -- -D warnings"
        "cargo clippy --release --target aarch64-unknown-none-softfloat -p raspi3b -p rt -p ferrovisor -p echo -p lrtos -p hostile -p bench -p fuzz --quiet -- -D warnings"
        "host_tests $n"
    )
    local t0
    for what in "${checks[@]}"; do
        echo "==> $what" >>"$log"
        t0=$SECONDS
        # shellcheck disable=SC2086
        if ! (cd "$TREE" && FERROVISOR_TOOLS_CHECKED=1 $what) >>"$log" 2>&1; then
            fail "lab $n: the handout fails \`${what%% -- *}\` (log: ${log#"$ROOT"/})"
            return 1
        fi
        echo "<== $((SECONDS - t0)) s: $what" >>"$log"
    done
}

for n in $LABS; do
    t=$SECONDS
    hand="$WORK/handouts/lab$n"
    "$ROOT/scripts/lab.sh" handout "$n" "$hand" >/dev/null
    into_tree "$hand"
    # The fetched guests (U-Boot, Linux) come from this tree's cache.
    [ -e "$TREE/.cache" ] || ln -s "$ROOT/.cache" "$TREE/.cache"
    log="$WORK/handout-lab$n.log"
    : >"$log"
    check_handout "$n" || continue
    checked=$((SECONDS - t))
    glog="$WORK/handout-lab$n.grade"
    FERROVISOR_TIMEOUT_SCALE=$HANDOUT_TIMEOUT_SCALE "$ROOT/scripts/grade.sh" "$n" --tree "$TREE" >"$glog" 2>&1 || true
    score=$(grep '^score:' "$glog" | cut -d' ' -f2)
    if [ "${score%%/*}" = 0 ]; then
        ok "lab $n: the handout passes fmt, imports, build, clippy and its other host tests (${checked} s), it grades $score ($((SECONDS - t)) s)"
    else
        fail "lab $n: the handout grades ${score:-?} without any work, not 0 (${glog#"$ROOT"/}):"
        grep '^PASS' "$glog" | sed 's/^/    /' || true
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
