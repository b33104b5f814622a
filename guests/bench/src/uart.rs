//! The mini UART (BCM2835 ARM Peripherals, chapter 2): bench's console,
//! and the device its MMIO benchmark reads.
//!
//! Transmit is polled. Receive raises the AUX interrupt while bench waits
//! at its menu, so an idle bench sleeps in WFI; during a benchmark the
//! interrupt is off and keys wait in the FIFO. (Datasheet erratum: in
//! AUX_MU_IER, bit 0 enables the *receive* interrupt.)

use crate::mmio::Mmio;
use tock_registers::interfaces::{Readable, Writeable};
use tock_registers::registers::{ReadOnly, ReadWrite};
use tock_registers::{register_bitfields, register_structs};

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
        /// Interrupt while the receive FIFO holds data.
        ENABLE_RECEIVE_INTERRUPT OFFSET(0) NUMBITS(1) []
    ],
    /// Mini UART Interrupt Identify (on write: FIFO clear).
    AUX_MU_IIR [
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

register_structs! {
    /// The AUX register block.
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

/// The AUX_MU_BAUD divisor for `baud` at a core clock of `clock_hz`.
const fn baud_divisor(clock_hz: u32, baud: u32) -> u32 {
    let eight_baud = 8 * baud;
    (clock_hz + eight_baud / 2) / eight_baud - 1
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
    /// `base` must be the AUX block.
    pub const unsafe fn new(base: usize) -> Self {
        Self {
            // SAFETY: passed on from the caller.
            regs: unsafe { Mmio::new(base) },
        }
    }

    /// Set 8N1 at `baud` for a core clock of `core_clock_hz`, interrupts
    /// off; bytes already received stay in the FIFO.
    pub fn init(&self, core_clock_hz: u32, baud: u32) {
        self.regs
            .AUX_ENABLES
            .write(AUX_ENABLES::MINI_UART_ENABLE::SET);
        self.regs.AUX_MU_CNTL.set(0);
        self.regs.AUX_MU_IER.set(0);
        self.regs.AUX_MU_LCR.write(AUX_MU_LCR::DATA_SIZE::EightBit);
        self.regs.AUX_MU_MCR.set(0);
        self.regs
            .AUX_MU_IIR
            .write(AUX_MU_IIR::CLEAR_TRANSMIT_FIFO::SET);
        self.regs
            .AUX_MU_BAUD
            .write(AUX_MU_BAUD::BAUDRATE.val(baud_divisor(core_clock_hz, baud)));
        self.regs
            .AUX_MU_CNTL
            .write(AUX_MU_CNTL::RECEIVER_ENABLE::SET + AUX_MU_CNTL::TRANSMITTER_ENABLE::SET);
    }

    /// Raise the AUX interrupt while received bytes wait in the FIFO.
    pub fn enable_receive_interrupt(&self) {
        self.regs
            .AUX_MU_IER
            .write(AUX_MU_IER::ENABLE_RECEIVE_INTERRUPT::SET);
    }

    /// Stop raising the AUX interrupt (received bytes stay in the FIFO).
    pub fn disable_receive_interrupt(&self) {
        self.regs.AUX_MU_IER.set(0);
    }

    /// Whether the mini UART is the AUX device asking for the interrupt.
    pub fn interrupt_pending(&self) -> bool {
        self.regs.AUX_IRQ.is_set(AUX_IRQ::MINI_UART_IRQ)
    }

    // ANCHOR: line_status
    /// One read of AUX_MU_LSR, the register the MMIO benchmark times: it
    /// has no side effect, natively it is a real device read, and under
    /// ferrovisor every read is a trap to the virtual UART.
    pub fn line_status(&self) -> u32 {
        self.regs.AUX_MU_LSR.get()
    }
    // ANCHOR_END: line_status

    /// Take one received byte, if there is one.
    pub fn read_byte(&self) -> Option<u8> {
        if self.regs.AUX_MU_LSR.is_set(AUX_MU_LSR::DATA_READY) {
            Some(self.regs.AUX_MU_IO.get() as u8)
        } else {
            None
        }
    }

    /// Send one byte, waiting for room in the transmit FIFO.
    pub fn write_byte(&self, byte: u8) {
        while !self.regs.AUX_MU_LSR.is_set(AUX_MU_LSR::TRANSMITTER_EMPTY) {
            core::hint::spin_loop();
        }
        self.regs.AUX_MU_IO.set(u32::from(byte));
    }
}

/// For `ufmt`'s `uwrite!`: every byte goes out, `\n` as `\r\n`.
impl ufmt::uWrite for &MiniUart {
    type Error = core::convert::Infallible;

    fn write_str(&mut self, s: &str) -> Result<(), Self::Error> {
        for byte in s.bytes() {
            if byte == b'\n' {
                self.write_byte(b'\r');
            }
            self.write_byte(byte);
        }
        Ok(())
    }
}
