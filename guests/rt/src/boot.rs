//! From reset to the guest's entry point at EL1.
//!
//! `boot.s` parks cores 1-3, leaves EL3, sets up the stack and clears
//! `.bss`; `_rt_start_rust` then, if the guest was started at EL2
//! (natively: the Pi 3 firmware and QEMU's `raspi3b` start a `kernel8.img`
//! there), releases cores 1-3 from the firmware's spin table into the WFI
//! park of `boot.s` and drops to EL1. Under ferrovisor the guest starts at
//! EL1, inside a virtual machine, and goes straight to its entry point.
//! Either way the guest is an ordinary EL1 program.

use core::sync::atomic::{AtomicU8, Ordering};

/// The exception level the guest was started in (2 natively, 1 in a VM;
/// 3 under a boot stub that starts it in the secure monitor level).
static START_EL: AtomicU8 = AtomicU8::new(0);

/// The exception level the guest was started in: 1 under a hypervisor,
/// 2 (or 3) natively.
pub fn start_el() -> u8 {
    START_EL.load(Ordering::Relaxed)
}

/// The default `at_el2` of [`crate::entry!`]: nothing to do.
///
/// # Safety
///
/// None: it does nothing; it is `unsafe` because an `at_el2` function is.
pub unsafe fn nothing_at_el2() {}

#[cfg(target_os = "none")]
mod el {
    use super::START_EL;
    use aarch64_cpu::asm;
    use aarch64_cpu::registers::{
        CurrentEL, CNTHCTL_EL2, CNTVOFF_EL2, ELR_EL2, HCR_EL2, MPIDR_EL1, SCR_EL3, SCTLR_EL1,
        SPSR_EL2, SPSR_EL3, SP_EL1,
    };
    use core::sync::atomic::Ordering;
    use tock_registers::interfaces::{Readable, Writeable};

    /// MPIDR_EL1.Aff0: the core number within the cluster.
    const MPIDR_AFF0_MASK: u64 = MPIDR_EL1::Aff0.mask;
    /// CurrentEL.EL is bits [3:2].
    const CURRENTEL_EL_SHIFT: usize = CurrentEL::EL.shift;
    /// CurrentEL.EL of the secure monitor level.
    const EL3: u64 = CurrentEL::EL::EL3.value >> CURRENTEL_EL_SHIFT;
    /// SCR_EL3 bits [5:4] are RES1 in Armv8.0.
    const SCR_EL3_RES1: u64 = 0b11 << 4;
    /// EL2 runs AArch64 in the non-secure world, and may use HVC.
    const SCR_EL3_VALUE: u64 = SCR_EL3::RW::NextELIsAarch64.value
        | SCR_EL3::HCE::HvcEnabled.value
        | SCR_EL3::NS::NonSecure.value
        | SCR_EL3_RES1;
    /// Enter EL2 using SP_EL2, with debug, SError, IRQ and FIQ masked.
    const SPSR_EL2H_MASKED: u64 = SPSR_EL3::M::EL2h.value
        | SPSR_EL3::D::Masked.value
        | SPSR_EL3::A::Masked.value
        | SPSR_EL3::I::Masked.value
        | SPSR_EL3::F::Masked.value;

    core::arch::global_asm!(
        include_str!("boot.s"),
        MPIDR_AFF0_MASK = const MPIDR_AFF0_MASK,
        CURRENTEL_EL_SHIFT = const CURRENTEL_EL_SHIFT,
        EL3 = const EL3,
        SCR_EL3_VALUE = const SCR_EL3_VALUE,
        SPSR_EL2H_MASKED = const SPSR_EL2H_MASKED,
    );

    extern "C" {
        /// The top of the boot stack (the linker script).
        static __boot_stack_top: u8;
        /// The first instruction of `boot.s`.
        fn _start();
    }

    extern "Rust" {
        /// The guest's entry point (`rt::entry!`).
        fn __rt_main() -> !;
        /// The guest's work at EL2 before the drop (`rt::entry!`).
        fn __rt_at_el2();
    }

    /// SCTLR_EL1 bits that are RES1 on the Cortex-A53 (Armv8.0): 11, 20,
    /// 22, 23, 28 and 29 (named EOS, TSCXT, EIS, SPAN, nTLSMD and LSMAOE by
    /// later versions of the architecture). Every other bit is 0: MMU,
    /// caches and alignment checks off, little-endian.
    const SCTLR_EL1_RES1: u64 =
        (1 << 29) | (1 << 28) | (1 << 23) | (1 << 22) | (1 << 20) | (1 << 11);

    /// Called by `boot.s` on core 0, at EL2 or EL1, with a stack and a
    /// zeroed `.bss`; `boot_el` is the exception level it was started in.
    ///
    /// # Safety
    ///
    /// Only `boot.s` may call this, once, on the boot core.
    #[no_mangle]
    pub unsafe extern "C" fn _rt_start_rust(boot_el: u64) -> ! {
        START_EL.store(boot_el as u8, Ordering::Relaxed);
        if CurrentEL.matches_all(CurrentEL::EL::EL2) {
            // SAFETY: once, on the boot core, at the firmware's exception
            // level, before anything touched the spin table; `_start` parks
            // every core but 0 without a stack.
            unsafe { raspi3b::spin_table::release_secondary_cores(_start as *const () as usize) };
            // SAFETY: at EL2, once, as `entry!` promises the guest's hook.
            unsafe { __rt_at_el2() };
            // SAFETY: we are at EL2, on the boot stack, and never come back.
            unsafe { drop_to_el1() }
        } else {
            el1_entry()
        }
    }

    // ANCHOR: el2_to_el1
    /// Leave EL2 for EL1, continuing at [`el1_entry`] on the boot stack.
    ///
    /// # Safety
    ///
    /// Must run at EL2, once; whatever is on the stack is abandoned.
    unsafe fn drop_to_el1() -> ! {
        // EL1 may read the physical counter and use the physical timer, and
        // the virtual counter reads the same as the physical one.
        CNTHCTL_EL2.write(CNTHCTL_EL2::EL1PCEN::SET + CNTHCTL_EL2::EL1PCTEN::SET);
        CNTVOFF_EL2.set(0);

        // EL1 runs in AArch64, and nothing it does traps to EL2 (no stage 2,
        // interrupts go straight to EL1).
        HCR_EL2.write(HCR_EL2::RW::EL1IsAarch64);

        // EL1 starts with its MMU and caches off, little-endian.
        SCTLR_EL1.set(SCTLR_EL1_RES1);

        // "Return" to EL1h (EL1 on SP_EL1) with every exception masked...
        SPSR_EL2.write(
            SPSR_EL2::D::Masked
                + SPSR_EL2::A::Masked
                + SPSR_EL2::I::Masked
                + SPSR_EL2::F::Masked
                + SPSR_EL2::M::EL1h,
        );
        // ... at `el1_entry`, on the same stack we are using now.
        ELR_EL2.set(el1_entry as *const () as u64);
        SP_EL1.set(&raw const __boot_stack_top as u64);

        asm::eret()
    }
    // ANCHOR_END: el2_to_el1

    /// The first code at EL1, reached by `eret` from EL2 or called directly
    /// when the guest was started at EL1.
    extern "C" fn el1_entry() -> ! {
        // SAFETY: `entry!` defines it; this is its one call, at EL1 on the
        // boot core.
        unsafe { __rt_main() }
    }
}
