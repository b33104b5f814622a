# GDB script for `bench-driver --trap-profile` (scripts/harness/src/bin/bench-driver/):
# single-step one HVC and then one MMIO write of the benchmark guest through
# ferrovisor and print every instruction executed, with its exception level
# and the function (and the functions inlined into it) it belongs to.
#
# The driver starts gdb-multiarch with the hypervisor's ELF file, connected
# to QEMU, and sets $hvc_address to the guest's `hvc #0` and $mmio_address
# to its timed store to AUX_MU_LSR. The hypervisor
# and the guest both live at 0x80000 (one physically, one in guest physical
# memory), so an address alone is ambiguous: PSTATE's EL field tells them
# apart, and only EL2 addresses are looked up in the hypervisor's symbols.

import re

import gdb

# Most instructions to follow before giving up.
LIMIT = 100000
# The lower-EL AArch64 synchronous entry of the EL2 vector table.
LOWER_SYNC = 0x400
# PSTATE.EL, bits [3:2].
EL_SHIFT, EL_MASK = 2, 3


def state():
    pc = int(gdb.parse_and_eval("$pc")) & 0xFFFF_FFFF_FFFF_FFFF
    el = (int(gdb.parse_and_eval("$cpsr")) >> EL_SHIFT) & EL_MASK
    return el, pc


def functions(pc):
    """The function at pc and the ones inlined into it, innermost first."""
    names = []
    try:
        block = gdb.block_for_pc(pc)
        while block is not None:
            if block.function is not None:
                names.append(block.function.name)
            block = block.superblock
    except RuntimeError:
        pass
    if not names:
        names.append(gdb.execute("info symbol %#x" % pc, to_string=True).split(" in section")[0].strip())
    return names


def stop_at(address, el):
    """Run until the CPU is at `address` at exception level `el`."""
    gdb.execute("break *%#x" % address, to_string=True)
    # The hypervisor and the guest both have code at low addresses.
    while True:
        gdb.execute("continue", to_string=True)
        if state()[0] == el:
            break
    gdb.execute("delete", to_string=True)


def follow(name, address, via_vector=False):
    """Stop at the guest's instruction at `address` (at EL1), then single-step
    until the guest is at the instruction after it, printing every step.
    With `via_vector`, the trap is caught at EL2's lower-EL synchronous
    vector instead of by stepping the trapping instruction (QEMU's single
    step runs a load's stage-2 abort and its whole handling as one step)."""
    stop_at(address, 1)
    print("begin %s" % name, flush=True)
    if via_vector:
        print("step 1 %x guest" % address)
        where = gdb.execute("info address __exception_vectors", to_string=True)
        vector = int(re.search(r"0x[0-9a-f]+", where).group(0), 16) + LOWER_SYNC
        stop_at(vector, 2)
    for _ in range(LIMIT):
        el, pc = state()
        if el == 2 and pc not in names:
            names[pc] = " <- ".join(functions(pc))
        print("step %d %x %s" % (el, pc, names.get(pc, "guest") if el == 2 else "guest"))
        if el == 1 and pc == address + 4:
            break
        gdb.execute("stepi", to_string=True)


gdb.execute("set pagination off")
names = {}
hvc = int(gdb.parse_and_eval("$hvc_address"))
mmio = int(gdb.parse_and_eval("$mmio_address"))
# The machine is stopped while the debugger is attached: the driver may
# type the benchmark's key now, and the guest starts at the `continue`.
print("armed", flush=True)
# The benchmark times its HVCs first, then its MMIO writes.
follow("hvc", hvc)
follow("mmio", mmio, via_vector=True)
gdb.execute("detach", to_string=True)
