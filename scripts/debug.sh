#!/usr/bin/env bash
# Debug ferrovisor with GDB: start QEMU (raspi3b) halted before the first
# instruction, then gdb-multiarch on this terminal with the hypervisor's
# symbols, connected to QEMU, and a breakpoint at ferrovisor::kernel::start.
# The console (the mini UART) is on a pseudo-terminal that the script names:
# open it in a second terminal (screen /dev/pts/N, picocom /dev/pts/N), or
# read target/gdb/console.log. Quitting gdb stops QEMU.
# Usage: ./scripts/debug.sh [--no-build] [--port N] [--qemu-log ITEMS] [-- GDB-ARGS...]
#   --no-build        debug target/images/kernel8.img as it is
#   --port N          the gdb port (default 1234), on 127.0.0.1 only
#   --qemu-log ITEMS  also run QEMU with -d ITEMS (e.g. int or int,mmu),
#                     logging to target/gdb/qemu.log
#   GDB-ARGS          more gdb arguments, e.g. -batch -ex continue -ex bt
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=common.sh
source "$(dirname "$0")/common.sh"

usage() { sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; }

build=yes
port=1234
qemu_log=""
gdb_args=()
while [ $# -gt 0 ]; do
    case "$1" in
        -h|--help) usage; exit 0 ;;
        --no-build) build=no ;;
        --port) [ $# -ge 2 ] || die "--port needs a number"; port=$2; shift ;;
        --qemu-log) [ $# -ge 2 ] || die "--qemu-log needs QEMU log items (try: int)"; qemu_log=$2; shift ;;
        --) shift; gdb_args=("$@"); break ;;
        *) die "unknown option '$1' (try --help)" ;;
    esac
    shift
done
[[ "$port" =~ ^[0-9]+$ ]] || die "--port needs a number, not '$port'"

[ "${FERROVISOR_TOOLS_CHECKED:-}" = 1 ] || ensure_tools
export FERROVISOR_TOOLS_CHECKED=1
if [ "$build" = yes ]; then
    "$ROOT/scripts/build.sh"
fi

# The ELF has the symbols and DWARF debug information (the release profile
# keeps them); kernel8.img is the same code as raw bytes, which QEMU loads.
elf="$ROOT/target/$TARGET/release/ferrovisor"
image="$IMAGES/kernel8.img"
{ [ -f "$elf" ] && [ -f "$image" ]; } || die "no hypervisor build; run ./scripts/build.sh (or drop --no-build)"
# QEMU's output, the console log and the -d log (target/debug is cargo's).
out="$ROOT/target/gdb"
mkdir -p "$out"

# ANCHOR: qemu
# -S: halt before the first instruction; -gdb: wait for gdb on this port.
# The first serial port (the PL011) goes nowhere, as in qemu.args; the
# second (the mini UART) is a pseudo-terminal whose output is also logged.
mapfile -t board < <(board_qemu_args)
qemu_args=("${board[@]}" -kernel "$image"
    -chardev "pty,id=console,logfile=$out/console.log"
    -serial "chardev:console" -monitor none
    -S -gdb "tcp:127.0.0.1:$port")
if [ -n "$qemu_log" ]; then
    qemu_args+=(-d "$qemu_log" -D "$out/qemu.log")
fi
step "starting QEMU raspi3b, halted, gdb port $port"
# In a session of its own, so that Ctrl-C in gdb (which interrupts the
# guest) does not reach QEMU and end it.
setsid qemu-system-aarch64 "${qemu_args[@]}" >"$out/qemu.out" 2>&1 </dev/null &
qemu_pid=$!
trap 'kill "$qemu_pid" 2>/dev/null || true' EXIT
trap 'exit 129' HUP     # the terminal closed: still stop QEMU
trap 'exit 143' TERM
# ANCHOR_END: qemu

# QEMU names the pseudo-terminal on its output once it has made it.
pty=""
for _ in $(seq 50); do
    pty=$(sed -n 's/^char device redirected to \(\/dev\/[^ ]*\) (label console).*/\1/p' "$out/qemu.out")
    [ -n "$pty" ] && break
    kill -0 "$qemu_pid" 2>/dev/null || { cat "$out/qemu.out" >&2; die "QEMU did not start"; }
    sleep 0.1
done
[ -n "$pty" ] || { cat "$out/qemu.out" >&2; die "QEMU did not report its console"; }

cat <<EOF
    console:  $pty  (in a second terminal: screen $pty, or picocom $pty)
              everything it prints also goes to $out/console.log
${qemu_log:+    QEMU log: $out/qemu.log (-d $qemu_log)
}    symbols:  $elf
    quit gdb (q) to stop QEMU as well.
EOF

# ANCHOR: gdb
step "gdb-multiarch: connected, breakpoint at ferrovisor::kernel::start; type 'continue'"
status=0
gdb-multiarch -q "$elf" \
    -ex "set confirm off" \
    -ex "set print asm-demangle on" \
    -ex "target remote 127.0.0.1:$port" \
    -ex "break ferrovisor::kernel::start" \
    "${gdb_args[@]}" || status=$?
# ANCHOR_END: gdb
exit "$status"
