//! Small wrappers around single AArch64 instructions and PSTATE.

use aarch64_cpu::asm;
use aarch64_cpu::registers::{CurrentEL, DAIF};
use tock_registers::interfaces::{Readable, Writeable};

/// The Exception Level the CPU runs at (0-3).
pub fn current_el() -> u64 {
    CurrentEL.read(CurrentEL::EL)
}

/// Sleep until an interrupt is pending (even a masked one).
pub fn wait_for_interrupt() {
    asm::wfi();
}

/// Run `f` with IRQs masked, restoring the previous mask afterwards.
pub fn without_irqs<R>(f: impl FnOnce() -> R) -> R {
    let saved = DAIF.get();
    DAIF.write(DAIF::I::Masked + DAIF::F::Masked);
    let result = f();
    DAIF.set(saved);
    result
}

/// Let IRQs be taken at EL2.
pub fn enable_irqs() {
    // SAFETY: clearing PSTATE.I only lets interrupts in; the vectors are
    // installed before this is called.
    unsafe { core::arch::asm!("msr daifclr, #2", options(nomem, nostack)) };
}

/// Stop this core for good, with interrupts masked.
pub fn halt() -> ! {
    DAIF.write(DAIF::D::Masked + DAIF::A::Masked + DAIF::I::Masked + DAIF::F::Masked);
    loop {
        asm::wfe();
    }
}
