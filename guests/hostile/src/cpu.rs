//! Small wrappers around single AArch64 instructions and PSTATE.DAIF.

use aarch64_cpu::asm;
use aarch64_cpu::registers::DAIF;
use tock_registers::interfaces::{ReadWriteable, Writeable};

/// Sleep until an interrupt is pending, masked or not. Under ferrovisor
/// this traps, and the VM sleeps until one of its interrupts is pending.
pub fn wait_for_interrupt() {
    asm::wfi();
}

/// Mask debug, SError, IRQ and FIQ at EL1.
pub fn mask_all() {
    DAIF.write(DAIF::D::Masked + DAIF::A::Masked + DAIF::I::Masked + DAIF::F::Masked);
}

/// Let IRQs be taken at EL1 (clear PSTATE.I).
pub fn enable_irqs() {
    DAIF.modify(DAIF::I::Unmasked);
}

/// Stop for good: every exception masked, asleep.
pub fn halt() -> ! {
    mask_all();
    loop {
        wait_for_interrupt();
    }
}
