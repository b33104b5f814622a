# GDB script for `bench-driver --trap-profile` (scripts/harness/src/bin/bench-driver/):
# single-step one HVC of the benchmark guest through ferrovisor and print
# every instruction executed, with its exception level and the function
# (and the functions inlined into it) it belongs to.
#
# The driver starts gdb-multiarch with the hypervisor's ELF file, connected
# to QEMU, and sets $hvc_address to the guest's `hvc #0`. The hypervisor
# and the guest both live at 0x80000 (one physically, one in guest physical
# memory), so an address alone is ambiguous: PSTATE's EL field tells them
# apart, and only EL2 addresses are looked up in the hypervisor's symbols.

import gdb

# Most instructions to follow before giving up.
LIMIT = 100000
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


gdb.execute("set pagination off")
hvc = int(gdb.parse_and_eval("$hvc_address"))
gdb.execute("break *%#x" % hvc, to_string=True)
print("armed", flush=True)
# The hypervisor may run code at the same address: wait for the guest's.
while True:
    gdb.execute("continue", to_string=True)
    if state()[0] == 1:
        break
gdb.execute("delete", to_string=True)

names = {}
for _ in range(LIMIT):
    el, pc = state()
    if el == 2 and pc not in names:
        names[pc] = " <- ".join(functions(pc))
    print("step %d %x %s" % (el, pc, names.get(pc, "guest") if el == 2 else "guest"))
    if el == 1 and pc == hvc + 4:
        break
    gdb.execute("stepi", to_string=True)
gdb.execute("detach", to_string=True)
