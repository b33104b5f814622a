#!/usr/bin/env bash
# Check that the console transcripts the book shows are what the code prints.
#
# The system test scripts/harness/tests/transcripts.rs runs every session in
# book/transcripts/*.session in QEMU and writes what it saved to
# target/transcripts/NAME.txt. This script compares each with the copy the
# chapters include, book/src/transcripts/NAME.txt, after masking what changes
# from run to run (timestamps, uptime, image sizes, vml's times, counters and
# running/sleeping, the figures of info's core lines, register values of a crash report, the counts of Linux's
# /proc/interrupts). It fails on a
# transcript that differs, one the book has but no session produces, and one a
# session produces that the book does not have.
#   ./scripts/check-transcripts.sh            compare
#   ./scripts/check-transcripts.sh --update   copy the new and changed fresh transcripts into the book
#   --fresh DIR / --book DIR                  other directories (for tests)
#   --if-fresh                                say so and succeed when no fresh run exists
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
FRESH="$ROOT/target/transcripts"
BOOK="$ROOT/book/src/transcripts"
update=no
if_fresh=no
while [ $# -gt 0 ]; do
    case "$1" in
        --update) update=yes ;;
        --if-fresh) if_fresh=yes ;;
        --fresh) FRESH=$2; shift ;;
        --book) BOOK=$2; shift ;;
        -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "check-transcripts: unknown option '$1' (try --help)" >&2; exit 2 ;;
    esac
    shift
done

if ! compgen -G "$FRESH/*.txt" >/dev/null; then
    how="run the system tests first: ./scripts/build.sh && cargo test -p ferrovisor-harness --test transcripts"
    if [ "$if_fresh" = yes ]; then
        echo "check-transcripts: not checked, no fresh transcripts in $FRESH ($how)"
        exit 0
    fi
    echo "check-transcripts: no fresh transcripts in $FRESH; $how"
    exit 1
fi

# mask FILE: the transcript with what differs between two good runs replaced.
mask() {
    sed -E \
        -e 's/\[ *[0-9]+\.[0-9]+\]/[T]/g' \
        -e 's/^(uptime +: ).*/\1T/' \
        -e 's/^(core[0-9] +: [^;]*;).*/\1 S/' \
        -e 's/image [0-9]+ bytes/image N bytes/g' \
        -e 's/^( *[0-9]+ +[^ ]+ +)(running |sleeping)/\1active  /' \
        -e 's/^( *[0-9]+ +[^ ]+ +[a-z]+ +[0-9]+ +[0-9]+) +[0-9]+\.[0-9]( +[0-9]+){5}/\1 T N/' \
        -e "s/^(\[console: VM [0-9]+ '[^']*' )\((running|sleeping)\)/\1(active)/" \
        -e 's/0x[0-9a-f]{16}/0xV/g' \
        -e 's/, pc 0x[0-9a-f]+/, pc 0xV/g' \
        -e '/^bench: (run|progress|stopped)/s/[0-9]+/N/g' \
        -e 's/^uptime: [0-9]+ ms$/uptime: N ms/' \
        -e 's/^([a-z_0-9]+ +)[0-9]+$/\1N/' \
        -e 's/^( *[0-9]+:) +[0-9]+( +[A-Za-z0-9-]+-(level|timer|pmu) )/\1 N\2/' \
        "$1"
}

if [ "$update" = yes ]; then
    # Copy the new and the changed ones (a copy that differs only in what the
    # mask hides stays, so a refresh does not churn every timestamp); drop
    # the ones no session produces any more.
    mkdir -p "$BOOK"
    copied=0
    for fresh in "$FRESH"/*.txt; do
        book="$BOOK/$(basename "$fresh")"
        if [ ! -f "$book" ] || ! cmp -s <(mask "$book") <(mask "$fresh"); then
            cp "$fresh" "$book"
            copied=$((copied + 1))
        fi
    done
    for book in "$BOOK"/*.txt; do
        [ -f "$FRESH/$(basename "$book")" ] || rm -f "$book"
    done
    echo "check-transcripts: copied $copied new or changed transcripts into $BOOK"
    exit 0
fi

problems=0
checked=0
for fresh in "$FRESH"/*.txt; do
    name=$(basename "$fresh")
    book="$BOOK/$name"
    if [ ! -f "$book" ]; then
        echo "check-transcripts: $name: a session produces it but the book has no copy (./scripts/check-transcripts.sh --update)"
        problems=$((problems + 1))
        continue
    fi
    checked=$((checked + 1))
    if ! out=$(diff -u --label "book/src/transcripts/$name" --label "what the code prints" \
            <(mask "$book") <(mask "$fresh")); then
        echo "check-transcripts: $name is stale: the code prints something else (masked diff below; ./scripts/check-transcripts.sh --update refreshes it)"
        sed 's/^/    /' <<<"$out" | head -n 40
        problems=$((problems + 1))
    fi
done
for book in "$BOOK"/*.txt; do
    [ -f "$book" ] || continue
    name=$(basename "$book")
    if [ ! -f "$FRESH/$name" ]; then
        echo "check-transcripts: $name: in the book, but no session in book/transcripts/ saves it"
        problems=$((problems + 1))
    fi
done

if [ "$problems" -eq 0 ]; then
    echo "check-transcripts: OK ($checked transcripts match what the code prints)"
else
    echo "check-transcripts: $problems stale or missing transcripts"
    exit 1
fi
