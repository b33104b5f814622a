//! The smallest possible hypervisor, left behind at EL2 when bench runs
//! natively: `el2_stub.s`, whose vector table answers an HVC from EL1 with
//! SMCCC NOT_SUPPORTED, as ferrovisor answers an unknown function id.
//!
//! The guest runtime drops bench from EL2 to EL1 like every guest; just
//! before, it calls [`install`] (`rt::entry!`'s `at_el2`). Under ferrovisor
//! bench starts at EL1, this never runs, and the hypervisor answers.

use aarch64_cpu::asm::barrier;
use aarch64_cpu::registers::VBAR_EL2;
use tock_registers::interfaces::Writeable;

core::arch::global_asm!(include_str!("el2_stub.s"), options(raw));

extern "C" {
    /// The EL2 vector table of `el2_stub.s`.
    static __el2_stub_vectors: u8;
}

// ANCHOR: el2_stub
/// Point VBAR_EL2 at the stub, so that HVCs from EL1 land in it.
///
/// # Safety
///
/// Must run at EL2, before the drop to EL1, with nothing else at EL2 that
/// needs its own vectors.
pub unsafe fn install() {
    VBAR_EL2.set(&raw const __el2_stub_vectors as u64);
    barrier::isb(barrier::SY);
}
// ANCHOR_END: el2_stub
