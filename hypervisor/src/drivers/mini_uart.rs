//! The mini UART (BCM2835 ARM Peripherals, chapter 2, "Auxiliaries").
//!
//! It is the Pi 3's console on header pins 8 (TXD) and 10 (RXD) and QEMU's
//! second serial port. Its clock is the VideoCore core clock, so the baud
//! divisor is computed from the rate the firmware reports. Receive raises
//! the AUX interrupt; transmit is polled. Note the datasheet erratum: in
//! AUX_MU_IER bit 0 enables the *receive* interrupt.

use super::mmio::Mmio;
use tock_registers::interfaces::{Readable, Writeable};
use tock_registers::registers::{ReadOnly, ReadWrite};
use tock_registers::{register_bitfields, register_structs};

/// The console's line speed.
pub const BAUD_RATE: u32 = 115_200;

register_bitfields! {u32,
    /// Auxiliary Interrupt status.
    AUX_IRQ [
        /// The mini UART has an interrupt pending.
        MINI_UART_IRQ OFFSET(0) NUMBITS(1) []
    ],
    /// Auxiliary enables.
    AUX_ENABLES [
        /// Mini UART enable (also gives access to its registers).
        MINI_UART_ENABLE OFFSET(0) NUMBITS(1) []
    ],
    /// Mini UART Interrupt Enable (bits as corrected by the erratum).
    AUX_MU_IER [
        /// Interrupt when the receive FIFO holds data.
        ENABLE_RECEIVE_INTERRUPT OFFSET(0) NUMBITS(1) [],
        /// Interrupt when the transmit FIFO is empty.
        ENABLE_TRANSMIT_INTERRUPT OFFSET(1) NUMBITS(1) [],
        /// Documented as reserved, but the BCM2835 errata list says these
        /// two bits must be set for the UART to raise interrupts at all.
        ERRATUM_INTERRUPT_ENABLE OFFSET(2) NUMBITS(2) []
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
        /// Data size.
        DATA_SIZE OFFSET(0) NUMBITS(2) [SevenBit = 0b00, EightBit = 0b11]
    ],
    /// Mini UART Line Status.
    AUX_MU_LSR [
        /// The transmit FIFO can accept at least one byte.
        TRANSMITTER_EMPTY OFFSET(5) NUMBITS(1) [],
        /// A receive overrun happened (cleared on read).
        RECEIVER_OVERRUN OFFSET(1) NUMBITS(1) [],
        /// The receive FIFO holds at least one byte.
        DATA_READY OFFSET(0) NUMBITS(1) []
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

// ANCHOR: registers
register_structs! {
    /// The AUX register block at `AUX_BASE`.
    #[allow(non_snake_case)]
    pub Registers {
        (0x00 => AUX_IRQ: ReadOnly<u32, AUX_IRQ::Register>),
        (0x04 => AUX_ENABLES: ReadWrite<u32, AUX_ENABLES::Register>),
        (0x08 => _reserved),
        (0x40 => AUX_MU_IO: ReadWrite<u32>),
        (0x44 => AUX_MU_IER: ReadWrite<u32, AUX_MU_IER::Register>),
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
// ANCHOR_END: registers

// ANCHOR: divisor
/// The AUX_MU_BAUD value for `baud` when the core clock runs at `clock_hz`,
/// rounded to the nearest divisor.
pub const fn baud_divisor(clock_hz: u32, baud: u32) -> u32 {
    let eight_baud = 8 * baud;
    (clock_hz + eight_baud / 2) / eight_baud - 1
}
// ANCHOR_END: divisor

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
        // SAFETY: passed on from the caller.
        let regs = unsafe { Mmio::new(base) };
        Self { regs }
    }

    // ANCHOR: init
    /// Set 8N1 at [`BAUD_RATE`] for a core clock of `core_clock_hz`, with
    /// the receive interrupt on. The GPIO pins are routed separately.
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
        self.regs.AUX_MU_IER.write(
            AUX_MU_IER::ENABLE_RECEIVE_INTERRUPT::SET
                + AUX_MU_IER::ERRATUM_INTERRUPT_ENABLE.val(0b11),
        );
    }
    // ANCHOR_END: init

    // ANCHOR: io
    /// Send one byte, waiting for room in the transmit FIFO.
    pub fn write_byte(&self, byte: u8) {
        while !self.regs.AUX_MU_LSR.is_set(AUX_MU_LSR::TRANSMITTER_EMPTY) {
            core::hint::spin_loop();
        }
        self.regs.AUX_MU_IO.set(byte as u32);
    }

    /// Take one received byte, if there is one.
    pub fn read_byte(&self) -> Option<u8> {
        if self.regs.AUX_MU_LSR.is_set(AUX_MU_LSR::DATA_READY) {
            Some(self.regs.AUX_MU_IO.get() as u8)
        } else {
            None
        }
    }

    /// Take one received byte, if there is one, and say whether the receive
    /// FIFO overflowed since the last look (LSR bit 1, cleared by reading).
    pub fn read_byte_checked(&self) -> (Option<u8>, bool) {
        let lsr = self.regs.AUX_MU_LSR.extract();
        let overrun = lsr.is_set(AUX_MU_LSR::RECEIVER_OVERRUN);
        let byte = lsr
            .is_set(AUX_MU_LSR::DATA_READY)
            .then(|| self.regs.AUX_MU_IO.get() as u8);
        (byte, overrun)
    }

    /// Whether the transmit FIFO can take a byte now.
    pub fn can_write(&self) -> bool {
        self.regs.AUX_MU_LSR.is_set(AUX_MU_LSR::TRANSMITTER_EMPTY)
    }

    /// Whether the mini UART is the AUX device asking for the interrupt.
    pub fn interrupt_pending(&self) -> bool {
        self.regs.AUX_IRQ.is_set(AUX_IRQ::MINI_UART_IRQ)
    }
    // ANCHOR_END: io
}

/// The mini UART never reports errors.
impl embedded_io::ErrorType for MiniUart {
    type Error = core::convert::Infallible;
}

impl embedded_io::Write for MiniUart {
    fn write(&mut self, buf: &[u8]) -> Result<usize, Self::Error> {
        for &b in buf {
            self.write_byte(b);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> Result<(), Self::Error> {
        Ok(())
    }
}

impl embedded_io::ReadReady for MiniUart {
    fn read_ready(&mut self) -> Result<bool, Self::Error> {
        Ok(self.regs.AUX_MU_LSR.is_set(AUX_MU_LSR::DATA_READY))
    }
}

impl embedded_io::Read for MiniUart {
    /// Blocks until at least one byte is there, then takes what is ready.
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, Self::Error> {
        let mut n = 0;
        while n < buf.len() {
            match self.read_byte() {
                Some(b) => {
                    buf[n] = b;
                    n += 1;
                }
                None if n > 0 => break,
                None => core::hint::spin_loop(),
            }
        }
        Ok(n)
    }
}
