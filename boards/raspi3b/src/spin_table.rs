//! Releasing cores 1-3 from the firmware's spin table.
//!
//! The Pi 3 firmware's ARM stub (and QEMU's boot code for `raspi3b`)
//! starts only core 0 at the image. Cores 1-3 wait in WFE until a start
//! address appears in their slot of the spin table, at
//! [`SPIN_TABLE_BASE`]` + 8 * core`, then jump to it at the same exception
//! level as core 0. Left there, they spin on WFE, which wakes on every
//! event, and QEMU emulates it as a busy loop: three host CPUs burnt for
//! nothing. A program that does not use them releases them into code that
//! sleeps in WFI.

use crate::map::CORES;

/// The spin table: core `n`'s slot is at `SPIN_TABLE_BASE + 8 * n`.
pub const SPIN_TABLE_BASE: usize = 0xd8;
/// Bytes per slot.
pub const SLOT_BYTES: usize = 8;

/// The address of `core`'s slot.
pub const fn slot(core: usize) -> usize {
    SPIN_TABLE_BASE + SLOT_BYTES * core
}

// ANCHOR: release
/// Write `entry` into the slots of cores 1-3 and wake them. The slots are
/// cleaned from the data cache, since the waiting cores read them with
/// their MMU and caches off.
///
/// # Safety
///
/// Must run once, on the boot core, at the exception level the program
/// was started in (the firmware's), with the spin table untouched; `entry`
/// must be code every core may run from reset state (no stack, no MMU).
pub unsafe fn release_secondary_cores(entry: usize) {
    for core in 1..CORES {
        let slot = slot(core);
        // SAFETY: the spin table is the firmware's, at a fixed address
        // below the image; writing a start address into it is its protocol
        // (the caller's promise that it is still there).
        unsafe { core::ptr::write_volatile(slot as *mut u64, entry as u64) };
        clean_dcache_line(slot);
    }
    wake_cores();
}
// ANCHOR_END: release

/// Write the data cache line holding `address` back to memory.
fn clean_dcache_line(address: usize) {
    #[cfg(target_arch = "aarch64")]
    // SAFETY: cleaning a cache line by address changes no program state.
    unsafe {
        core::arch::asm!("dc civac, {}", in(reg) address, options(nostack))
    };
    #[cfg(not(target_arch = "aarch64"))]
    let _ = address;
}

/// Make the writes visible, then send the event the waiting cores' WFE
/// wakes on.
fn wake_cores() {
    #[cfg(target_arch = "aarch64")]
    // SAFETY: DSB orders memory accesses and SEV only wakes cores waiting
    // in WFE; neither changes program state.
    unsafe {
        core::arch::asm!("dsb sy", "sev", options(nostack))
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_follow_the_firmware_stub() {
        assert_eq!(slot(1), 0xe0);
        assert_eq!(slot(3), 0xf0);
    }
}
