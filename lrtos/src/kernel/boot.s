// The first instructions lrtos runs, at 0x80000 (lrtos/link.ld).
//
// Every core may arrive here; all but core 0 park. Core 0 looks at the
// Exception Level it was started in: the Pi 3 firmware and QEMU's raspi3b
// start it at EL2, the ferrovisor hypervisor at EL1, other boot stubs at
// EL3. lrtos is an EL1 kernel, so from EL3 or EL2 it drops to EL1 first.
// Then it sets up the stack, clears .bss and enters Rust with the boot EL
// in x0. The names in braces are constants that boot.rs computes from the
// register definitions of the aarch64-cpu crate.

// ANCHOR: park
.section .text._start
.global _start
_start:
    mrs     x0, mpidr_el1
    and     x0, x0, #{MPIDR_AFF0_MASK}
    cbz     x0, .Lboot_core
.Lpark:                                     // cores 1-3: sleep forever
    wfe
    b       .Lpark
// ANCHOR_END: park

.Lboot_core:
    mrs     x19, CurrentEL                  // kept for Rust: x19 survives eret
    lsr     x19, x19, #{CURRENTEL_EL_SHIFT}
    cmp     x19, #{EL3}
    b.eq    .Lfrom_el3
    cmp     x19, #{EL2}
    b.eq    .Lfrom_el2
    b       .Lat_el1

// ANCHOR: el3_to_el2
.Lfrom_el3:
    ldr     x1, ={SCR_EL3_VALUE}            // lower ELs: AArch64, non-secure
    msr     scr_el3, x1
    ldr     x1, ={SPSR_EL2H_MASKED}
    msr     spsr_el3, x1
    adr     x1, .Lfrom_el2
    msr     elr_el3, x1
    eret
// ANCHOR_END: el3_to_el2

// ANCHOR: el2_to_el1
.Lfrom_el2:
    ldr     x1, ={HCR_EL2_VALUE}            // EL1 runs AArch64, nothing trapped
    msr     hcr_el2, x1
    ldr     x1, ={CNTHCTL_EL2_VALUE}        // EL1 may use the physical timer
    msr     cnthctl_el2, x1
    msr     cntvoff_el2, xzr                // virtual time = physical time
    ldr     x1, ={SCTLR_EL1_VALUE}          // EL1 starts with MMU and caches off
    msr     sctlr_el1, x1
    ldr     x1, =__boot_stack_top
    msr     sp_el1, x1
    ldr     x1, ={SPSR_EL1H_MASKED}         // "return" to EL1h, interrupts masked
    msr     spsr_el2, x1
    adr     x1, .Lat_el1
    msr     elr_el2, x1
    eret
// ANCHOR_END: el2_to_el1

// ANCHOR: stack_bss
.Lat_el1:
    msr     spsel, #1                       // use SP_EL1 at EL1
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
    mov     x0, x19                         // the EL we were started in
    bl      _start_rust
    b       .Lpark                          // _start_rust never returns
// ANCHOR_END: stack_bss
