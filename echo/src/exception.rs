//! Taking exceptions at EL1: installing the vector table of `vectors.s`,
//! sending IRQs to [`crate::irq::handle`], and reporting anything else.

use crate::{board::UART, cpu};
use aarch64_cpu::asm::barrier;
use aarch64_cpu::registers::VBAR_EL1;
use tock_registers::interfaces::Writeable;
use ufmt::uwrite;

core::arch::global_asm!(include_str!("vectors.s"), options(raw));

/// The registers `vectors.s` saves on the stack, in its layout.
#[repr(C)]
pub struct TrapFrame {
    /// x0 to x30.
    pub x: [u64; 31],
    /// Where to return (ELR_EL1).
    pub elr: u64,
    /// PSTATE to return with (SPSR_EL1).
    pub spsr: u64,
    /// Why the exception was taken (ESR_EL1).
    pub esr: u64,
    /// The faulting address, for aborts (FAR_EL1).
    pub far: u64,
    _pad: u64,
}

/// Vectors come in groups of four: synchronous, IRQ, FIQ, SError.
const VECTORS_PER_GROUP: u64 = 4;
/// The group used for exceptions taken from EL1 running on SP_EL1 (echo).
const GROUP_CURRENT_EL_SPX: u64 = 1;
/// The position of the IRQ vector within a group.
const KIND_IRQ: u64 = 1;
/// The one vector echo expects: an IRQ while running at EL1 on SP_EL1.
const VECTOR_IRQ_CURRENT_EL_SPX: u64 = GROUP_CURRENT_EL_SPX * VECTORS_PER_GROUP + KIND_IRQ;

/// Where an exception came from, by vector group.
const GROUP_NAMES: [&str; 4] = [
    "EL1 on SP_EL0",
    "EL1 on SP_EL1",
    "EL0 (AArch64)",
    "EL0 (AArch32)",
];
/// What kind of exception it is, by position in the group.
const KIND_NAMES: [&str; 4] = ["synchronous exception", "IRQ", "FIQ", "SError"];

extern "C" {
    /// The vector table in `vectors.s`.
    static __exception_vectors: u8;
}

/// Point VBAR_EL1 at the vector table.
pub fn install_vectors() {
    VBAR_EL1.set(&raw const __exception_vectors as u64);
    barrier::isb(barrier::SY);
}

// ANCHOR: dispatch
/// Called by `vectors.s` with the saved registers and the vector number.
#[no_mangle]
extern "C" fn exception_entry(frame: &TrapFrame, vector: u64) {
    if vector == VECTOR_IRQ_CURRENT_EL_SPX {
        crate::irq::handle();
    } else {
        unexpected(frame, vector);
    }
}
// ANCHOR_END: dispatch

/// Report an exception echo has no handler for, then halt.
fn unexpected(frame: &TrapFrame, vector: u64) -> ! {
    let group = GROUP_NAMES[(vector / VECTORS_PER_GROUP) as usize % GROUP_NAMES.len()];
    let kind = KIND_NAMES[(vector % VECTORS_PER_GROUP) as usize];
    let mut w = &UART;
    let _ = uwrite!(
        w,
        "\r\necho: unexpected {} from {}: ESR {:#x}, ELR {:#x}, FAR {:#x}; halted.\r\n",
        kind,
        group,
        frame.esr,
        frame.elr,
        frame.far
    );
    cpu::halt()
}
