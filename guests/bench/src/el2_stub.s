// The EL2 vector table bench leaves behind when it runs natively.
//
// Natively bench starts at EL2 and drops to EL1 (the guest runtime, which
// installs this table first: el2_stub.rs). Its HVC
// benchmark then needs *something* at EL2 to answer, or the first HVC would
// jump into whatever VBAR_EL2 happened to hold. This table is the least a
// hypervisor can be: an HVC from EL1 gets SMCCC NOT_SUPPORTED in x0 and
// returns at once, which is what ferrovisor answers for an unknown function
// id. So the native figure is the bare cost of taking an exception to EL2
// and returning, and the difference to the VM's figure is ferrovisor's
// world switch and exit handling.
//
// HCR_EL2 traps nothing else to EL2 natively, so every other entry can only
// be reached by a bug: it parks the core, which shows as a hang.

.equ ESR_EC_SHIFT,          26              // ESR_EL2.EC, bits [31:26]
.equ ESR_EC_HVC64,          0x16            // HVC executed in AArch64
.equ SMCCC_NOT_SUPPORTED,   -1              // the SMCCC return code

// An entry that must never be taken.
.macro PARK
.balign 0x80
1:  wfe
    b       1b
.endm

.section .text.el2_stub
.balign 0x800
.global __el2_stub_vectors
__el2_stub_vectors:
    // Current EL with SP_EL0, current EL with SP_ELx: EL2 itself never
    // takes an exception after the drop to EL1.
    .rept 8
    PARK
    .endr

    // ANCHOR: hvc_entry
    // Lower EL in AArch64, synchronous: only x0 may change (it is the
    // result), so the class is checked in x0 itself.
.balign 0x80
    mrs     x0, esr_el2
    lsr     x0, x0, #ESR_EC_SHIFT
    cmp     x0, #ESR_EC_HVC64
    b.ne    2f
    mov     x0, #SMCCC_NOT_SUPPORTED
    eret
2:  wfe
    b       2b
    // ANCHOR_END: hvc_entry

    // Lower EL IRQ, FIQ and SError, and the AArch32 row: not routed here.
    .rept 7
    PARK
    .endr
