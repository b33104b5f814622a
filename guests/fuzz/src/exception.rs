//! The fuzzer's EL1 exceptions (the vector table is hostile's `vectors.s`):
//! a synchronous exception (an undefined instruction, an alignment fault,
//! whatever the hypervisor injects) is counted and stepped over; an IRQ or
//! FIQ is counted, its likely sources are quietened and the guest goes on
//! with interrupts masked, so a source the fuzzer left asserted cannot
//! storm it; an SError is counted and masked.

use crate::exec;
use aarch64_cpu::asm::barrier;
use aarch64_cpu::registers::VBAR_EL1;
use core::sync::atomic::{AtomicU64, Ordering};
use tock_registers::interfaces::Writeable;

core::arch::global_asm!(include_str!("../../hostile/src/vectors.s"), options(raw));

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

/// The vector numbers `vectors.s` passes for exceptions at EL1 on SP_EL1.
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

extern "C" {
    /// The vector table in `vectors.s`.
    static __exception_vectors: u8;
}

/// Point VBAR_EL1 at the vector table.
pub fn install_vectors() {
    VBAR_EL1.set(&raw const __exception_vectors as u64);
    barrier::isb(barrier::SY);
}

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

/// Called by `vectors.s` with the saved registers and the vector number.
#[no_mangle]
extern "C" fn exception_entry(frame: &mut TrapFrame, vector: u64) {
    match vector {
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
        _ => {
            let mut w = &crate::board::UART;
            let _ = ufmt::uwriteln!(
                w,
                "fuzz: FAILED: unexpected exception, vector {}: ESR_EL1 {:#x}, ELR {:#x}, FAR {:#x}",
                vector,
                frame.esr,
                frame.elr,
                frame.far
            );
            crate::cpu::halt()
        }
    }
}
