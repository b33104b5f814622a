#!/usr/bin/env bash
# Check that the hypervisor's modules import each other in one direction.
#
# Reads every `use crate::...` / `use super::...` statement (brace groups
# expanded) and every inline `crate::a::b` path in hypervisor/src, resolves
# each to the module (file) it names, and fails if
#   - the modules import each other in a cycle (each cycle is printed), or
#   - a module imports one from a higher layer, the layers being, bottom up:
#       0 arch, board, drivers, sync      (sync: the atomics the cores share)
#       1 platform                      (device instances, boot facts, crash writer)
#       2 log, console::{input,output,ring,transmit,line_editor,mux,table}
#       3 emu                           (the virtual BCM2837)
#       4 vm                            (VMs, run loop, exit handling)
#       5 console                       (the shell, its commands, lifecycle rules)
#       6 kernel, panic                 (the main loop and its owner)
# Comments and `#[cfg(test)] mod tests` blocks at the end of a file are not
# read; `$crate::` in macros is not an import of the macro's caller.
#
# Usage: scripts/check-imports.sh [SRC_DIR]   (default: hypervisor/src)
# CHECK_IMPORTS_VERBOSE=1 prints every import and the module it resolves to.
# bash and awk only, so it runs on a fresh Debian machine.
set -euo pipefail
cd "$(dirname "$0")/.."
src="${1:-hypervisor/src}"
[ -d "$src" ] || { echo "check-imports: no directory $src" >&2; exit 2; }

mapfile -t files < <(find "$src" -name '*.rs' ! -name main.rs ! -name lib.rs | sort)

