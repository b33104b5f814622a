// The measurement build of the `trap-floor` feature (scripts/bench.sh), and
// only that build: exception.rs assembles this file and installs its table
// instead of `__exception_vectors` when the feature is on. Every entry of
// this table branches to the same entry of the real table (vectors.s),
// which a branch leaves every register to, except the guests' synchronous
// one, which first tries `__trap_floor`. The real table is the one every
// other build runs, and the one the book shows.

.section .text.vectors
.balign 0x800
.global __trap_floor_vectors
__trap_floor_vectors:
.irp entry, 0, 1, 2, 3, 4, 5, 6, 7
.balign 0x80
    b       __exception_vectors + 0x80 * \entry
.endr
.balign 0x80
    stp     x0, x1, [sp, #-16]!
    b       __trap_floor
.irp entry, 9, 10, 11, 12, 13, 14, 15
.balign 0x80
    b       __exception_vectors + 0x80 * \entry
.endr

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
