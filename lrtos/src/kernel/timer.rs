//! The ARM generic timer, virtual view: the clock lrtos keeps time with and
//! the interrupt that drives preemption.
//!
//! CNTVCT_EL0 counts up at CNTFRQ_EL0 Hz. Writing CNTV_TVAL_EL0 sets the
//! timer to fire that many ticks from now; with CNTV_CTL_EL0.ENABLE set and
//! IMASK clear, the timer then raises CNTVIRQ until it is set again. The
//! virtual timer is the one a guest of a hypervisor owns outright, so lrtos
//! uses it both natively and under ferrovisor.

use aarch64_cpu::asm::barrier;
use aarch64_cpu::registers::{CNTFRQ_EL0, CNTKCTL_EL1, CNTVCT_EL0, CNTV_CTL_EL0, CNTV_TVAL_EL0};
use lrtos::time::{ms_to_ticks, TIME_SLICE_MS};
use tock_registers::interfaces::{Readable, Writeable};

/// The counter's rate in Hz.
pub fn frequency() -> u64 {
    CNTFRQ_EL0.get()
}

/// The virtual counter now.
pub fn now() -> u64 {
    // The ISB keeps the read from being done ahead of earlier instructions.
    barrier::isb(barrier::SY);
    CNTVCT_EL0.get()
}

/// Let EL0 read CNTVCT_EL0 and CNTFRQ_EL0, so tasks can busy-wait for a
/// given time without a system call. EL0 gets no access to the timers.
pub fn allow_el0_counter_reads() {
    CNTKCTL_EL1.write(CNTKCTL_EL1::EL0VCTEN::SET);
}

// ANCHOR: arm
/// Fire the next tick one time slice from now. Writing TVAL also clears
/// the interrupt of the tick that just fired.
pub fn rearm() {
    CNTV_TVAL_EL0.set(ms_to_ticks(TIME_SLICE_MS, frequency()));
}

/// Start the periodic tick: arm the timer and enable it, interrupt unmasked.
pub fn start_ticks() {
    rearm();
    CNTV_CTL_EL0.write(CNTV_CTL_EL0::ENABLE::SET + CNTV_CTL_EL0::IMASK::CLEAR);
}
// ANCHOR_END: arm