awk -v src="$src" -v verbose="${CHECK_IMPORTS_VERBOSE:-}" '
function module_of(path,    m) {
    m = substr(path, length(src) + 2)
    sub(/\.rs$/, "", m)
    sub(/\/mod$/, "", m)
    gsub(/\//, "::", m)
    return m
}
function parent(m) {
    if (m !~ /::/) return ""
    sub(/::[^:]*$/, "", m)
    return m
}
# Expand a use tree (no spaces) into paths, appended to out[] (count in out[0]).
function expand(prefix, tree,    depth, i, c, start, item, brace, head) {
    if (tree == "") return
    depth = 0; start = 1
    for (i = 1; i <= length(tree) + 1; i++) {
        c = (i <= length(tree)) ? substr(tree, i, 1) : ","
        if (c == "{") depth++
        else if (c == "}") depth--
        else if (c == "," && depth == 0) {
            item = substr(tree, start, i - start)
            start = i + 1
            if (item == "") continue
            brace = index(item, "{")
            if (brace > 0) {
                head = substr(item, 1, brace - 1)
                sub(/::$/, "", head)
                expand(join(prefix, head), substr(item, brace + 1, length(item) - brace - 1))
            } else {
                sub(/ as .*$/, "", item)
                out[++out[0]] = join(prefix, item)
            }
        }
    }
}
function join(a, b) { return (a == "" ? b : (b == "" ? a : a "::" b)) }
# The longest known module that prefixes path (crate-relative).
function resolve(path,    p) {
    p = path
    while (p != "") {
        if (p in known) return p
        p = parent(p)
    }
    return ""
}
function layer(m,    p) {
    p = m
    while (p != "") {
        if (p in layers) return layers[p]
        p = parent(p)
    }
    return -1
}
function edge(from, path,    to) {
    to = resolve(path)
    if (verbose) printf "  %s: %s -> %s\n", from, path, (to == "" ? "(crate root)" : to) > "/dev/stderr"
    if (to == "" || to == from) return
    # A parent module declares its children; importing from one is fine.
    if (index(from, to "::") == 1) return
    if (!((from, to) in adj)) {
        adj[from, to] = 1
        succ[from] = succ[from] " " to
    }
}
function flush_use(from, text,    body, base, i) {
    gsub(/[ \t\n]/, "", text)
    sub(/^(pub(\([a-z]+\))?)?use/, "", text)
    sub(/;.*$/, "", text)
    if (text ~ /^crate::/) { base = ""; text = substr(text, 8) }
    else if (text ~ /^super::/) {
        base = parent(from)
        text = substr(text, 8)
        while (text ~ /^super::/) { base = parent(base); text = substr(text, 8) }
    }
    else if (text ~ /^self::/) { base = from; text = substr(text, 7) }
    else return
    delete out; out[0] = 0
    expand(base, text)
    for (i = 1; i <= out[0]; i++) edge(from, out[i])
}
BEGIN {
    split("arch=0 board=0 drivers=0 sync=0 platform=1 log=2 console::input=2 console::output=2 console::ring=2 console::transmit=2 console::line_editor=2 console::mux=2 console::table=2 emu=3 vm=4 console=5 kernel=6 panic=6", l, " ")
    for (i in l) { split(l[i], kv, "="); layers[kv[1]] = kv[2] + 0 }
}
FNR == 1 {
    # First pass over the file list (ARGV) builds the set of modules.
    if (!listed) {
        for (i = 1; i < ARGC; i++) { modname[ARGV[i]] = module_of(ARGV[i]); known[modname[ARGV[i]]] = 1 }
        listed = 1
    }
    cur = modname[FILENAME]; in_use = 0; stop = 0; order[++n] = cur
}
stop { next }
/^#\[cfg\(test\)\]/ { pending_test = 1; next }
pending_test && /^mod tests/ { stop = 1; next }
{ pending_test = 0 }
{
    line = $0
    sub(/\/\/.*$/, "", line)
    if (in_use) {
        stmt = stmt line
        if (line ~ /;/) { flush_use(cur, stmt); in_use = 0 }
        next
    }
    if (line ~ /^[ \t]*(pub(\([a-z]+\))? )?use (crate|super|self)::/) {
        stmt = line
        if (line ~ /;/) flush_use(cur, stmt); else in_use = 1
        next
    }
    # Inline paths: crate::a::b (not $crate::, which is a macro of ours).
    rest = line
    while (match(rest, /[$A-Za-z_]?crate::[A-Za-z_0-9:]+/)) {
        tok = substr(rest, RSTART, RLENGTH)
        rest = substr(rest, RSTART + RLENGTH)
        if (tok ~ /^crate::/) { p = substr(tok, 8); sub(/::$/, "", p); edge(cur, p) }
    }
}
END {
    bad = 0
    # Layering: nothing imports upward.
    for (k in adj) {
        split(k, ft, SUBSEP)
        lf = layer(ft[1]); lt = layer(ft[2])
        if (lf >= 0 && lt > lf) {
            printf "check-imports: %s (layer %d) imports %s (layer %d), which is above it\n", ft[1], lf, ft[2], lt
            bad = 1
        }
    }
    # Cycles: depth-first search, printing the path back to a grey module.
    for (i = 1; i <= n; i++) if (!(order[i] in color)) dfs(order[i], 0)
    if (cycles > 0 || bad) {
        if (cycles > 0) printf "check-imports: %d import cycle(s) among the modules of %s\n", cycles, src
        exit 1
    }
    printf "check-imports: %d modules, %d imports, no cycle, every import points down\n", n, nedges()
}
function nedges(    k, c) { c = 0; for (k in adj) c++; return c }
function dfs(m, depth,    list, cnt, j, t, s, cyc) {
    color[m] = 1; stack[depth] = m
    cnt = split(succ[m], list, " ")
    for (j = 1; j <= cnt; j++) {
        t = list[j]
        if ((t in color) && color[t] == 1) {
            cyc = t
            for (s = depth; s >= 0 && stack[s] != t; s--) ;
            cyc = ""
            for (; s <= depth; s++) cyc = cyc stack[s] " -> "
            printf "check-imports: cycle: %s%s\n", cyc, t
            cycles++
        } else if (!(t in color)) dfs(t, depth + 1)
    }
    color[m] = 2
}
' "${files[@]}"
