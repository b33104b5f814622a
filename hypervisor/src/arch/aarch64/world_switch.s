// The world switch: entering a guest and coming back from it.
//
// `__guest_enter(frame)` saves the hypervisor's callee-saved registers and
// stack pointer in the frame, loads the guest's registers from it and ERETs
// into the guest. When the guest takes an exception to EL2 (a trap or a
// physical interrupt), the lower-EL vectors jump to `__guest_exit`, which
// stores the guest's registers and the syndrome in the same frame, restores
// the hypervisor's registers and returns from `__guest_enter` with the
// vector number. To the Rust caller, running a guest looks like a function
// call. TPIDR_EL2 holds the frame's address while the guest runs.

// Offsets into VcpuFrame (arch/aarch64/vcpu.rs checks them at compile time).
.equ FRAME_X,       0
.equ FRAME_PC,      248
.equ FRAME_PSTATE,  256
.equ FRAME_HOST,    264
.equ FRAME_HOST_SP, 360
.equ FRAME_ESR,     368
.equ FRAME_FAR,     376
.equ FRAME_HPFAR,   384
.equ FRAME_VECTOR,  392

.section .text.world_switch
.global __guest_enter
// ANCHOR: enter
__guest_enter:
    // Save the hypervisor side (AAPCS64 callee-saved registers and SP).
    stp     x19, x20, [x0, #FRAME_HOST + 16 * 0]
    stp     x21, x22, [x0, #FRAME_HOST + 16 * 1]
    stp     x23, x24, [x0, #FRAME_HOST + 16 * 2]
    stp     x25, x26, [x0, #FRAME_HOST + 16 * 3]
    stp     x27, x28, [x0, #FRAME_HOST + 16 * 4]
    stp     x29, x30, [x0, #FRAME_HOST + 16 * 5]
    mov     x1, sp
    str     x1, [x0, #FRAME_HOST_SP]
    msr     tpidr_el2, x0

    // Where the guest resumes, and with which PSTATE.
    ldp     x1, x2, [x0, #FRAME_PC]
    msr     elr_el2, x1
    msr     spsr_el2, x2

    // The guest's general registers; x0 last, since it points to the frame.
    ldp     x2, x3, [x0, #FRAME_X + 16 * 1]
    ldp     x4, x5, [x0, #FRAME_X + 16 * 2]
    ldp     x6, x7, [x0, #FRAME_X + 16 * 3]
    ldp     x8, x9, [x0, #FRAME_X + 16 * 4]
    ldp     x10, x11, [x0, #FRAME_X + 16 * 5]
    ldp     x12, x13, [x0, #FRAME_X + 16 * 6]
    ldp     x14, x15, [x0, #FRAME_X + 16 * 7]
    ldp     x16, x17, [x0, #FRAME_X + 16 * 8]
    ldp     x18, x19, [x0, #FRAME_X + 16 * 9]
    ldp     x20, x21, [x0, #FRAME_X + 16 * 10]
    ldp     x22, x23, [x0, #FRAME_X + 16 * 11]
    ldp     x24, x25, [x0, #FRAME_X + 16 * 12]
    ldp     x26, x27, [x0, #FRAME_X + 16 * 13]
    ldp     x28, x29, [x0, #FRAME_X + 16 * 14]
    ldr     x30, [x0, #FRAME_X + 16 * 15]
    ldp     x0, x1, [x0, #FRAME_X + 16 * 0]
    eret
// ANCHOR_END: enter

// Reached from a lower-EL vector with the guest's x0/x1 pushed on the EL2
// stack and the vector number in x1.
.global __guest_exit
// ANCHOR: exit
__guest_exit:
    mrs     x0, tpidr_el2
    stp     x2, x3, [x0, #FRAME_X + 16 * 1]
    stp     x4, x5, [x0, #FRAME_X + 16 * 2]
    stp     x6, x7, [x0, #FRAME_X + 16 * 3]
    stp     x8, x9, [x0, #FRAME_X + 16 * 4]
    stp     x10, x11, [x0, #FRAME_X + 16 * 5]
    stp     x12, x13, [x0, #FRAME_X + 16 * 6]
    stp     x14, x15, [x0, #FRAME_X + 16 * 7]
    stp     x16, x17, [x0, #FRAME_X + 16 * 8]
    stp     x18, x19, [x0, #FRAME_X + 16 * 9]
    stp     x20, x21, [x0, #FRAME_X + 16 * 10]
    stp     x22, x23, [x0, #FRAME_X + 16 * 11]
    stp     x24, x25, [x0, #FRAME_X + 16 * 12]
    stp     x26, x27, [x0, #FRAME_X + 16 * 13]
    stp     x28, x29, [x0, #FRAME_X + 16 * 14]
    str     x30, [x0, #FRAME_X + 16 * 15]
    ldp     x2, x3, [sp], #16                   // the guest's x0 and x1
    stp     x2, x3, [x0, #FRAME_X + 16 * 0]

    mrs     x2, elr_el2
    mrs     x3, spsr_el2
    stp     x2, x3, [x0, #FRAME_PC]
    mrs     x2, esr_el2
    mrs     x3, far_el2
    stp     x2, x3, [x0, #FRAME_ESR]
    mrs     x2, hpfar_el2
    stp     x2, x1, [x0, #FRAME_HPFAR]

    // Back to the hypervisor, as if __guest_enter returned the vector.
    ldp     x19, x20, [x0, #FRAME_HOST + 16 * 0]
    ldp     x21, x22, [x0, #FRAME_HOST + 16 * 1]
    ldp     x23, x24, [x0, #FRAME_HOST + 16 * 2]
    ldp     x25, x26, [x0, #FRAME_HOST + 16 * 3]
    ldp     x27, x28, [x0, #FRAME_HOST + 16 * 4]
    ldp     x29, x30, [x0, #FRAME_HOST + 16 * 5]
    ldr     x2, [x0, #FRAME_HOST_SP]
    mov     sp, x2
    mov     x0, x1
    ret
// ANCHOR_END: exit
