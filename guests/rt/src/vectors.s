// The EL1 exception vector table (VBAR_EL1).
//
// Sixteen entries of 0x80 bytes: {current EL with SP_EL0, current EL with
// SP_EL1, lower EL in AArch64, lower EL in AArch32} x {synchronous, IRQ,
// FIQ, SError}. Each entry makes room for a TrapFrame on the stack, saves
// x0/x1, puts its own number in x1 and jumps to the common code, which
// saves the rest, calls `__rt_exception(frame, vector)` and returns with
// ERET. The handler (the guest's, named with `rt::exception_handler!`) may
// change the saved registers, ELR included: ERET goes back to what the frame
// holds then. The names are `__rt_`-prefixed so that a guest with vectors of
// its own (lrtos) links this table without a clash; it never installs it, and
// the linker drops the unused section, and with it the call of the handler
// only a guest that installs the table defines.

// ANCHOR: table
.equ RT_FRAME_SIZE, 16 * 18                    // x0-x30, ELR, SPSR, ESR, FAR, pad

.macro RT_VECTOR number
.balign 0x80
    sub     sp, sp, #RT_FRAME_SIZE
    stp     x0, x1, [sp, #16 * 0]
    mov     x1, #\number
    b       __rt_exception_common
.endm

.section .text.rt_vectors, "ax"
.balign 0x800
.global __rt_exception_vectors
__rt_exception_vectors:
    .irp number, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
    RT_VECTOR \number
    .endr
// ANCHOR_END: table

// ANCHOR: save_restore
__rt_exception_common:
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
    mrs     x2, elr_el1
    stp     x30, x2, [sp, #16 * 15]
    mrs     x2, spsr_el1
    mrs     x3, esr_el1
    stp     x2, x3, [sp, #16 * 16]
    mrs     x2, far_el1
    stp     x2, xzr, [sp, #16 * 17]

    mov     x0, sp
    bl      __rt_exception

    ldp     x30, x2, [sp, #16 * 15]
    msr     elr_el1, x2
    ldr     x2, [sp, #16 * 16]
    msr     spsr_el1, x2
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
    add     sp, sp, #RT_FRAME_SIZE
    eret
// ANCHOR_END: save_restore
