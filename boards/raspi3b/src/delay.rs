//! [`CounterDelay`]: busy-wait delays on the ARM generic timer's virtual
//! counter, for drivers that must wait a little (the GPIO pull sequence).
//!
//! The counter needs no MMIO and runs the same natively and in a VM (a
//! hypervisor may offset it, never stop it), so the delay is at least what
//! was asked for wherever the program runs.

use aarch64_cpu::asm::barrier;
use aarch64_cpu::registers::{CNTFRQ_EL0, CNTVCT_EL0};
use embedded_hal::delay::DelayNs;
use tock_registers::interfaces::Readable;

/// Nanoseconds in a second.
const NS_PER_SECOND: u64 = 1_000_000_000;

/// Counter ticks that last at least `ns` nanoseconds at `frequency_hz`.
pub const fn ticks_for_ns(ns: u32, frequency_hz: u64) -> u64 {
    (ns as u64 * frequency_hz).div_ceil(NS_PER_SECOND)
}

/// Busy-wait delays on CNTVCT_EL0.
pub struct CounterDelay;

impl DelayNs for CounterDelay {
    fn delay_ns(&mut self, ns: u32) {
        let ticks = ticks_for_ns(ns, CNTFRQ_EL0.get());
        // The ISB keeps the first read from being done early.
        barrier::isb(barrier::SY);
        let start = CNTVCT_EL0.get();
        while CNTVCT_EL0.get().wrapping_sub(start) < ticks {
            core::hint::spin_loop();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounds_up() {
        // 62.5 MHz (QEMU): 16 ns a tick.
        assert_eq!(ticks_for_ns(2_000, 62_500_000), 125);
        assert_eq!(ticks_for_ns(1, 62_500_000), 1);
        assert_eq!(ticks_for_ns(0, 62_500_000), 0);
    }
}
