//! Small wrappers around single AArch64 instructions and PSTATE.

use aarch64_cpu::asm;
use aarch64_cpu::registers::DAIF;
use tock_registers::interfaces::Writeable;

/// Stop this core for good, with interrupts masked.
pub fn halt() -> ! {
    DAIF.write(DAIF::D::Masked + DAIF::A::Masked + DAIF::I::Masked + DAIF::F::Masked);
    loop {
        asm::wfe();
    }
}
