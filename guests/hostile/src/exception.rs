//! hostile's exception handler (the guest runtime's vector table calls it):
//! the handler for the undefined instructions hostile runs on purpose (they
//! never reach the hypervisor: the CPU takes them to this guest's own EL1
//! vector), and the IRQ handler of the interrupt storm, which never clears
//! its source. Anything else is reported by the runtime, which halts.

use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use rt::board::console;
use rt::exception::{TrapFrame, Vector};
use ufmt::uwriteln;

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

/// Whether an undefined instruction was taken since the last call (a load
/// and a store, not a swap: exclusive accesses need the MMU, which is off).
pub fn take_undefined() -> bool {
    let taken = UNDEFINED_TAKEN.load(Ordering::Relaxed);
    UNDEFINED_TAKEN.store(false, Ordering::Relaxed);
    taken
}

/// Every exception taken at EL1, with the registers the runtime saved.
pub fn handle(frame: &mut TrapFrame, vector: Vector) {
    match vector {
        Vector::SYNC_CURRENT_EL_SPX if (frame.esr >> ESR_EC_SHIFT) & ESR_EC_MASK == EC_UNKNOWN => {
            undefined(frame)
        }
        Vector::IRQ_CURRENT_EL_SPX => storm_interrupt(),
        _ => rt::exception::report_and_halt(frame, vector),
    }
}

/// An undefined instruction at EL1: report it and step over it.
fn undefined(frame: &mut TrapFrame) {
    let mut w = console();
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
        let mut w = console();
        let _ = uwriteln!(
            w,
            "hostile: storm: {} virtual timer interrupts taken, none cleared",
            taken
        );
    }
}
// ANCHOR_END: storm
