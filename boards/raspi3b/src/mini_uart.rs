//! The mini UART driver: the Pi 3's console on header pins 8 (TXD1) and
//! 10 (RXD1), and QEMU's second serial port. Its registers are in
//! [`crate::aux`].
//!
//! Transmit is polled ([`MiniUart::write_byte`], embedded-io's `Write`),
//! or fed from a buffer on the transmit interrupt
//! ([`MiniUart::enable_interrupts`], [`MiniUart::transmit_room`],
//! [`MiniUart::write_unchecked`]).
//! Receive is polled or interrupt driven: [`MiniUart::enable_receive_interrupt`]
//! raises the AUX interrupt (peripheral interrupt [`crate::irq::AUX`]) while
//! the receive FIFO holds data. The clock is the VideoCore core clock, so
//! the baud divisor is computed from its rate ([`baud_divisor`]).
//!
//! [`MiniUart::init`] keeps what the receive FIFO already holds: the
//! keys typed while the program was loading are input like any other.

use crate::aux::{
    Registers, AUX_ENABLES, AUX_IRQ, AUX_MU_BAUD_REG, AUX_MU_CNTL_REG, AUX_MU_IER_REG,
    AUX_MU_IIR_REG, AUX_MU_LCR_REG, AUX_MU_LSR_REG, AUX_MU_STAT_REG,
};
use crate::{Mmio, PhysAddr};
use core::convert::Infallible;
use tock_registers::interfaces::{Readable, Writeable};

// ANCHOR: divisor
/// The AUX_MU_BAUD_REG value for `baud` when the core clock runs at
/// `clock_hz`, rounded to the nearest divisor: the datasheet gives
/// `baud = clock / (8 * (AUX_MU_BAUD_REG + 1))`.
pub const fn baud_divisor(clock_hz: u32, baud: u32) -> u32 {
    let eight_baud = 8 * baud;
    (clock_hz + eight_baud / 2) / eight_baud - 1
}
// ANCHOR_END: divisor

/// The mask of the data bits in AUX_MU_IO_REG.
const DATA_MASK: u32 = 0xff;
/// Symbols the transmit FIFO holds ("8 symbols deep").
pub const TRANSMIT_FIFO_DEPTH: usize = 8;

/// The mini UART.
pub struct MiniUart {
    regs: Mmio<Registers>,
}

impl MiniUart {
    /// The mini UART in the AUX block at `base`.
    ///
    /// # Safety
    ///
    /// `base` must be the AUX block ([`crate::map::AUX_BASE`]), accessible
    /// as device memory.
    pub const unsafe fn new(base: PhysAddr) -> Self {
        Self {
            // SAFETY: passed on from the caller.
            regs: unsafe { Mmio::new(base) },
        }
    }

    // ANCHOR: init
    /// Set 8N1 at `baud` for a core clock of `core_clock_hz`, interrupts
    /// off. The GPIO pins are routed separately ([`crate::gpio::Gpio`]).
    ///
    /// Only the transmit FIFO is cleared (AUX_MU_IIR_REG bit 2). The
    /// receive FIFO keeps what it holds: whatever was typed before this
    /// program got here is read like anything typed later. The receiver is
    /// switched off while the line is reconfigured (AUX_MU_CNTL_REG), which
    /// stops new symbols but, as the datasheet says, leaves the FIFO alone.
    pub fn init(&self, core_clock_hz: u32, baud: u32) {
        self.regs
            .AUX_ENABLES
            .write(AUX_ENABLES::MINI_UART_ENABLE::SET);
        self.regs.AUX_MU_CNTL_REG.set(0);
        self.regs.AUX_MU_IER_REG.set(0);
        self.regs
            .AUX_MU_LCR_REG
            .write(AUX_MU_LCR_REG::DATA_SIZE::EightBit);
        self.regs.AUX_MU_MCR_REG.set(0);
        self.regs
            .AUX_MU_IIR_REG
            .write(AUX_MU_IIR_REG::CLEAR_TRANSMIT_FIFO::SET);
        self.regs
            .AUX_MU_BAUD_REG
            .write(AUX_MU_BAUD_REG::BAUDRATE.val(baud_divisor(core_clock_hz, baud)));
        self.regs.AUX_MU_CNTL_REG.write(
            AUX_MU_CNTL_REG::RECEIVER_ENABLE::SET + AUX_MU_CNTL_REG::TRANSMITTER_ENABLE::SET,
        );
    }
    // ANCHOR_END: init

    /// Raise the AUX interrupt while received bytes wait in the FIFO (with
    /// the erratum's two enable bits, which QEMU and ferrovisor ignore).
    pub fn enable_receive_interrupt(&self) {
        self.enable_interrupts(false);
    }

    /// Raise the AUX interrupt while received bytes wait in the FIFO and,
    /// if `transmit`, also while the transmit FIFO is empty (the
    /// datasheet: "the interrupt line is asserted whenever the transmit
    /// FIFO is empty"). A driver that feeds the FIFO from a buffer turns
    /// the transmit interrupt on only while the buffer holds bytes, or the
    /// line never falls.
    pub fn enable_interrupts(&self, transmit: bool) {
        self.regs.AUX_MU_IER_REG.write(
            AUX_MU_IER_REG::ENABLE_RECEIVE_INTERRUPT::SET
                + AUX_MU_IER_REG::ENABLE_TRANSMIT_INTERRUPT.val(transmit.into())
                + AUX_MU_IER_REG::ERRATUM_INTERRUPT_ENABLE.val(0b11),
        );
    }

