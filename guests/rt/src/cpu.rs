//! Small wrappers around single AArch64 instructions and PSTATE.DAIF.

use aarch64_cpu::asm;
use aarch64_cpu::registers::DAIF;
use tock_registers::interfaces::{ReadWriteable, Readable, Writeable};

// ANCHOR: irqs
/// Sleep until an interrupt is pending. This wakes up even while IRQs are
/// masked, which is what makes [`without_irqs`] + `wfi` free of races.
/// Under a hypervisor, WFI hands the CPU to the other virtual machines.
pub fn wait_for_interrupt() {
    asm::wfi();
}

/// Run `f` with IRQs masked, restoring the previous mask afterwards; an
/// IRQ that became pending meanwhile is taken right after.
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
// ANCHOR_END: irqs

/// Mask debug, SError, IRQ and FIQ.
pub fn mask_all() {
    DAIF.write(DAIF::D::Masked + DAIF::A::Masked + DAIF::I::Masked + DAIF::F::Masked);
}

/// Stop this core for good: every exception masked, asleep in WFI (which
/// QEMU, and ferrovisor, turn into an idle host CPU).
pub fn halt() -> ! {
    mask_all();
    loop {
        wait_for_interrupt();
    }
}
