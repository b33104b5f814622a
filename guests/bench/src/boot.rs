//! From reset to EL1: `boot.s` parks cores 1-3, leaves EL3, sets up the
//! stack and clears `.bss`; `_start_rust` then drops from EL2 to EL1 when
//! bench runs natively, and enters [`crate::start`] at EL1.
//!
//! This is echo's start (see its `boot.rs`) with two additions for running
//! natively. Before it leaves EL2 for good, bench points VBAR_EL2 at
//! `el2_stub.s`, the smallest possible hypervisor, so that its HVC
//! benchmark has a native baseline (under ferrovisor bench starts at EL1
//! and ferrovisor answers). And it releases cores 1-3 from the firmware's
//! spin table into `boot.s`, where they sleep in WFI, as ferrovisor does
//! with them: left in the spin table they wait in WFE, which QEMU emulates
//! as a busy loop, and three emulated cores spinning on the host would
//! slow the native figures down.

use aarch64_cpu::asm::{self, barrier};
use aarch64_cpu::registers::{
    CurrentEL, CNTHCTL_EL2, CNTVOFF_EL2, ELR_EL2, HCR_EL2, SCTLR_EL1, SPSR_EL2, SP_EL1, VBAR_EL2,
};
use core::sync::atomic::{AtomicBool, Ordering};
use tock_registers::interfaces::{Readable, Writeable};

core::arch::global_asm!(include_str!("boot.s"), options(raw));
core::arch::global_asm!(include_str!("el2_stub.s"), options(raw));

extern "C" {
    /// The top of the boot stack (boards/raspi3b/link.ld).
    static __boot_stack_top: u8;
    /// The EL2 vector table of `el2_stub.s`.
    static __el2_stub_vectors: u8;
}

/// SCTLR_EL1 bits that are RES1 on the Cortex-A53 (11, 20, 22, 23, 28,
/// 29); every other bit 0: MMU, caches and alignment checks off.
const SCTLR_EL1_RES1: u64 = (1 << 29) | (1 << 28) | (1 << 23) | (1 << 22) | (1 << 20) | (1 << 11);

/// The firmware's spin table (the Pi 3's ARM stub, and QEMU's): core `n`
/// waits in WFE until a start address appears at `SPIN_TABLE_BASE + 8 * n`.
const SPIN_TABLE_BASE: usize = 0xd8;
/// Bytes per core in the spin table.
const SPIN_TABLE_ENTRY_BYTES: usize = 8;
/// Cores of the BCM2837.
const CORES: usize = 4;

/// Whether bench started at EL2 (natively) rather than at EL1 (in a VM).
static STARTED_AT_EL2: AtomicBool = AtomicBool::new(false);

/// The exception level bench was started at: 2 natively, 1 in a VM.
pub fn start_el() -> u8 {
    if STARTED_AT_EL2.load(Ordering::Relaxed) {
        2
    } else {
        1
    }
}

/// Called by `boot.s` on core 0, at EL2 or EL1, with a stack and a zeroed
/// `.bss`.
///
/// # Safety
///
/// Only `boot.s` may call this, once, on the boot core.
#[no_mangle]
pub unsafe extern "C" fn _start_rust() -> ! {
    if CurrentEL.matches_all(CurrentEL::EL::EL2) {
        STARTED_AT_EL2.store(true, Ordering::Relaxed);
        park_secondary_cores();
        // SAFETY: we are at EL2, on the boot stack, and never come back.
        unsafe { drop_to_el1() }
    } else {
        el1_entry()
    }
}

// ANCHOR: park
/// Release cores 1-3 from the firmware's spin table into `_start`, where
/// they sleep in WFI for good. bench runs with its caches off, so the
/// writes reach memory, where the waiting cores read them.
fn park_secondary_cores() {
    extern "C" {
        fn _start();
    }
    for core in 1..CORES {
        let slot = SPIN_TABLE_BASE + SPIN_TABLE_ENTRY_BYTES * core;
        // SAFETY: the spin table is the firmware's, at a fixed address below
        // the image; writing a start address into it is its protocol.
        unsafe { core::ptr::write_volatile(slot as *mut u64, _start as *const () as u64) };
    }
    // The cores wait in WFE: make the writes visible, then wake them.
    barrier::dsb(barrier::SY);
    asm::sev();
}
// ANCHOR_END: park

// ANCHOR: el2_stub
/// Leave EL2 for EL1, continuing at [`el1_entry`] on the boot stack, with
/// `el2_stub.s` left behind to answer HVCs.
///
/// # Safety
///
/// Must run at EL2, once; whatever is on the stack is abandoned.
unsafe fn drop_to_el1() -> ! {
    // HVCs from EL1 land in the stub, which answers NOT_SUPPORTED.
    VBAR_EL2.set(&raw const __el2_stub_vectors as u64);
    barrier::isb(barrier::SY);

    // EL1 may use the physical counter and timer; the virtual counter
    // reads the same as the physical one.
    CNTHCTL_EL2.write(CNTHCTL_EL2::EL1PCEN::SET + CNTHCTL_EL2::EL1PCTEN::SET);
    CNTVOFF_EL2.set(0);

    // EL1 runs in AArch64 and nothing but HVC reaches EL2.
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
// ANCHOR_END: el2_stub

/// The first code at EL1, reached by `eret` from EL2 or called directly
/// when bench was started at EL1.
extern "C" fn el1_entry() -> ! {
    crate::start()
}
