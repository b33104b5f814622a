//! Small wrappers around single AArch64 instructions and PSTATE.DAIF.

use aarch64_cpu::asm;
use aarch64_cpu::registers::DAIF;
use tock_registers::interfaces::{ReadWriteable, Readable, Writeable};

/// Sleep until an interrupt is pending (even a masked one). Under a
/// hypervisor, WFI hands the CPU to the other virtual machines.
pub fn wait_for_interrupt() {
    asm::wfi();
}

/// Run `f` with IRQs masked, then restore the previous mask; an IRQ that
/// became pending meanwhile is taken right after.
pub fn without_irqs<R>(f: impl FnOnce() -> R) -> R {
    let saved = DAIF.get();
    DAIF.modify(DAIF::I::Masked);
    let result = f();
    DAIF.set(saved);
    result
}

/// Let IRQs be taken at EL1 (clear PSTATE.I).
pub fn enable_irqs() {
    DAIF.modify(DAIF::I::Unmasked);
}

/// Stop this core for good, with every exception masked.
pub fn halt() -> ! {
    DAIF.write(DAIF::D::Masked + DAIF::A::Masked + DAIF::I::Masked + DAIF::F::Masked);
    loop {
        asm::wfe();
    }
}
