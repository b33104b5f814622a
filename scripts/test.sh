#!/usr/bin/env bash
# Run every test: formatting, clippy, host unit tests, the system tests that
# boot ferrovisor in QEMU and type at its console, and the book check.
# Installs whatever is missing first. Logs of failed system tests are kept
# in target/systest-logs/.
set -euo pipefail
source "$(dirname "$0")/common.sh"
cd "$ROOT"

ensure_tools
export FERROVISOR_TOOLS_CHECKED=1

step "checking formatting (cargo fmt)"
cargo fmt --all --check

step "the hypervisor's modules import in one direction (scripts/check-imports.sh)"
"$ROOT/scripts/check-imports.sh"

# The hypervisor's build embeds the guest images, so build them first.
"$ROOT/scripts/build.sh"
# The images the course's graded tests boot (guests/lab.list, lab 4's lrtos).
"$ROOT/scripts/course/images.sh" --lab4

step "clippy, host crates and pure logic"
cargo clippy --workspace --all-targets --quiet -- -D warnings
step "clippy, the hypervisor and the guests for the board"
cargo clippy --release --target "$TARGET" -p raspi3b -p rt -p ferrovisor -p echo -p lrtos -p hostile -p bench -p fuzz --quiet -- -D warnings

step "unit tests and system tests (QEMU raspi3b)"
# The book's transcripts come from this run (tests/transcripts.rs); drop old ones.
rm -rf "$ROOT/target/transcripts"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
cargo test --workspace -- --test-threads=2 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e

step "model checks: what the cores share, in every interleaving (loom)"
# hypervisor/src/sync.rs: built with --cfg loom, the request channel, the
# input ring and the urgent flag use loom's atomics, and the loom_tests
# modules run each model once per interleaving. A target folder of its own,
# so the flag does not rebuild everything else, and a release build without
# LTO or debug info: the models run in a second, the build is what costs.
set +e
RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR="$ROOT/target/loom" \
    CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_DEBUG=false \
    CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
    cargo test -p ferrovisor --lib --release loom_tests 2>&1 | tee -a "$log"
loom_status=${PIPESTATUS[0]}
set -e
[ "$loom_status" -eq 0 ] || status=$loom_status

step "soak: the demo for a minute under load"
set +e
"$ROOT/scripts/soak.sh" --no-build 1
soak_status=$?
set -e
[ "$soak_status" -eq 0 ] || status=$soak_status

step "fuzz: the fuzzing guest for half a minute with a fixed seed, then half a minute with a random one"
set +e
"$ROOT/scripts/fuzz.sh" --no-build 0.5 --seed 0x2a
fuzz_status=$?
random_seed=$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')
echo "fuzz: random seed 0x$random_seed (replay with ./scripts/fuzz.sh --seed 0x$random_seed)"
"$ROOT/scripts/fuzz.sh" --no-build 0.5 --seed "0x$random_seed"
random_status=$?
set -e
[ "$fuzz_status" -eq 0 ] || status=$fuzz_status
[ "$random_status" -eq 0 ] || status=$random_status

step "the book"
"$ROOT/scripts/check-book.sh" --transcripts

step "the course: every handout falls short, every solution scores full"
set +e
"$ROOT/scripts/course/prove.sh" 2>&1 | tee -a "$log"
course_status=${PIPESTATUS[0]}
set -e
[ "$course_status" -eq 0 ] || status=$course_status

# Add up cargo's "test result: ok. N passed; M failed; ..." lines and the
# course proof's "course: N passed, M failed".
# The soak and the two fuzz runs count as one test each.
read -r passed failed < <(awk '/^test result:/ { p += $4; f += $6 }
    /^course: [0-9]+ passed, [0-9]+ failed$/ { p += $2; f += $4 }
    END { print p + 0, f + 0 }' "$log")
for s in "$soak_status" "$fuzz_status" "$random_status"; do
    if [ "$s" -eq 0 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
done
if [ "$status" -ne 0 ]; then
    echo "system test logs, if any: $ROOT/target/systest-logs/"
fi
echo "ferrovisor: $passed passed, $failed failed"
exit "$status"
