//! The hypervisor's clock: the ARM generic timer's physical counter.
//!
//! CNTPCT_EL0 counts up at CNTFRQ_EL0 Hz from reset (19.2 MHz on a real
//! Pi 3, 62.5 MHz under QEMU), so uptime needs no MMIO timer (drivers' delays use the board crate's
//! `raspi3b::delay::CounterDelay`, on the same counter).

use super::time::Timestamp;
use aarch64_cpu::asm::barrier;
use aarch64_cpu::registers::{CNTFRQ_EL0, CNTPCT_EL0};
use tock_registers::interfaces::Readable;

/// The counter now.
pub fn now() -> Timestamp {
    // The ISB keeps the read from being hoisted above earlier instructions.
    barrier::isb(barrier::SY);
    Timestamp {
        ticks: counter(),
        freq: CNTFRQ_EL0.get(),
    }
}

/// The counter's value, read without a barrier: the read may happen a
/// little before the instructions around it, so it can only be early. For
/// a check that an early reading cannot make wrong (the trap fast path's
/// "has the deadline passed?", which the EL2 timer's interrupt backs up),
/// where the ISB of [`now`] would cost more than the read.
pub fn counter() -> u64 {
    CNTPCT_EL0.get()
}

// ANCHOR: hyp_timer
/// Arm the EL2 physical timer (CNTHP) to fire at counter value `deadline`.
pub fn set_hyp_deadline(deadline: u64) {
    // SAFETY: the EL2 timer belongs to the hypervisor alone.
    unsafe {
        core::arch::asm!(
            "msr cnthp_cval_el2, {}",
            "msr cnthp_ctl_el2, {}",
            "isb",
            in(reg) deadline,
            in(reg) CNTHP_CTL_ENABLE,
            options(nostack)
        )
    };
}

/// Whether the EL2 timer is enabled and its deadline has passed
/// (CNTHP_CTL_EL2.ISTATUS): a system register read, no device access.
pub fn hyp_timer_fired() -> bool {
    let ctl: u64;
    // SAFETY: reading CNTHP_CTL_EL2 has no side effect.
    unsafe { core::arch::asm!("mrs {}, cnthp_ctl_el2", out(reg) ctl, options(nostack)) };
    ctl & CNTHP_CTL_ENABLE != 0 && ctl & CNTHP_CTL_ISTATUS != 0
}

/// Silence the EL2 timer (its interrupt is level-triggered).
pub fn stop_hyp_timer() {
    // SAFETY: the EL2 timer belongs to the hypervisor alone.
    unsafe { core::arch::asm!("msr cnthp_ctl_el2, xzr", "isb", options(nostack)) };
}
// ANCHOR_END: hyp_timer

/// CNTHP_CTL_EL2.ENABLE.
const CNTHP_CTL_ENABLE: u64 = 1;
/// CNTHP_CTL_EL2.ISTATUS: the timer condition is met.
const CNTHP_CTL_ISTATUS: u64 = 1 << 2;
