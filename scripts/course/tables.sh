#!/usr/bin/env bash
# The grading tables of the book's labs (book/src/labs.md), made from the
# graded tests' lists scripts/course/labN.tests: one row per test, with its
# points, its parent and what it checks (the `#:` lines just above the test's
# line in the list). Each table sits in labs.md between the lines
#     <!-- grading: lab N (made by scripts/course/tables.sh) -->
#     <!-- end of grading -->
#
#   ./scripts/course/tables.sh --check   every table is what its list makes
#                                        (scripts/check-book.sh runs this)
#   ./scripts/course/tables.sh --write   make the tables again in labs.md
# Exits 1 if a table differs (--check) or a test has no `#:` text.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
COURSE="$ROOT/scripts/course"
BOOK="$ROOT/book/src/labs.md"

die() { echo "tables: $*" >&2; exit 2; }

# table N: lab N's grading table in Markdown.
table() {
    awk -v file="scripts/course/lab$1.tests" '
        BEGIN {
            print "| test | points | parent | what it checks |"
            print "| --- | --- | --- | --- |"
        }
        /^#:/ { sub(/^#:[[:space:]]*/, ""); what = what (what == "" ? "" : " ") $0; next }
        /^[[:space:]]*(#|$)/ { next }
        {
            if (what == "") { printf "tables: %s:%d: test %s has no #: line saying what it checks\n", file, NR, $1 > "/dev/stderr"; bad = 1 }
            printf "| `%s` | %s | %s | %s |\n", $1, $2, ($4 == "-" ? "-" : "`" $4 "`"), what
            what = ""
        }
        END { exit bad }
    ' "$COURSE/lab$1.tests"
}

# book: labs.md with every table made again, on stdout.
book() {
    local line n in_table=""
    while IFS= read -r line; do
        if [[ "$line" =~ ^'<!-- grading: lab '([0-9]+)' ' ]]; then
            n=${BASH_REMATCH[1]}
            printf '%s\n' "$line"
            # A handout has no lists of the labs after its own: their tables stay.
            [ -f "$COURSE/lab$n.tests" ] || continue
            table "$n" || exit 1
            in_table=$n
            continue
        fi
        if [ -n "$in_table" ]; then
            [ "$line" = "<!-- end of grading -->" ] || continue
            in_table=""
        fi
        printf '%s\n' "$line"
    done <"$BOOK"
    [ -z "$in_table" ] || die "the table of lab $in_table in labs.md has no end line"
}

# Every lab with a list has its table.
# (A table whose lab has no list, in a handout, is left as it is.)
for f in "$COURSE"/lab*.tests; do
    n=$(basename "$f" .tests); n=${n#lab}
    grep -q "^<!-- grading: lab $n " "$BOOK" || die "labs.md has no grading table for lab $n"
done

new=$(book)
case "${1:-}" in
    --check)
        if ! diff <(cat "$BOOK") <(printf '%s\n' "$new") >/dev/null; then
            echo "tables: the grading tables in book/src/labs.md differ from scripts/course/lab*.tests:"
            diff <(cat "$BOOK") <(printf '%s\n' "$new") | sed 's/^/    /' || true
            echo "tables: run ./scripts/course/tables.sh --write"
            exit 1
        fi
        echo "tables: the grading tables match scripts/course/lab*.tests" ;;
    --write) printf '%s\n' "$new" >"$BOOK"; echo "tables: wrote the grading tables into book/src/labs.md" ;;
    *) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
