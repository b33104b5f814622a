//! The ARM generic timer, virtual view: bench's only clock, and the timer
//! whose interrupt latency it measures.
//!
//! Every figure bench reports is in ticks of CNTVCT_EL0, which counts at
//! CNTFRQ_EL0 Hz (62.5 MHz under QEMU, 19.2 MHz on a real Pi 3). Natively
//! CNTVOFF_EL2 is 0 (boot.rs); under ferrovisor the counter is the VM's own,
//! and it keeps counting while other VMs run.

use aarch64_cpu::asm::barrier;
use aarch64_cpu::registers::{CNTFRQ_EL0, CNTVCT_EL0, CNTV_CTL_EL0, CNTV_CVAL_EL0};
use tock_registers::interfaces::{Readable, Writeable};

/// The counter's rate in Hz.
pub fn frequency() -> u64 {
    CNTFRQ_EL0.get()
}

// ANCHOR: stamps
/// The counter at the start of a timed section: the ISB keeps the read
/// from being done before the instructions that come before it.
#[inline(always)]
pub fn start_stamp() -> u64 {
    barrier::isb(barrier::SY);
    CNTVCT_EL0.get()
}

/// The counter at the end of a timed section: the DSB waits for the
/// section's memory and device accesses to complete, the ISB for the rest.
#[inline(always)]
pub fn end_stamp() -> u64 {
    barrier::dsb(barrier::SY);
    barrier::isb(barrier::SY);
    CNTVCT_EL0.get()
}
// ANCHOR_END: stamps

/// Fire the virtual timer's interrupt when the counter reaches `deadline`.
pub fn arm_at(deadline: u64) {
    CNTV_CVAL_EL0.set(deadline);
    CNTV_CTL_EL0.write(CNTV_CTL_EL0::ENABLE::SET + CNTV_CTL_EL0::IMASK::CLEAR);
    barrier::isb(barrier::SY);
}

/// Whether the armed timer's deadline has passed (its interrupt asserted).
pub fn fired() -> bool {
    CNTV_CTL_EL0.matches_all(
        CNTV_CTL_EL0::ENABLE::SET + CNTV_CTL_EL0::IMASK::CLEAR + CNTV_CTL_EL0::ISTATUS::SET,
    )
}

/// Switch the timer off, which takes its interrupt away.
pub fn stop() {
    CNTV_CTL_EL0.set(0);
    barrier::isb(barrier::SY);
}
