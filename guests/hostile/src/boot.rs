//! From reset to EL1, as in echo (`echo/src/boot.rs`): `boot.s` parks cores
//! 1-3, leaves EL3, sets up the stack and clears `.bss`; `_start_rust`
//! drops from EL2 to EL1 when hostile runs natively, and enters
//! [`crate::start`] at EL1. Under ferrovisor it starts at EL1 already.

use aarch64_cpu::asm;
use aarch64_cpu::registers::{
    CurrentEL, CNTHCTL_EL2, CNTVOFF_EL2, ELR_EL2, HCR_EL2, SCTLR_EL1, SPSR_EL2, SP_EL1,
};
use tock_registers::interfaces::{Readable, Writeable};

core::arch::global_asm!(include_str!("boot.s"), options(raw));

extern "C" {
    /// The top of the boot stack (boards/raspi3b/link.ld).
    static __boot_stack_top: u8;
}

/// SCTLR_EL1 bits that are RES1 on the Cortex-A53 (Armv8.0): 11, 20, 22,
/// 23, 28 and 29. Every other bit is 0: MMU, caches and alignment checks
/// off, little-endian.
const SCTLR_EL1_RES1: u64 = (1 << 29) | (1 << 28) | (1 << 23) | (1 << 22) | (1 << 20) | (1 << 11);

/// Called by `boot.s` on core 0, at EL2 or EL1, with a stack and a zeroed
/// `.bss`.
///
/// # Safety
///
/// Only `boot.s` may call this, once, on the boot core.
#[no_mangle]
pub unsafe extern "C" fn _start_rust() -> ! {
    if CurrentEL.matches_all(CurrentEL::EL::EL2) {
        // SAFETY: we are at EL2, on the boot stack, and never come back.
        unsafe { drop_to_el1() }
    } else {
        el1_entry()
    }
}

/// Leave EL2 for EL1, continuing at [`el1_entry`] on the boot stack.
///
/// # Safety
///
/// Must run at EL2, once; whatever is on the stack is abandoned.
unsafe fn drop_to_el1() -> ! {
    CNTHCTL_EL2.write(CNTHCTL_EL2::EL1PCEN::SET + CNTHCTL_EL2::EL1PCTEN::SET);
    CNTVOFF_EL2.set(0);
    HCR_EL2.write(HCR_EL2::RW::EL1IsAarch64);
    SCTLR_EL1.set(SCTLR_EL1_RES1);
    SPSR_EL2.write(
        SPSR_EL2::D::Masked
            + SPSR_EL2::A::Masked
            + SPSR_EL2::I::Masked
            + SPSR_EL2::F::Masked
            + SPSR_EL2::M::EL1h,
    );
    ELR_EL2.set(el1_entry as *const () as u64);
    SP_EL1.set(&raw const __boot_stack_top as u64);
    asm::eret()
}

/// The first code at EL1.
extern "C" fn el1_entry() -> ! {
    crate::start()
}
