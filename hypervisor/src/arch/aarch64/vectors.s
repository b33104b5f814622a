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
//
// TRAP_FLOOR is 1 only in the measurement build of the `trap-floor`
// feature (exception.rs defines it): its lower-EL synchronous entry answers
// a guest's word write to AUX_MU_IO itself, the least such a trap can cost
// (see `__trap_floor` below). Every other build, and every other exception
// of that build, takes the normal path.

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
.if TRAP_FLOOR
.balign 0x80
    stp     x0, x1, [sp, #-16]!
    b       __trap_floor
.else
    GUEST_VECTOR 8
.endif
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

.if TRAP_FLOOR
// ANCHOR: floor
// The least a guest's trapped write to the mini UART's data register can
// cost: check the syndrome and the address, store the register's byte to
// the real AUX_MU_IO, step over the store, ERET. No world switch, no
// scrollback, no console lock, no look at the transmitter's room, no
// focus: a measurement of QEMU's own price of a trap, for
// `scripts/bench.sh` (the benchmark VM alone, focused; `output_ratio_floor`),
// never a hypervisor to run guests with. The entry saved x0 and x1 on the
// stack; x2 and x3 go below them.
.equ FLOOR_ESR_MASK,   0xffc003c0   // EC, IL, ISV, SAS; EA, CM, S1PTW, WnR
.equ FLOOR_ESR_WRITE,  0x93800040   // data abort from EL1, valid ISS, word, write
.equ FLOOR_HPFAR,      0x3f2150     // HPFAR_EL2 of IPA 0x3f215000 (FIPA, bits 39:4)
.equ FLOOR_OFFSET,     0x40         // AUX_MU_IO within the page
.equ AUX_MU_IO_HI,     0x3f21       // its physical address 0x3f215040, in halves
.equ AUX_MU_IO_LO,     0x5040

__trap_floor:
    stp     x2, x3, [sp, #-16]!
    mrs     x0, esr_el2
    movz    x2, #(FLOOR_ESR_MASK >> 16), lsl #16
    movk    x2, #(FLOOR_ESR_MASK & 0xffff)
    and     x1, x0, x2
    movz    x2, #(FLOOR_ESR_WRITE >> 16), lsl #16
    movk    x2, #(FLOOR_ESR_WRITE & 0xffff)
    cmp     x1, x2
    b.ne    1f
    mrs     x1, hpfar_el2
    movz    x2, #(FLOOR_HPFAR >> 16), lsl #16
    movk    x2, #(FLOOR_HPFAR & 0xffff)
    cmp     x1, x2
    b.ne    1f
    mrs     x1, far_el2
    and     x1, x1, #0xfff
    cmp     x1, #FLOOR_OFFSET
    b.ne    1f
    // Branch to the table entry of the transfer register (ISS.SRT, 20:16),
    // two instructions each, with x1 = AUX_MU_IO.
    ubfx    x0, x0, #16, #5
    adr     x1, 2f
    add     x0, x1, x0, lsl #3
    movz    x1, #AUX_MU_IO_HI, lsl #16
    movk    x1, #AUX_MU_IO_LO
    br      x0
1:  // Anything else: the normal exit, as GUEST_VECTOR 8 would.
    ldp     x2, x3, [sp], #16
    mov     x1, #8
    b       __guest_exit
2:  ldr     x0, [sp, #16]               // x0 and x1: their saved values
    b       4f
    ldr     x0, [sp, #24]
    b       4f
    ldr     x0, [sp]                    // x2 and x3, saved here
    b       4f
    ldr     x0, [sp, #8]
    b       4f
.irp n, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30
    str     w\n, [x1]
    b       3f
.endr
    str     wzr, [x1]                   // 31: the zero register
    b       3f
4:  str     w0, [x1]
3:  mrs     x0, elr_el2
    add     x0, x0, #4
    msr     elr_el2, x0
    ldp     x2, x3, [sp], #16
    ldp     x0, x1, [sp], #16
    eret
// ANCHOR_END: floor
.endif
