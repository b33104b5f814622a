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

/// The vector of an IRQ taken at EL1 on SP_EL1 (group 1, kind 1).
const VECTOR_IRQ_CURRENT_EL_SPX: u64 = 5;

extern "C" {
    /// The vector table in `vectors.s`.
    static __exception_vectors: u8;
}

/// Point VBAR_EL1 at the vector table.
pub fn install_vectors() {
    VBAR_EL1.set(&raw const __exception_vectors as u64);
    barrier::isb(barrier::SY);
}

/// Called by `vectors.s` with the saved registers and the vector number.
#[no_mangle]
extern "C" fn exception_entry(frame: &TrapFrame, vector: u64) {
    if vector == VECTOR_IRQ_CURRENT_EL_SPX {
        crate::irq::handle();
    } else {
        let mut w = &UART;
        let _ = uwrite!(
            w,
            "\nbench: unexpected exception (vector {}): ESR {:#x}, ELR {:#x}, FAR {:#x}; halted.\n",
            vector,
            frame.esr,
            frame.elr,
            frame.far
        );
        cpu::halt()
    }
}
