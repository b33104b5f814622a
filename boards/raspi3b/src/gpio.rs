//! GPIO (BCM2835 ARM Peripherals, chapter 6): the register block, and the
//! driver for what this project needs of it: the console's pins.
//!
//! [`Gpio::map_mini_uart`] puts GPIO14/15 on ALT5 (the mini UART's TXD1
//! and RXD1, header pins 8 and 10) and switches their pull resistors off
//! with the datasheet's GPPUD/GPPUDCLK sequence. [`Gpio::map_emmc`] puts
//! the SD card slot's pins, GPIO48-53, on ALT3: the EMMC controller.

use crate::{Mmio, PhysAddr};
use embedded_hal::delay::DelayNs;
use tock_registers::interfaces::{ReadWriteable, Writeable};
use tock_registers::registers::{ReadOnly, ReadWrite, WriteOnly};
use tock_registers::{register_bitfields, register_structs};

register_bitfields! {u32,
    /// GPIO Function Select 1: pins 10-19, three bits each.
    #[allow(missing_docs)] // the generated Register type and field values
    pub GPFSEL1 [
        /// Pin 15 function.
        FSEL15 OFFSET(15) NUMBITS(3) [Input = 0b000, Output = 0b001, Alt0 = 0b100, Alt5 = 0b010],
        /// Pin 14 function.
        FSEL14 OFFSET(12) NUMBITS(3) [Input = 0b000, Output = 0b001, Alt0 = 0b100, Alt5 = 0b010]
    ],
    /// GPIO Function Select 4: pins 40-49, three bits each.
    #[allow(missing_docs)] // the generated Register type and field values
    pub GPFSEL4 [
        /// Pin 49 function (SD1_CMD on ALT3).
        FSEL49 OFFSET(27) NUMBITS(3) [Input = 0b000, Alt0 = 0b100, Alt3 = 0b111],
        /// Pin 48 function (SD1_CLK on ALT3).
        FSEL48 OFFSET(24) NUMBITS(3) [Input = 0b000, Alt0 = 0b100, Alt3 = 0b111]
    ],
    /// GPIO Function Select 5: pins 50-53, three bits each.
    #[allow(missing_docs)] // the generated Register type and field values
    pub GPFSEL5 [
        /// Pin 53 function (SD1_DAT3 on ALT3).
        FSEL53 OFFSET(9) NUMBITS(3) [Input = 0b000, Alt0 = 0b100, Alt3 = 0b111],
        /// Pin 52 function (SD1_DAT2 on ALT3).
        FSEL52 OFFSET(6) NUMBITS(3) [Input = 0b000, Alt0 = 0b100, Alt3 = 0b111],
        /// Pin 51 function (SD1_DAT1 on ALT3).
        FSEL51 OFFSET(3) NUMBITS(3) [Input = 0b000, Alt0 = 0b100, Alt3 = 0b111],
        /// Pin 50 function (SD1_DAT0 on ALT3).
        FSEL50 OFFSET(0) NUMBITS(3) [Input = 0b000, Alt0 = 0b100, Alt3 = 0b111]
    ],
    /// GPIO Pull-up/down Register.
    #[allow(missing_docs)] // the generated Register type and field values
    pub GPPUD [
        /// Control signal applied by the next GPPUDCLK write.
        PUD OFFSET(0) NUMBITS(2) [Off = 0b00, PullDown = 0b01, PullUp = 0b10]
    ],
    /// GPIO Pull-up/down Clock Register 0: pins 0-31.
    #[allow(missing_docs)] // the generated Register type and field values
    pub GPPUDCLK0 [
        /// Clock the control signal into pin 15.
        PUDCLK15 OFFSET(15) NUMBITS(1) [NoEffect = 0, AssertClock = 1],
        /// Clock the control signal into pin 14.
        PUDCLK14 OFFSET(14) NUMBITS(1) [NoEffect = 0, AssertClock = 1]
    ],
    /// GPIO Pull-up/down Clock Register 1: pins 32-53.
    #[allow(missing_docs)] // the generated Register type and field values
    pub GPPUDCLK1 [
        /// Clock the control signal into pins 49-53 (bits 17-21).
        PUDCLK49_53 OFFSET(17) NUMBITS(5) [NoEffect = 0, AssertClock = 0b11111],
        /// Clock the control signal into pin 48.
        PUDCLK48 OFFSET(16) NUMBITS(1) [NoEffect = 0, AssertClock = 1]
    ]
}

