//! Taking exceptions at EL1: the vector table of `vectors.s`, the registers
//! it saves ([`TrapFrame`]), and a report for an exception the guest did
//! not expect.
//!
//! A guest names its handler with [`crate::exception_handler!`]; it gets
//! the frame and the [`Vector`] taken, and whatever it leaves in the frame
//! is what `eret` returns to.

use crate::{board, cpu, guest_name};
use ufmt::uwrite;

#[cfg(target_os = "none")]
core::arch::global_asm!(include_str!("vectors.s"), options(raw));

/// The registers `vectors.s` saves on the stack, in its layout.
#[repr(C)]
pub struct TrapFrame {
    /// x0 to x30.
    pub x: [u64; 31],
    /// Where to return (ELR_EL1); `vectors.s` reloads it before ERET.
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
/// Where an exception came from, by vector group.
const GROUP_NAMES: [&str; 4] = [
    "EL1 on SP_EL0",
    "EL1 on SP_EL1",
    "EL0 (AArch64)",
    "EL0 (AArch32)",
];
/// What kind of exception it is, by position in the group.
const KIND_NAMES: [&str; 4] = ["synchronous exception", "IRQ", "FIQ", "SError"];

/// The entry of the vector table an exception was taken through (0-15).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Vector(pub u64);

impl Vector {
    /// A synchronous exception at EL1 on SP_EL1 (group 1, kind 0): an
    /// undefined instruction, an abort, an SVC, ... of the guest itself.
    pub const SYNC_CURRENT_EL_SPX: Vector = Vector(VECTORS_PER_GROUP);
    /// An IRQ taken at EL1 on SP_EL1 (group 1, kind 1): what a guest that
    /// runs at EL1 with interrupts unmasked expects.
    pub const IRQ_CURRENT_EL_SPX: Vector = Vector(VECTORS_PER_GROUP + 1);

    /// Where the exception came from, in words.
    pub fn source(self) -> &'static str {
        GROUP_NAMES[(self.0 / VECTORS_PER_GROUP) as usize % GROUP_NAMES.len()]
    }

    /// What kind of exception it is, in words.
    pub fn kind(self) -> &'static str {
        KIND_NAMES[(self.0 % VECTORS_PER_GROUP) as usize]
    }
}

/// Point VBAR_EL1 at the vector table.
pub fn install_vectors() {
    #[cfg(target_os = "none")]
    {
        use aarch64_cpu::asm::barrier;
        use aarch64_cpu::registers::VBAR_EL1;
        use tock_registers::interfaces::Writeable;

        extern "C" {
            /// The vector table in `vectors.s`.
            static __rt_exception_vectors: u8;
        }
        VBAR_EL1.set(&raw const __rt_exception_vectors as u64);
        barrier::isb(barrier::SY);
    }
}

// ANCHOR: report
/// Report an exception the guest has no handler for, then halt.
pub fn report_and_halt(frame: &TrapFrame, vector: Vector) -> ! {
    let mut w = board::console();
    let _ = uwrite!(
        w,
        "\n{}: unexpected {} from {}: ESR {:#x}, ELR {:#x}, FAR {:#x}; halted.\n",
        guest_name(),
        vector.kind(),
        vector.source(),
        frame.esr,
        frame.elr,
        frame.far
    );
    cpu::halt()
}
// ANCHOR_END: report

// ANCHOR: irq_only
/// The exception handler of a guest that expects IRQs and nothing else:
/// entry 5, an IRQ taken at EL1 on SP_EL1, goes to `irq`; anything else is
/// a bug, reported before the core halts.
pub fn irq_only(frame: &mut TrapFrame, vector: Vector, irq: fn()) {
    if vector == Vector::IRQ_CURRENT_EL_SPX {
        irq();
    } else {
        report_and_halt(frame, vector);
    }
}
// ANCHOR_END: irq_only

/// Name the guest's exception handler: `rt::exception_handler!(handle)`
/// with `fn handle(frame: &mut TrapFrame, vector: Vector)`, called by
/// `vectors.s` for every exception taken to EL1, with exceptions masked;
/// or `rt::exception_handler!(irq = handle)` with `fn handle()` for a guest
/// that takes IRQs only ([`irq_only`]).
#[macro_export]
macro_rules! exception_handler {
    (irq = $irq:path) => {
        /// Called by the runtime's `vectors.s` with the saved registers
        /// and the vector number: IRQs only.
        #[no_mangle]
        extern "C" fn __rt_exception(frame: &mut $crate::exception::TrapFrame, vector: u64) {
            $crate::exception::irq_only(frame, $crate::exception::Vector(vector), $irq)
        }
    };
    ($handler:path) => {
        /// Called by the runtime's `vectors.s` with the saved registers
        /// and the vector number.
        #[no_mangle]
        extern "C" fn __rt_exception(frame: &mut $crate::exception::TrapFrame, vector: u64) {
            $handler(frame, $crate::exception::Vector(vector))
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vectors_name_their_group_and_kind() {
        assert_eq!(Vector::IRQ_CURRENT_EL_SPX.kind(), "IRQ");
        assert_eq!(Vector::IRQ_CURRENT_EL_SPX.source(), "EL1 on SP_EL1");
        assert_eq!(Vector(8).kind(), "synchronous exception");
        assert_eq!(Vector(8).source(), "EL0 (AArch64)");
        assert_eq!(Vector(15).kind(), "SError");
    }

    #[test]
    fn frame_is_what_vectors_s_saves() {
        // FRAME_SIZE in vectors.s: 16 * 18 bytes.
        assert_eq!(core::mem::size_of::<TrapFrame>(), 16 * 18);
    }
}
