//! The mini UART (BCM2835 ARM Peripherals, chapter 2, "Auxiliaries"),
//! polled for output and for input; its receive interrupt only wakes the
//! core from WFI (hostile keeps IRQs masked at the CPU, except during the
//! interrupt storm). In AUX_MU_IER, bit 0 enables the *receive* interrupt
//! (datasheet erratum).

use crate::mmio::Mmio;
use core::convert::Infallible;
use tock_registers::interfaces::{Readable, Writeable};
use tock_registers::registers::{ReadOnly, ReadWrite};
use tock_registers::{register_bitfields, register_structs};

register_bitfields! {u32,
    /// Auxiliary enables.
    AUX_ENABLES [
        /// Mini UART enable.
        MINI_UART_ENABLE OFFSET(0) NUMBITS(1) []
    ],
    /// Mini UART Interrupt Enable (bits as corrected by the erratum).
    AUX_MU_IER [
        /// Interrupt while the receive FIFO holds data.
        ENABLE_RECEIVE_INTERRUPT OFFSET(0) NUMBITS(1) []
    ],
    /// Mini UART Line Control.
    AUX_MU_LCR [
        /// Data size.
        DATA_SIZE OFFSET(0) NUMBITS(2) [EightBit = 0b11]
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
        (0x00 => _aux_irq),
        (0x04 => AUX_ENABLES: ReadWrite<u32, AUX_ENABLES::Register>),
        (0x08 => _reserved),
        (0x40 => AUX_MU_IO: ReadWrite<u32>),
        (0x44 => AUX_MU_IER: ReadWrite<u32, AUX_MU_IER::Register>),
        (0x48 => _aux_mu_iir),
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

/// The AUX_MU_BAUD value for `baud` at a core clock of `clock_hz`.
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

    /// 8N1 at `baud` for a core clock of `core_clock_hz`; bytes typed
    /// before stay in the receive FIFO.
    pub fn init(&self, core_clock_hz: u32, baud: u32) {
        self.regs
            .AUX_ENABLES
            .write(AUX_ENABLES::MINI_UART_ENABLE::SET);
        self.regs.AUX_MU_CNTL.set(0);
        self.regs.AUX_MU_IER.set(0);
        self.regs.AUX_MU_LCR.write(AUX_MU_LCR::DATA_SIZE::EightBit);
        self.regs.AUX_MU_MCR.set(0);
        self.regs
            .AUX_MU_BAUD
            .write(AUX_MU_BAUD::BAUDRATE.val(baud_divisor(core_clock_hz, baud)));
        self.regs
            .AUX_MU_CNTL
            .write(AUX_MU_CNTL::RECEIVER_ENABLE::SET + AUX_MU_CNTL::TRANSMITTER_ENABLE::SET);
    }

    /// Raise the AUX interrupt while received bytes wait (it wakes WFI).
    pub fn enable_receive_interrupt(&self) {
        self.regs
            .AUX_MU_IER
            .write(AUX_MU_IER::ENABLE_RECEIVE_INTERRUPT::SET);
    }

    /// Never raise the AUX interrupt.
    pub fn disable_interrupts(&self) {
        self.regs.AUX_MU_IER.set(0);
    }

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

/// For `ufmt`'s `uwrite!`: `\n` goes out as `\r\n`, as a terminal expects.
impl ufmt::uWrite for &MiniUart {
    type Error = Infallible;

    fn write_str(&mut self, s: &str) -> Result<(), Infallible> {
        for byte in s.bytes() {
            if byte == b'\n' {
                self.write_byte(b'\r');
            }
            self.write_byte(byte);
        }
        Ok(())
    }
}