// ANCHOR: registers
register_structs! {
    /// The GPIO register block at [`crate::map::GPIO_BASE`]: two banks
    /// (pins 0-31 and 32-53) of every per-pin register.
    // The fields are the registers, named as in the datasheet and
    // described by their bitfields above.
    #[allow(non_snake_case, missing_docs)]
    pub Registers {
        (0x00 => pub GPFSEL0: ReadWrite<u32>),
        (0x04 => pub GPFSEL1: ReadWrite<u32, GPFSEL1::Register>),
        (0x08 => pub GPFSEL2: ReadWrite<u32>),
        (0x0c => pub GPFSEL3: ReadWrite<u32>),
        (0x10 => pub GPFSEL4: ReadWrite<u32, GPFSEL4::Register>),
        (0x14 => pub GPFSEL5: ReadWrite<u32, GPFSEL5::Register>),
        (0x18 => _reserved0),
        (0x1c => pub GPSET0: WriteOnly<u32>),
        (0x20 => pub GPSET1: WriteOnly<u32>),
        (0x24 => _reserved1),
        (0x28 => pub GPCLR0: WriteOnly<u32>),
        (0x2c => pub GPCLR1: WriteOnly<u32>),
        (0x30 => _reserved2),
        (0x34 => pub GPLEV0: ReadOnly<u32>),
        (0x38 => pub GPLEV1: ReadOnly<u32>),
        (0x3c => _reserved3),
        (0x40 => pub GPEDS0: ReadWrite<u32>),
        (0x44 => pub GPEDS1: ReadWrite<u32>),
        (0x48 => _reserved4),
        (0x4c => pub GPREN0: ReadWrite<u32>),
        (0x50 => pub GPREN1: ReadWrite<u32>),
        (0x54 => _reserved5),
        (0x58 => pub GPFEN0: ReadWrite<u32>),
        (0x5c => pub GPFEN1: ReadWrite<u32>),
        (0x60 => _reserved6),
        (0x64 => pub GPHEN0: ReadWrite<u32>),
        (0x68 => pub GPHEN1: ReadWrite<u32>),
        (0x6c => _reserved7),
        (0x70 => pub GPLEN0: ReadWrite<u32>),
        (0x74 => pub GPLEN1: ReadWrite<u32>),
        (0x78 => _reserved8),
        (0x7c => pub GPAREN0: ReadWrite<u32>),
        (0x80 => pub GPAREN1: ReadWrite<u32>),
        (0x84 => _reserved9),
        (0x88 => pub GPAFEN0: ReadWrite<u32>),
        (0x8c => pub GPAFEN1: ReadWrite<u32>),
        (0x90 => _reserved10),
        (0x94 => pub GPPUD: ReadWrite<u32, GPPUD::Register>),
        (0x98 => pub GPPUDCLK0: ReadWrite<u32, GPPUDCLK0::Register>),
        (0x9c => pub GPPUDCLK1: ReadWrite<u32, GPPUDCLK1::Register>),
        (0xa0 => _reserved11),
        (0xb0 => pub TEST: ReadWrite<u32>),
        (0xb4 => @END),
    }
}
// ANCHOR_END: registers

/// GPIO pins of the BCM2835.
pub const PINS: u32 = 54;
/// The datasheet asks for 150 cycles around the pull clock; 2 us is more
/// than that at any core clock the Pi 3 runs.
const PULL_SETUP_NS: u32 = 2_000;

