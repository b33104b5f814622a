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
// MDCR_EL2: trap the guests' debug ROM (TDRA, bit 11), OS lock (TDOSA,
// bit 10) and other debug registers (TDA, bit 9), and their PMU registers
// (TPM, bit 6; PMCR_EL0 too, TPMCR, bit 5); no counter reserved for EL2
// (HPMN = PMCR_EL0.N). Its reset value on the A53 is UNKNOWN.
.equ MDCR_EL2_TRAPS,    0xe60
.equ PMCR_N_SHIFT,      11                  // PMCR_EL0.N, bits [15:11]
.equ PMCR_N_BITS,       5
// ANCHOR_END: constants

// ANCHOR: park
.section .text._start
.global _start
_start:
    mrs     x1, CurrentEL                   // every core at EL2 (or EL3):
    cmp     x1, #CURRENTEL_EL1              // debug and PMU registers trap
    b.eq    1f                              // (at EL1 it is not ours to set)
    mrs     x1, pmcr_el0
    ubfx    x1, x1, #PMCR_N_SHIFT, #PMCR_N_BITS
    mov     x2, #MDCR_EL2_TRAPS
    orr     x1, x1, x2
    msr     mdcr_el2, x1
1:
    mrs     x0, mpidr_el1
    and     x0, x0, #MPIDR_AFF0_MASK
    cbz     x0, .Lboot_core
.Lpark:                                     // cores 1-3: sleep forever
    wfi                                     // (no interrupt is routed to them)
    b       .Lpark
// ANCHOR_END: park

// ANCHOR: el3_to_el2
.Lboot_core:
    mrs     x0, CurrentEL
    cmp     x0, #CURRENTEL_EL3
    b.ne    .Lat_el2_or_el1
    ldr     x1, =SCR_EL3_VALUE              // started at EL3: go to EL2
    msr     scr_el3, x1
    ldr     x1, =SPSR_EL2H_MASKED
    msr     spsr_el3, x1
    adr     x1, .Lat_el2_or_el1
    msr     elr_el3, x1
    eret
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
