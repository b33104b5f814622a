// The EL2 exception vector table (VBAR_EL2).
//
// Sixteen entries of 0x80 bytes: {current EL with SP_EL0, current EL with
// SP_ELx, lower EL in AArch64, lower EL in AArch32} x {synchronous, IRQ,
// FIQ, SError}. The first eight are the hypervisor's own exceptions: the
// entry makes room for a TrapFrame on the stack, saves x0/x1, puts its own
// number in x1 and jumps to the common code, which saves the rest, calls
// `exception_entry(frame, kind)` and returns with ERET using the (possibly
// changed) frame. The last eight come from a guest and leave it through
// `__guest_exit` (world_switch.s).

// ANCHOR: table
.equ FRAME_SIZE, 16 * 18

.macro VECTOR kind
.balign 0x80
    sub     sp, sp, #FRAME_SIZE
    stp     x0, x1, [sp, #16 * 0]
    mov     x1, #\kind
    b       __exception_common
.endm

// A guest (lower EL) exception: leave the guest (world_switch.s).
.macro GUEST_VECTOR kind
.balign 0x80
    stp     x0, x1, [sp, #-16]!
    mov     x1, #\kind
    b       __guest_exit
.endm

.section .text.vectors
.balign 0x800
.global __exception_vectors
__exception_vectors:
    VECTOR 0
    VECTOR 1
    VECTOR 2
    VECTOR 3
    VECTOR 4
    VECTOR 5
    VECTOR 6
    VECTOR 7
    GUEST_VECTOR 8
    GUEST_VECTOR 9
    GUEST_VECTOR 10
    GUEST_VECTOR 11
    GUEST_VECTOR 12
    GUEST_VECTOR 13
    GUEST_VECTOR 14
    GUEST_VECTOR 15
// ANCHOR_END: table

// ANCHOR: save
__exception_common:
    stp     x2, x3, [sp, #16 * 1]
    stp     x4, x5, [sp, #16 * 2]
    stp     x6, x7, [sp, #16 * 3]
    stp     x8, x9, [sp, #16 * 4]
    stp     x10, x11, [sp, #16 * 5]
    stp     x12, x13, [sp, #16 * 6]
    stp     x14, x15, [sp, #16 * 7]
    stp     x16, x17, [sp, #16 * 8]
    stp     x18, x19, [sp, #16 * 9]
    stp     x20, x21, [sp, #16 * 10]
    stp     x22, x23, [sp, #16 * 11]
    stp     x24, x25, [sp, #16 * 12]
    stp     x26, x27, [sp, #16 * 13]
    stp     x28, x29, [sp, #16 * 14]
    mrs     x2, elr_el2
    stp     x30, x2, [sp, #16 * 15]
    mrs     x2, spsr_el2
    mrs     x3, esr_el2
    stp     x2, x3, [sp, #16 * 16]
    mrs     x2, far_el2
    stp     x2, xzr, [sp, #16 * 17]

    mov     x0, sp
    bl      exception_entry
// ANCHOR_END: save

// ANCHOR: restore
    ldp     x30, x2, [sp, #16 * 15]
    msr     elr_el2, x2
    ldr     x2, [sp, #16 * 16]
    msr     spsr_el2, x2
    ldp     x0, x1, [sp, #16 * 0]
    ldp     x2, x3, [sp, #16 * 1]
    ldp     x4, x5, [sp, #16 * 2]
    ldp     x6, x7, [sp, #16 * 3]
    ldp     x8, x9, [sp, #16 * 4]
    ldp     x10, x11, [sp, #16 * 5]
    ldp     x12, x13, [sp, #16 * 6]
    ldp     x14, x15, [sp, #16 * 7]
    ldp     x16, x17, [sp, #16 * 8]
    ldp     x18, x19, [sp, #16 * 9]
    ldp     x20, x21, [sp, #16 * 10]
    ldp     x22, x23, [sp, #16 * 11]
    ldp     x24, x25, [sp, #16 * 12]
    ldp     x26, x27, [sp, #16 * 13]
    ldp     x28, x29, [sp, #16 * 14]
    add     sp, sp, #FRAME_SIZE
    eret
// ANCHOR_END: restore
