//! Taking exceptions at EL1: the vector table of `vectors.s`, the handler
//! for the undefined instructions hostile runs on purpose (they never reach
//! the hypervisor: the CPU takes them to this guest's own EL1 vector), and
//! the IRQ handler of the interrupt storm, which never clears its source.

use crate::{board::UART, cpu};
use aarch64_cpu::asm::barrier;
use aarch64_cpu::registers::VBAR_EL1;
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use tock_registers::interfaces::Writeable;
use ufmt::uwriteln;

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
/// A synchronous exception at EL1 on SP_EL1 (group 1, kind 0).
const VECTOR_SYNC_CURRENT_EL_SPX: u64 = VECTORS_PER_GROUP;
/// An IRQ at EL1 on SP_EL1 (group 1, kind 1).
const VECTOR_IRQ_CURRENT_EL_SPX: u64 = VECTORS_PER_GROUP + 1;
/// ESR_EL1.EC, bits [31:26].
const ESR_EC_SHIFT: u64 = 26;
const ESR_EC_MASK: u64 = 0x3f;
/// EC 0x00: "Unknown reason", which is what an undefined instruction gives.
const EC_UNKNOWN: u64 = 0x00;
/// Bytes of an AArch64 instruction.
const INSTRUCTION_BYTES: u64 = 4;
/// Report the storm every this many interrupts.
const STORM_REPORT_EVERY: u64 = 1 << 20;

/// Set by the handler when an undefined instruction was skipped.
static UNDEFINED_TAKEN: AtomicBool = AtomicBool::new(false);
/// Interrupts taken during the storm. Only the IRQ handler writes it (a
/// load and a store: exclusive accesses need the MMU, which is off).
static STORM_INTERRUPTS: AtomicU64 = AtomicU64::new(0);

extern "C" {
    /// The vector table in `vectors.s`.
    static __exception_vectors: u8;
}

/// Point VBAR_EL1 at the vector table.
pub fn install_vectors() {
    VBAR_EL1.set(&raw const __exception_vectors as u64);
    barrier::isb(barrier::SY);
}

/// Whether an undefined instruction was taken since the last call (a load
/// and a store, not a swap: exclusive accesses need the MMU, which is off).
pub fn take_undefined() -> bool {
    let taken = UNDEFINED_TAKEN.load(Ordering::Relaxed);
    UNDEFINED_TAKEN.store(false, Ordering::Relaxed);
    taken
}

/// Called by `vectors.s` with the saved registers and the vector number.
#[no_mangle]
extern "C" fn exception_entry(frame: &mut TrapFrame, vector: u64) {
    match vector {
        VECTOR_SYNC_CURRENT_EL_SPX if (frame.esr >> ESR_EC_SHIFT) & ESR_EC_MASK == EC_UNKNOWN => {
            undefined(frame)
        }
        VECTOR_IRQ_CURRENT_EL_SPX => storm_interrupt(),
        _ => unexpected(frame, vector),
    }
}

/// An undefined instruction at EL1: report it and step over it.
fn undefined(frame: &mut TrapFrame) {
    let mut w = &UART;
    let _ = uwriteln!(
        w,
        "hostile: undefined instruction at {:#x} (ESR_EL1 {:#x}, EC 0x0) taken by this guest's own EL1 vector; ferrovisor never saw it",
        frame.elr,
        frame.esr
    );
    frame.elr += INSTRUCTION_BYTES;
    UNDEFINED_TAKEN.store(true, Ordering::Relaxed);
}

// ANCHOR: storm
/// One interrupt of the storm: count it, and return without touching the
/// timer, so it fires again at once.
fn storm_interrupt() {
    let taken = STORM_INTERRUPTS.load(Ordering::Relaxed) + 1;
    STORM_INTERRUPTS.store(taken, Ordering::Relaxed);
    if taken.is_multiple_of(STORM_REPORT_EVERY) {
        let mut w = &UART;
        let _ = uwriteln!(
            w,
            "hostile: storm: {} virtual timer interrupts taken, none cleared",
            taken
        );
    }
}
// ANCHOR_END: storm

/// Report an exception hostile has no handler for, then halt.
fn unexpected(frame: &TrapFrame, vector: u64) -> ! {
    let mut w = &UART;
    let _ = uwriteln!(
        w,
        "hostile: unexpected exception, vector {}: ESR_EL1 {:#x}, ELR {:#x}, FAR {:#x}; halted",
        vector,
        frame.esr,
        frame.elr,
        frame.far
    );
    cpu::halt()
}
