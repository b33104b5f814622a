// The first instructions ferrovisor runs, at 0x80000 (boards/raspi3b/link.ld).
//
// Every core may arrive here: the firmware of a real Pi 3 releases only core
// 0 and holds cores 1-3 in its spin table, but nothing else is guaranteed, so
// any core other than 0 parks itself. Core 0 makes sure it is at EL2 (dropping
// from EL3 if it was started there), sets up its stack, clears .bss and
// enters Rust.

// ANCHOR: constants
.equ MPIDR_AFF0_MASK,   0xff
.equ CURRENTEL_EL3,     0xc                 // CurrentEL.EL = 3, bits [3:2]
.equ SCR_EL3_VALUE,     0x531               // RW | HCE | RES1 (5:4) | NS
.equ SPSR_EL2H_MASKED,  0x3c9               // D, A, I, F masked; M = EL2h
.equ CURRENTEL_EL1,     0x4                 // CurrentEL.EL = 1
.equ DAIF_ALL,          0xf                 // DAIFSet: D, A, I and F
// Cores 1-3 get a stack each, SECONDARY_STACK_BYTES apart: core n's top is
// __secondary_stacks + n * SECONDARY_STACK_BYTES (kernel::smp, in .bss).
.equ SECONDARY_STACK_SHIFT, 16              // 64 KiB, as core 0's
// MDCR_EL2: trap the guests' debug ROM (TDRA, bit 11), OS lock (TDOSA,
// bit 10) and other debug registers (TDA, bit 9), and their PMU registers
// (TPM, bit 6; PMCR_EL0 too, TPMCR, bit 5); no counter reserved for EL2
// (HPMN = PMCR_EL0.N). Its reset value on the A53 is UNKNOWN.
.equ MDCR_EL2_TRAPS,    0xe60
.equ PMCR_N_SHIFT,      11                  // PMCR_EL0.N, bits [15:11]
.equ PMCR_N_BITS,       5
// ANCHOR_END: constants

// ANCHOR: park
// Every core at EL2 (or EL3): the guests' debug and PMU registers trap (at
// EL1 it is not ours to set). Core 0's `_start` and cores 1-3's
// `_secondary_start` both begin with it.
.macro trap_debug_registers
    mrs     x1, CurrentEL
    cmp     x1, #CURRENTEL_EL1
    b.eq    1f
    mrs     x1, pmcr_el0
    ubfx    x1, x1, #PMCR_N_SHIFT, #PMCR_N_BITS
    mov     x2, #MDCR_EL2_TRAPS
    orr     x1, x1, x2
    msr     mdcr_el2, x1
1:
.endm

// From EL3 (a firmware that starts us there), drop to EL2 at `label`;
// at EL2 or EL1 fall through to it.
.macro drop_to_el2 label
    mrs     x0, CurrentEL
    cmp     x0, #CURRENTEL_EL3
    b.ne    \label
    ldr     x1, =SCR_EL3_VALUE
    msr     scr_el3, x1
    ldr     x1, =SPSR_EL2H_MASKED
    msr     spsr_el3, x1
    adr     x1, \label
    msr     elr_el3, x1
    eret
.endm

.section .text._start
.global _start
_start:
    msr     daifset, #DAIF_ALL              // nothing may interrupt the boot
    trap_debug_registers
    mrs     x0, mpidr_el1
    and     x0, x0, #MPIDR_AFF0_MASK
    cbz     x0, .Lboot_core
.Lpark:                                     // a core that came here: sleep
    wfi                                     // (core 0 starts cores 1-3 at
    b       .Lpark                          // _secondary_start instead)
// ANCHOR_END: park

// ANCHOR: el3_to_el2
.Lboot_core:
    drop_to_el2 .Lat_el2_or_el1
// ANCHOR_END: el3_to_el2

// ANCHOR: stack_bss
.Lat_el2_or_el1:
    ldr     x1, =__boot_stack_top
    mov     sp, x1
    ldr     x1, =__bss_start
    ldr     x2, =__bss_end
.Lclear_bss:
    cmp     x1, x2
    b.hs    .Lenter_rust
    stp     xzr, xzr, [x1], #16
    b       .Lclear_bss

.Lenter_rust:
    bl      _start_rust
    b       .Lpark                          // _start_rust never returns
// ANCHOR_END: stack_bss

// ANCHOR: secondary
// Cores 1-3, once core 0 has written this address into their slots of the
// spin table (kernel::smp::release): to EL2 if needed, a stack of their
// own, and into Rust with the core number in x0. Core 0 cleaned their
// stacks out of its data cache before it let them go, since they write to
// them with their MMU and caches still off.
.global _secondary_start
_secondary_start:
    msr     daifset, #DAIF_ALL
    trap_debug_registers
    drop_to_el2 .Lsecondary_at_el2
.Lsecondary_at_el2:
    mrs     x0, mpidr_el1
    and     x0, x0, #MPIDR_AFF0_MASK
    ldr     x1, =__secondary_stacks
    add     x1, x1, x0, lsl #SECONDARY_STACK_SHIFT
    mov     sp, x1
    bl      _secondary_rust
    b       .Lpark                          // _secondary_rust never returns
// ANCHOR_END: secondary
