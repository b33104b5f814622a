//! GPIO (BCM2835 ARM Peripherals, chapter 6): pin functions and pulls.
//!
//! Only what the console needs: put GPIO14/15 on ALT5 (the mini UART's TXD1
//! and RXD1, header pins 8 and 10) and switch their pull resistors off.

use crate::mmio::Mmio;
use aarch64_cpu::asm;
use tock_registers::interfaces::{ReadWriteable, Writeable};
use tock_registers::registers::ReadWrite;
use tock_registers::{register_bitfields, register_structs};

register_bitfields! {u32,
    /// GPIO Function Select 1: pins 10-19, three bits each.
    GPFSEL1 [
        /// Pin 15 function.
        FSEL15 OFFSET(15) NUMBITS(3) [Input = 0b000, Alt5 = 0b010],
        /// Pin 14 function.
        FSEL14 OFFSET(12) NUMBITS(3) [Input = 0b000, Alt5 = 0b010]
    ],
    /// GPIO Pull-up/down Register.
    GPPUD [
        /// Control signal applied by the next GPPUDCLK write.
        PUD OFFSET(0) NUMBITS(2) [Off = 0b00, PullDown = 0b01, PullUp = 0b10]
    ],
    /// GPIO Pull-up/down Clock Register 0: pins 0-31.
    GPPUDCLK0 [
        /// Clock the control signal into pin 15.
        PUDCLK15 OFFSET(15) NUMBITS(1) [NoEffect = 0, AssertClock = 1],
        /// Clock the control signal into pin 14.
        PUDCLK14 OFFSET(14) NUMBITS(1) [NoEffect = 0, AssertClock = 1]
    ]
}

register_structs! {
    /// The GPIO register block.
    #[allow(non_snake_case)]
    pub Registers {
        (0x00 => _gpfsel0),
        (0x04 => GPFSEL1: ReadWrite<u32, GPFSEL1::Register>),
        (0x08 => _gpfsel2_to_gppud),
        (0x94 => GPPUD: ReadWrite<u32, GPPUD::Register>),
        (0x98 => GPPUDCLK0: ReadWrite<u32, GPPUDCLK0::Register>),
        (0x9c => @END),
    }
}

/// The datasheet's "wait 150 cycles" around the pull clock. One `nop` per
/// iteration takes at least one cycle.
const PULL_SETUP_CYCLES: u32 = 150;

/// The GPIO block.
pub struct Gpio {
    regs: Mmio<Registers>,
}

impl Gpio {
    /// The GPIO block at `base`.
    ///
    /// # Safety
    ///
    /// `base` must be the GPIO block.
    pub const unsafe fn new(base: usize) -> Self {
        Self {
            // SAFETY: passed on from the caller.
            regs: unsafe { Mmio::new(base) },
        }
    }

    // ANCHOR: map_mini_uart
    /// Route GPIO14/15 to the mini UART (ALT5) with pulls off, following
    /// the pull-setting sequence of the datasheet's GPPUDCLK description.
    pub fn map_mini_uart(&self) {
        self.regs
            .GPFSEL1
            .modify(GPFSEL1::FSEL14::Alt5 + GPFSEL1::FSEL15::Alt5);
        self.regs.GPPUD.write(GPPUD::PUD::Off);
        wait_cycles(PULL_SETUP_CYCLES);
        self.regs
            .GPPUDCLK0
            .write(GPPUDCLK0::PUDCLK14::AssertClock + GPPUDCLK0::PUDCLK15::AssertClock);
        wait_cycles(PULL_SETUP_CYCLES);
        self.regs.GPPUD.write(GPPUD::PUD::Off);
        self.regs.GPPUDCLK0.set(0);
    }
    // ANCHOR_END: map_mini_uart
}

/// Spin for at least `cycles` CPU cycles.
fn wait_cycles(cycles: u32) {
    for _ in 0..cycles {
        asm::nop();
    }
}