/// The GPIO block.
pub struct Gpio {
    regs: Mmio<Registers>,
}

impl Gpio {
    /// The GPIO block at `base`.
    ///
    /// # Safety
    ///
    /// `base` must be the GPIO block ([`crate::map::GPIO_BASE`]),
    /// accessible as device memory.
    pub const unsafe fn new(base: PhysAddr) -> Self {
        Self {
            // SAFETY: passed on from the caller.
            regs: unsafe { Mmio::new(base) },
        }
    }

    // ANCHOR: map_mini_uart
    /// Route GPIO14/15 to the mini UART (ALT5) with pulls off, following
    /// the pull-setting sequence of the datasheet's GPPUDCLK description:
    /// write GPPUD, wait, clock it into the pins, wait, remove both.
    pub fn map_mini_uart(&self, delay: &mut impl DelayNs) {
        self.regs
            .GPFSEL1
            .modify(GPFSEL1::FSEL14::Alt5 + GPFSEL1::FSEL15::Alt5);
        self.regs.GPPUD.write(GPPUD::PUD::Off);
        delay.delay_ns(PULL_SETUP_NS);
        self.regs
            .GPPUDCLK0
            .write(GPPUDCLK0::PUDCLK14::AssertClock + GPPUDCLK0::PUDCLK15::AssertClock);
        delay.delay_ns(PULL_SETUP_NS);
        self.regs.GPPUD.write(GPPUD::PUD::Off);
        self.regs.GPPUDCLK0.set(0);
    }
    // ANCHOR_END: map_mini_uart

    // ANCHOR: map_emmc
    /// Route the SD card slot, GPIO48-53, to the EMMC controller (ALT3:
    /// SD1_CLK, SD1_CMD, SD1_DAT0-3), with the pulls the card's bus wants:
    /// none on the clock, up on the command and data lines (an idle SD bus
    /// is high). GPIO46/47 in the same GPFSEL4 are left as they are: on a
    /// Pi 3 they are the power chip's I2C bus.
    pub fn map_emmc(&self, delay: &mut impl DelayNs) {
        self.regs
            .GPFSEL4
            .modify(GPFSEL4::FSEL48::Alt3 + GPFSEL4::FSEL49::Alt3);
        self.regs.GPFSEL5.modify(
            GPFSEL5::FSEL50::Alt3
                + GPFSEL5::FSEL51::Alt3
                + GPFSEL5::FSEL52::Alt3
                + GPFSEL5::FSEL53::Alt3,
        );
        for (pull, pins) in [
            (GPPUD::PUD::Off, GPPUDCLK1::PUDCLK48::AssertClock),
            (GPPUD::PUD::PullUp, GPPUDCLK1::PUDCLK49_53::AssertClock),
        ] {
            self.regs.GPPUD.write(pull);
            delay.delay_ns(PULL_SETUP_NS);
            self.regs.GPPUDCLK1.write(pins);
            delay.delay_ns(PULL_SETUP_NS);
            self.regs.GPPUD.write(GPPUD::PUD::Off);
            self.regs.GPPUDCLK1.set(0);
        }
    }
    // ANCHOR_END: map_emmc
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::mem::offset_of;

    #[test]
    fn offsets_are_the_datasheets() {
        assert_eq!(offset_of!(Registers, GPFSEL1), 0x04);
        assert_eq!(offset_of!(Registers, GPSET0), 0x1c);
        assert_eq!(offset_of!(Registers, GPLEV0), 0x34);
        assert_eq!(offset_of!(Registers, GPAFEN1), 0x8c);
        assert_eq!(offset_of!(Registers, GPPUD), 0x94);
        assert_eq!(offset_of!(Registers, GPPUDCLK0), 0x98);
        assert_eq!(core::mem::size_of::<Registers>(), 0xb4);
    }
}
