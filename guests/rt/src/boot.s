// The first instructions a guest runs, at 0x80000 (boards/raspi3b/link.ld).
//
// Every core may arrive here. Cores 1-3 park in WFI: from reset they never
// do (the firmware holds them in its spin table), but boot.rs releases them
// here when the guest runs natively, so they sleep instead of spinning.
// Core 0 notes the exception level it was started in, leaves EL3 if it was
// started there (the firmware of a real Pi 3 and QEMU start it at EL2,
// ferrovisor at EL1), sets up the boot stack, clears .bss and calls
// `_rt_start_rust` in boot.rs with the boot EL, which drops from EL2 to EL1
// if needed. The names in braces are constants boot.rs computes from the
// register definitions of the aarch64-cpu crate.

// ANCHOR: park
.section .text._start
.global _start
_start:
    mrs     x0, mpidr_el1
    and     x0, x0, #{MPIDR_AFF0_MASK}
    cbz     x0, .Lboot_core
.Lpark:                                     // cores 1-3: sleep for good
    wfi                                     // (no interrupt is routed to them)
    b       .Lpark
// ANCHOR_END: park

// ANCHOR: el3_to_el2
.Lboot_core:
    mrs     x19, CurrentEL                  // kept for Rust: x19 survives eret
    lsr     x19, x19, #{CURRENTEL_EL_SHIFT}
    cmp     x19, #{EL3}
    b.ne    .Lat_el2_or_el1
    ldr     x1, ={SCR_EL3_VALUE}            // started at EL3: go to EL2
    msr     scr_el3, x1
    ldr     x1, ={SPSR_EL2H_MASKED}
    msr     spsr_el3, x1
    adr     x1, .Lat_el2_or_el1
    msr     elr_el3, x1
    eret
// ANCHOR_END: el3_to_el2

// ANCHOR: stack_bss
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
    mov     x0, x19                         // the EL we were started in
    bl      _rt_start_rust
    b       .Lpark                          // _rt_start_rust never returns
// ANCHOR_END: stack_bss
