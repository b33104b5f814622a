// The first instructions bench runs, at 0x80000 (boards/raspi3b/link.ld).
//
// The same start as echo's: cores 1-3 park, core 0 leaves EL3 if it was
// started there, takes the boot stack, clears .bss and calls `_start_rust`
// in boot.rs, which drops from EL2 to EL1 when bench runs natively. Cores
// 1-3 come here only when boot.rs releases them from the firmware's spin
// table, and they park in WFI, not WFE: QEMU emulates WFE as a busy loop.

.equ MPIDR_AFF0_MASK,   0xff                // MPIDR_EL1.Aff0: the core number
.equ CURRENTEL_EL3,     3 << 2              // CurrentEL.EL = 3, bits [3:2]

.equ SCR_EL3_NS,        1 << 0              // EL2 and below are Non-secure
.equ SCR_EL3_RES1,      3 << 4              // bits [5:4] are RES1
.equ SCR_EL3_HCE,       1 << 8              // HVC is enabled
.equ SCR_EL3_RW,        1 << 10             // EL2 runs in AArch64
.equ SCR_EL3_VALUE,     SCR_EL3_RW | SCR_EL3_HCE | SCR_EL3_RES1 | SCR_EL3_NS

.equ SPSR_DAIF_MASKED,  0xf << 6            // D, A, I, F all masked
.equ SPSR_M_EL2H,       0b1001              // EL2 with its own stack pointer
.equ SPSR_EL2H_MASKED,  SPSR_DAIF_MASKED | SPSR_M_EL2H

.section .text._start
.global _start
_start:
    mrs     x0, mpidr_el1
    and     x0, x0, #MPIDR_AFF0_MASK
    cbz     x0, .Lboot_core
.Lpark:                                     // cores 1-3: sleep forever
    wfi                                     // (no interrupt is routed to them)
    b       .Lpark

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

.Lat_el2_or_el1:
    msr     spsel, #1                       // use this EL's own stack pointer
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
