//! The fuzzer's EL1 exceptions (the vector table is the guest runtime's):
//! a synchronous exception (an undefined instruction, an alignment fault,
//! whatever the hypervisor injects) is counted and stepped over; an IRQ or
//! FIQ is counted, its likely sources are quietened and the guest goes on
//! with interrupts masked, so a source the fuzzer left asserted cannot
//! storm it; an SError is counted and masked.

use crate::exec;
use core::sync::atomic::{AtomicU64, Ordering};
use rt::exception::{TrapFrame, Vector};

/// The vector numbers of exceptions taken at EL1 on SP_EL1.
const SYNC: u64 = 4;
const IRQ: u64 = 5;
const FIQ: u64 = 6;
const SERROR: u64 = 7;
/// Bytes of an AArch64 instruction.
const INSTRUCTION_BYTES: u64 = 4;
/// SPSR's mask bits: A (8), I (7), F (6).
const SPSR_A: u64 = 1 << 8;
const SPSR_I: u64 = 1 << 7;
const SPSR_F: u64 = 1 << 6;

/// Synchronous exceptions taken. Only the handler writes it (a load and a
/// store: exclusive accesses need the MMU, which is off).
static EXCEPTIONS: AtomicU64 = AtomicU64::new(0);
/// IRQs, FIQs and SErrors taken.
static INTERRUPTS: AtomicU64 = AtomicU64::new(0);

/// Synchronous exceptions taken so far.
pub fn exceptions() -> u64 {
    EXCEPTIONS.load(Ordering::Relaxed)
}

/// Interrupts taken so far.
pub fn interrupts() -> u64 {
    INTERRUPTS.load(Ordering::Relaxed)
}

fn count(counter: &AtomicU64) {
    counter.store(counter.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
}

/// The exception handler (`rt::exception_handler!`).
pub fn handle(frame: &mut TrapFrame, vector: Vector) {
    match vector.0 {
        SYNC => {
            count(&EXCEPTIONS);
            frame.elr += INSTRUCTION_BYTES;
        }
        IRQ | FIQ => {
            count(&INTERRUPTS);
            exec::quieten_interrupts();
            frame.spsr |= SPSR_I | SPSR_F;
        }
        SERROR => {
            count(&INTERRUPTS);
            frame.spsr |= SPSR_A;
        }
        _ => rt::exception::report_and_halt(frame, vector),
    }
}
