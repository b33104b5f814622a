//! The PM (power management) block's watchdog, as the Pi firmware, Linux's
//! `bcm2835_wdt` and U-Boot use it to reset the board: not in the BCM2835
//! ARM Peripherals datasheet, so names follow those users.
//!
//! Every write needs [`PASSWORD`] in bits 31:24 or it is ignored. Writing
//! PM_WDOG starts the countdown (in ticks of 1/65536 s); PM_RSTC's WRCFG
//! says what happens when it runs out (a full reset); PM_RSTS holds, among
//! other flags, the partition the firmware boots next.

use tock_registers::registers::ReadWrite;
use tock_registers::{register_bitfields, register_structs};

register_bitfields! {u32,
    /// Reset control.
    #[allow(missing_docs)] // the generated Register type and field values
    pub PM_RSTC [
        /// The password every write must carry.
        PASSWD OFFSET(24) NUMBITS(8) [],
        /// What the watchdog does when it runs out.
        WRCFG OFFSET(4) NUMBITS(2) [
            Clear = 0b00,
            FullReset = 0b10
        ]
    ],
    /// Watchdog timer.
    #[allow(missing_docs)] // the generated Register type and field values
    pub PM_WDOG [
        /// The password every write must carry.
        PASSWD OFFSET(24) NUMBITS(8) [],
        /// The timeout, in ticks of 1/65536 s.
        TIME_SET OFFSET(0) NUMBITS(20) []
    ]
}

register_structs! {
    /// The PM block at [`crate::map::PM_BASE`], up to the watchdog.
    // The fields are the registers, named as in the datasheet and
    // described by their bitfields above.
    #[allow(non_snake_case, missing_docs)]
    pub Registers {
        (0x00 => _reserved),
        (0x1c => pub PM_RSTC: ReadWrite<u32, PM_RSTC::Register>),
        (0x20 => pub PM_RSTS: ReadWrite<u32>),
        (0x24 => pub PM_WDOG: ReadWrite<u32, PM_WDOG::Register>),
        (0x28 => @END),
    }
}

/// The password of bits 31:24.
pub const PASSWORD: u32 = 0x5a;
/// Watchdog ticks per second.
pub const TICKS_PER_SECOND: u32 = 1 << 16;

#[cfg(test)]
mod tests {
    use super::*;
    use core::mem::offset_of;

    #[test]
    fn offsets_are_linuxs() {
        assert_eq!(offset_of!(Registers, PM_RSTC), 0x1c);
        assert_eq!(offset_of!(Registers, PM_RSTS), 0x20);
        assert_eq!(offset_of!(Registers, PM_WDOG), 0x24);
    }
}