    /// Stop raising the AUX interrupt (received bytes stay in the FIFO).
    pub fn disable_interrupts(&self) {
        self.regs.AUX_MU_IER_REG.set(0);
    }

    /// Whether the mini UART is the AUX device asking for the interrupt.
    pub fn interrupt_pending(&self) -> bool {
        self.regs.AUX_IRQ.is_set(AUX_IRQ::MINI_UART_IRQ)
    }

    // ANCHOR: io
    /// Take one received byte, if there is one.
    pub fn read_byte(&self) -> Option<u8> {
        if self.regs.AUX_MU_LSR_REG.is_set(AUX_MU_LSR_REG::DATA_READY) {
            Some((self.regs.AUX_MU_IO_REG.get() & DATA_MASK) as u8)
        } else {
            None
        }
    }

    /// Take one received byte, if there is one, and say whether the receive
    /// FIFO overflowed since the last look (AUX_MU_LSR_REG bit 1, cleared by
    /// the read).
    pub fn read_byte_checked(&self) -> (Option<u8>, bool) {
        let lsr = self.regs.AUX_MU_LSR_REG.extract();
        let overrun = lsr.is_set(AUX_MU_LSR_REG::RECEIVER_OVERRUN);
        let byte = lsr
            .is_set(AUX_MU_LSR_REG::DATA_READY)
            .then(|| (self.regs.AUX_MU_IO_REG.get() & DATA_MASK) as u8);
        (byte, overrun)
    }

    /// Whether the transmit FIFO can take a byte now.
    pub fn can_write(&self) -> bool {
        self.regs
            .AUX_MU_LSR_REG
            .is_set(AUX_MU_LSR_REG::TRANSMITTER_EMPTY)
    }

    /// How many bytes the transmit FIFO can take now, from the fill level
    /// in AUX_MU_STAT_REG: one register read for up to eight bytes.
    pub fn transmit_room(&self) -> usize {
        let level = self
            .regs
            .AUX_MU_STAT_REG
            .read(AUX_MU_STAT_REG::TRANSMIT_FIFO_FILL_LEVEL) as usize;
        TRANSMIT_FIFO_DEPTH.saturating_sub(level)
    }

    /// Put a byte in the transmit FIFO without looking: the caller knows
    /// there is room ([`Self::can_write`] or [`Self::transmit_room`] said so).
    pub fn write_unchecked(&self, byte: u8) {
        self.regs.AUX_MU_IO_REG.set(u32::from(byte));
    }

    /// Send one byte, waiting for room in the transmit FIFO.
    pub fn write_byte(&self, byte: u8) {
        while !self.can_write() {
            core::hint::spin_loop();
        }
        self.regs.AUX_MU_IO_REG.set(u32::from(byte));
    }
    // ANCHOR_END: io

    /// Send `bytes` as a terminal expects them: each `\n` as `\r\n`.
    pub fn write_crlf(&self, bytes: &[u8]) {
        for &byte in bytes {
            if byte == b'\n' {
                self.write_byte(b'\r');
            }
            self.write_byte(byte);
        }
    }

    // ANCHOR: line_status
    /// One read of AUX_MU_LSR_REG, the register bench's MMIO benchmark
    /// times: no side effect but clearing the overrun flag; natively it is a
    /// real device read, and under ferrovisor every read is a trap to the
    /// virtual UART.
    pub fn line_status(&self) -> u32 {
        self.regs.AUX_MU_LSR_REG.get()
    }
    // ANCHOR_END: line_status
}

/// A `ufmt` writer that sends `\n` as `\r\n` ([`MiniUart::write_crlf`]):
/// what a program's text output wants on a serial terminal.
pub struct Terminal<'a>(pub &'a MiniUart);

impl ufmt::uWrite for Terminal<'_> {
    type Error = Infallible;

    fn write_str(&mut self, s: &str) -> Result<(), Infallible> {
        self.0.write_crlf(s.as_bytes());
        Ok(())
    }
}

/// The mini UART never reports errors.
impl embedded_io::ErrorType for &MiniUart {
    type Error = Infallible;
}

/// Writing blocks until every byte is in the transmit FIFO; bytes go out
/// as they are.
impl embedded_io::Write for &MiniUart {
    fn write(&mut self, buf: &[u8]) -> Result<usize, Infallible> {
        for &byte in buf {
            self.write_byte(byte);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> Result<(), Infallible> {
        Ok(())
    }
}

impl embedded_io::ReadReady for &MiniUart {
    fn read_ready(&mut self) -> Result<bool, Infallible> {
        Ok(self.regs.AUX_MU_LSR_REG.is_set(AUX_MU_LSR_REG::DATA_READY))
    }
}

impl embedded_io::WriteReady for &MiniUart {
    fn write_ready(&mut self) -> Result<bool, Infallible> {
        Ok(self.can_write())
    }
}

impl embedded_io::Read for &MiniUart {
    /// Blocks until at least one byte is there, then takes what is ready.
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, Infallible> {
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

/// For `ufmt`'s `uwrite!`: bytes go out as they are.
impl ufmt::uWrite for &MiniUart {
    type Error = Infallible;

    fn write_str(&mut self, s: &str) -> Result<(), Infallible> {
        embedded_io::Write::write_all(self, s.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn divisor_for_115200_at_250_mhz() {
        // The value every Raspberry Pi tutorial uses.
        assert_eq!(baud_divisor(250_000_000, 115_200), 270);
    }

    #[test]
    fn divisor_rounds_to_nearest() {
        // 400 MHz: 400e6 / (8 * 115200) = 434.03 -> 434 - 1.
        assert_eq!(baud_divisor(400_000_000, 115_200), 433);
    }
}
