//! The entry point: `boot.s` runs first (parks cores 1-3, drops from EL3
//! or EL2 to EL1, clears .bss), then `_start_rust` hands over to
//! [`super::start`].
//!
//! The values `boot.s` writes to system registers are computed here from
//! the field definitions of the aarch64-cpu crate, which carry the Arm ARM's
//! names, and passed to the assembly as constants.

use aarch64_cpu::registers::{
    CurrentEL, CNTHCTL_EL2, HCR_EL2, MPIDR_EL1, SCR_EL3, SPSR_EL2, SPSR_EL3,
};

/// MPIDR_EL1.Aff0: the core number within the cluster.
const MPIDR_AFF0_MASK: u64 = MPIDR_EL1::Aff0.mask;
/// CurrentEL.EL is bits [3:2].
const CURRENTEL_EL_SHIFT: usize = CurrentEL::EL.shift;
/// CurrentEL.EL of the secure monitor level.
const EL3: u64 = CurrentEL::EL::EL3.value >> CURRENTEL_EL_SHIFT;
/// CurrentEL.EL of the hypervisor level.
const EL2: u64 = CurrentEL::EL::EL2.value >> CURRENTEL_EL_SHIFT;

// ANCHOR: register_values
/// SCR_EL3 bits [5:4] are RES1 in Armv8.0 (Arm ARM D17.2.117).
const SCR_EL3_RES1: u64 = 0b11 << 4;
/// EL2 and EL1 run AArch64 in the non-secure world.
const SCR_EL3_VALUE: u64 =
    SCR_EL3::RW::NextELIsAarch64.value | SCR_EL3::NS::NonSecure.value | SCR_EL3_RES1;
/// Enter EL2 using SP_EL2, with debug, SError, IRQ and FIQ masked.
const SPSR_EL2H_MASKED: u64 = SPSR_EL3::M::EL2h.value
    | SPSR_EL3::D::Masked.value
    | SPSR_EL3::A::Masked.value
    | SPSR_EL3::I::Masked.value
    | SPSR_EL3::F::Masked.value;
/// EL1 is AArch64; no other HCR_EL2 bit is set, so nothing EL1 does traps
/// to EL2 and EL1 takes its own interrupts.
const HCR_EL2_VALUE: u64 = HCR_EL2::RW::EL1IsAarch64.value;
/// EL1 and EL0 may read the physical counter and use the physical timer
/// (lrtos itself only uses the virtual ones).
const CNTHCTL_EL2_VALUE: u64 = CNTHCTL_EL2::EL1PCTEN::SET.value | CNTHCTL_EL2::EL1PCEN::SET.value;
/// SCTLR_EL1 bits 29, 28, 23, 22, 20 and 11 are RES1 in Armv8.0 (Arm ARM
/// D17.2.118); every other bit 0: MMU off, caches off, little-endian.
const SCTLR_EL1_VALUE: u64 = (1 << 29) | (1 << 28) | (1 << 23) | (1 << 22) | (1 << 20) | (1 << 11);
/// Enter EL1 using SP_EL1, with debug, SError, IRQ and FIQ masked.
const SPSR_EL1H_MASKED: u64 = SPSR_EL2::M::EL1h.value
    | SPSR_EL2::D::Masked.value
    | SPSR_EL2::A::Masked.value
    | SPSR_EL2::I::Masked.value
    | SPSR_EL2::F::Masked.value;
// ANCHOR_END: register_values

core::arch::global_asm!(
    include_str!("boot.s"),
    MPIDR_AFF0_MASK = const MPIDR_AFF0_MASK,
    CURRENTEL_EL_SHIFT = const CURRENTEL_EL_SHIFT,
    EL3 = const EL3,
    EL2 = const EL2,
    SCR_EL3_VALUE = const SCR_EL3_VALUE,
    SPSR_EL2H_MASKED = const SPSR_EL2H_MASKED,
    HCR_EL2_VALUE = const HCR_EL2_VALUE,
    CNTHCTL_EL2_VALUE = const CNTHCTL_EL2_VALUE,
    SCTLR_EL1_VALUE = const SCTLR_EL1_VALUE,
    SPSR_EL1H_MASKED = const SPSR_EL1H_MASKED,
);

// ANCHOR: start_rust
/// Called by `boot.s` on core 0 at EL1, with a stack and a zeroed `.bss`;
/// `boot_el` is the Exception Level the core started in.
///
/// # Safety
///
/// Only `boot.s` may call this, once, on the boot core.
#[no_mangle]
pub unsafe extern "C" fn _start_rust(boot_el: u64) -> ! {
    super::start(boot_el)
}
// ANCHOR_END: start_rust
