//! The mini UART (BCM2835 ARM Peripherals, chapter 2, "Auxiliaries"): the
//! Pi 3's console on header pins 8 (TXD) and 10 (RXD), and QEMU's second
//! serial port.
//!
//! lrtos only transmits, and polls: it waits until the transmit FIFO has
//! room, then writes the byte. Its clock is the VideoCore core clock, from
//! which the baud divisor is computed.

use super::mmio::Mmio;
use lrtos::board::{baud_divisor, BAUD_RATE};
use tock_registers::interfaces::{Readable, Writeable};
use tock_registers::registers::{ReadOnly, ReadWrite};
use tock_registers::{register_bitfields, register_structs};

register_bitfields! {u32,
    /// Auxiliary enables.
    AUX_ENABLES [
        /// Mini UART enable (also gives access to its registers).
        MINI_UART_ENABLE OFFSET(0) NUMBITS(1) []
    ],
    /// Mini UART Interrupt Identify (write: FIFO clear).
    AUX_MU_IIR [
        /// On write: clear the receive FIFO.
        CLEAR_RECEIVE_FIFO OFFSET(1) NUMBITS(1) [],
        /// On write: clear the transmit FIFO.
        CLEAR_TRANSMIT_FIFO OFFSET(2) NUMBITS(1) []
    ],
    /// Mini UART Line Control.
    AUX_MU_LCR [
        /// Data size (the datasheet says bit 0 alone, but 8 bits needs 0b11).
        DATA_SIZE OFFSET(0) NUMBITS(2) [SevenBit = 0b00, EightBit = 0b11]
    ],
    /// Mini UART Line Status.
    AUX_MU_LSR [
        /// The transmit FIFO can accept at least one byte.
        TRANSMITTER_EMPTY OFFSET(5) NUMBITS(1) []
    ],
    /// Mini UART Extra Control.
    AUX_MU_CNTL [
        /// Transmitter enable.
        TRANSMITTER_ENABLE OFFSET(1) NUMBITS(1) [],
        /// Receiver enable.
        RECEIVER_ENABLE OFFSET(0) NUMBITS(1) []
    ],
    /// Mini UART Baudrate.
    AUX_MU_BAUD [
        /// baud = system_clock / (8 * (BAUDRATE + 1)).
        BAUDRATE OFFSET(0) NUMBITS(16) []
    ]
}

register_structs! {
    /// The AUX register block at `AUX_BASE`.
    #[allow(non_snake_case)]
    pub Registers {
        (0x00 => _aux_irq),
        (0x04 => AUX_ENABLES: ReadWrite<u32, AUX_ENABLES::Register>),
        (0x08 => _reserved),
        (0x40 => AUX_MU_IO: ReadWrite<u32>),
        (0x44 => AUX_MU_IER: ReadWrite<u32>),
        (0x48 => AUX_MU_IIR: ReadWrite<u32, AUX_MU_IIR::Register>),
        (0x4c => AUX_MU_LCR: ReadWrite<u32, AUX_MU_LCR::Register>),
        (0x50 => AUX_MU_MCR: ReadWrite<u32>),
        (0x54 => AUX_MU_LSR: ReadOnly<u32, AUX_MU_LSR::Register>),
        (0x58 => _aux_mu_msr_scratch),
        (0x60 => AUX_MU_CNTL: ReadWrite<u32, AUX_MU_CNTL::Register>),
        (0x64 => _aux_mu_stat),
        (0x68 => AUX_MU_BAUD: ReadWrite<u32, AUX_MU_BAUD::Register>),
        (0x6c => @END),
    }
}

/// The mini UART.
pub struct MiniUart {
    regs: Mmio<Registers>,
}

impl MiniUart {
    /// The mini UART in the AUX block at `base`.
    ///
    /// # Safety
    ///
    /// `base` must be the AUX block, mapped as device memory.
    pub const unsafe fn new(base: usize) -> Self {
        Self {
            // SAFETY: passed on from the caller.
            regs: unsafe { Mmio::new(base) },
        }
    }

    // ANCHOR: init
    /// Set 8N1 at [`BAUD_RATE`] for a core clock of `core_clock_hz`, no
    /// interrupts. The GPIO pins are routed separately.
    pub fn init(&self, core_clock_hz: u32) {
        self.regs
            .AUX_ENABLES
            .write(AUX_ENABLES::MINI_UART_ENABLE::SET);
        self.regs.AUX_MU_CNTL.set(0);
        self.regs.AUX_MU_IER.set(0);
        self.regs.AUX_MU_LCR.write(AUX_MU_LCR::DATA_SIZE::EightBit);
        self.regs.AUX_MU_MCR.set(0);
        self.regs
            .AUX_MU_IIR
            .write(AUX_MU_IIR::CLEAR_RECEIVE_FIFO::SET + AUX_MU_IIR::CLEAR_TRANSMIT_FIFO::SET);
        self.regs
            .AUX_MU_BAUD
            .write(AUX_MU_BAUD::BAUDRATE.val(baud_divisor(core_clock_hz, BAUD_RATE)));
        self.regs
            .AUX_MU_CNTL
            .write(AUX_MU_CNTL::RECEIVER_ENABLE::SET + AUX_MU_CNTL::TRANSMITTER_ENABLE::SET);
    }
    // ANCHOR_END: init

    /// Send one byte, waiting for room in the transmit FIFO.
    pub fn write_byte(&self, byte: u8) {
        while !self.regs.AUX_MU_LSR.is_set(AUX_MU_LSR::TRANSMITTER_EMPTY) {
            core::hint::spin_loop();
        }
        self.regs.AUX_MU_IO.set(byte as u32);
    }
}
