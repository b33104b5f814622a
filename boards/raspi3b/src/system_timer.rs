//! The system timer (BCM2835 ARM Peripherals, chapter 12): a free-running
//! 64-bit counter at 1 MHz and four compare registers, of which C1 and C3
//! are the ARM's (C0 and C2 belong to the VideoCore). A compare match sets
//! its flag in CS and raises peripheral interrupt
//! [`crate::irq::SYSTEM_TIMER_MATCH_1`] or `_3`.

use crate::{Mmio, PhysAddr};
use tock_registers::interfaces::Readable;
use tock_registers::registers::{ReadOnly, ReadWrite};
use tock_registers::{register_bitfields, register_structs};

register_bitfields! {u32,
    /// System Timer Control/Status: the match flags (write 1 to clear).
    #[allow(missing_docs)] // the generated Register type and field values
    pub CS [
        /// System Timer Match 3.
        M3 OFFSET(3) NUMBITS(1) [],
        /// System Timer Match 2.
        M2 OFFSET(2) NUMBITS(1) [],
        /// System Timer Match 1.
        M1 OFFSET(1) NUMBITS(1) [],
        /// System Timer Match 0.
        M0 OFFSET(0) NUMBITS(1) []
    ]
}

register_structs! {
    /// The system timer at [`crate::map::SYSTEM_TIMER_BASE`].
    // The fields are the registers, named as in the datasheet and
    // described by their bitfields above.
    #[allow(non_snake_case, missing_docs)]
    pub Registers {
        (0x00 => pub CS: ReadWrite<u32, CS::Register>),
        (0x04 => pub CLO: ReadOnly<u32>),
        (0x08 => pub CHI: ReadOnly<u32>),
        (0x0c => pub C0: ReadWrite<u32>),
        (0x10 => pub C1: ReadWrite<u32>),
        (0x14 => pub C2: ReadWrite<u32>),
        (0x18 => pub C3: ReadWrite<u32>),
        (0x1c => @END),
    }
}

/// The counter's rate.
pub const FREQUENCY_HZ: u64 = 1_000_000;
/// Bits in CLO.
const LOW_BITS: u32 = 32;

/// The system timer.
pub struct SystemTimer {
    regs: Mmio<Registers>,
}

impl SystemTimer {
    /// The system timer at `base`.
    ///
    /// # Safety
    ///
    /// `base` must be the system timer ([`crate::map::SYSTEM_TIMER_BASE`]),
    /// accessible as device memory.
    pub const unsafe fn new(base: PhysAddr) -> Self {
        Self {
            // SAFETY: passed on from the caller.
            regs: unsafe { Mmio::new(base) },
        }
    }

    /// The 64-bit counter, in microseconds. CHI is read on both sides of
    /// CLO, so a carry between the two reads cannot tear the value.
    pub fn now(&self) -> u64 {
        loop {
            let high = self.regs.CHI.get();
            let low = self.regs.CLO.get();
            if self.regs.CHI.get() == high {
                return (u64::from(high) << LOW_BITS) | u64::from(low);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::mem::offset_of;

    #[test]
    fn offsets_are_the_datasheets() {
        assert_eq!(offset_of!(Registers, CLO), 0x04);
        assert_eq!(offset_of!(Registers, C1), 0x10);
        assert_eq!(offset_of!(Registers, C3), 0x18);
    }
}
