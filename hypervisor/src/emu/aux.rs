//! The auxiliary peripherals (BCM2835 ARM Peripherals, chapter 2): the mini
//! UART, which is the guest's console, and the two SPI masters, which have
//! nothing attached.
//!
//! Transmit: a byte written to AUX_MU_IO_REG goes straight to the VM's
//! console ([`VmEnv::console_write`]), so the transmit FIFO is empty and
//! the transmitter idle whenever the console has room for the VM's output
//! ([`VmEnv::console_room`]). While it has none (the VM has the focus and
//! the console's transmit ring is above its high-water mark), the
//! transmitter reads busy as a real one with a full FIFO does:
//! AUX_MU_LSR_REG's transmitter empty and idle bits clear, AUX_MU_STAT_REG
//! with no space available and a full transmit FIFO, and no transmit
//! interrupt; a guest that waits for them loses nothing. A disabled
//! transmitter (AUX_MU_CNTL_REG bit 1 clear) still delivers the byte, as
//! QEMU does: a guest that forgot to enable it should still be heard.
//!
//! Receive: the 8-symbol receive FIFO is filled from the VM's input queue
//! ([`VmEnv::console_read`]) as the guest reads the UART, never beyond what
//! it holds, so no byte is ever lost and the receiver never overruns. While
//! the receiver is disabled (AUX_MU_CNTL_REG bit 0 clear) nothing is taken
//! from the queue. Data is ready when the FIFO holds a byte or the queue
//! has one waiting.
//!
//! Interrupt: with the datasheet erratum applied, AUX_MU_IER_REG bit 0
//! enables the receive interrupt (pending while data is ready) and bit 1
//! the transmit interrupt (pending while the transmitter reads empty; a
//! guest asleep until it rises is woken to look again as often as the
//! physical transmit FIFO empties, [`Aux::transmit_deadline`]);
//! AUX_MU_IIR_REG names the receive interrupt first. The mini
//! UART's interrupt is AUX_IRQ bit 0 and peripheral interrupt 29 (AUX) of
//! the BCM2835 controller. (The erratum's claim that IER bits 3:2 must be
//! set for interrupts to work is not modelled.)
//!
//! Enables: AUX_ENABLES bit 0 gates the mini UART ("if the enable bits are
//! clear you will have no access to a peripheral"): while it is clear its
//! registers read 0, ignore writes and it raises no interrupt. Bits 1 and 2
//! do the same for SPI1 and SPI2. At power-on the mini UART is enabled and
//! set up as the firmware leaves it with `enable_uart=1`: 8 bits
//! (AUX_MU_LCR_REG = 3, the erratum's value), receiver and transmitter on,
//! AUX_MU_BAUD_REG for 115200 baud from a 250 MHz core clock.
//!
//! In 7-bit mode (AUX_MU_LCR_REG bits 1:0 not 0b11) the top bit of each
//! byte is dropped on transmit and receive, as on the wire. With DLAB
//! (AUX_MU_LCR_REG bit 7) set, AUX_MU_IO_REG and AUX_MU_IER_REG access the
//! low and high bytes of the baud rate register. AUX_MU_MSR_REG reports CTS
//! asserted (the other end is always ready); AUX_MU_STAT_REG reads like
//! QEMU's (idle, space available, the receive fill level in bits 19:16).
//!
//! SPI1 and SPI2 (named AUX_SPI0 and AUX_SPI1 in the datasheet's register
//! table) are register files with nothing on the bus: CNTL0/CNTL1 keep what
//! is written, STAT says idle with both FIFOs empty, IO/PEEK/TXHOLD read 0
//! and drop writes. Their offsets are the corrected ones Linux uses (PEEK
//! at 0x0C, IO at 0x20, TXHOLD at 0x30 of each block).

use super::{register_offsets, Device, Reg, VmEnv, RESERVED};
use crate::board::{AUX_BASE, DEFAULT_CORE_CLOCK_HZ};
use crate::drivers::mini_uart::{baud_divisor, BAUD_RATE};
use core::mem::offset_of;
use raspi3b::aux::{
    Registers as AuxRegisters, AUX_ENABLES, AUX_IRQ, AUX_MU_CNTL_REG, AUX_MU_IER_REG,
    AUX_MU_IIR_REG, AUX_MU_LCR_REG, AUX_MU_LSR_REG, AUX_MU_MCR_REG, AUX_MU_MSR_REG,
    AUX_MU_STAT_REG, AUX_SPI_STAT_REG,
};

/// The AUX registers (bus address 0x7E21_5000).
pub const BASE: u64 = AUX_BASE.as_u64();
/// Bytes of registers: AUX_IRQ to the end of SPI2.
pub const SIZE: u64 = 0x100;
/// 32-bit registers in [`SIZE`]: the words of [`Aux::shadow`].
pub const SHADOW_WORDS: usize = (SIZE / 4) as usize;

register_offsets! {
    /// Auxiliary Interrupt status.
    AUX_IRQ = offset_of!(AuxRegisters, AUX_IRQ) as u32,
    /// Auxiliary enables.
    AUX_ENABLES = offset_of!(AuxRegisters, AUX_ENABLES) as u32,
    /// Mini Uart I/O Data.
    AUX_MU_IO_REG = offset_of!(AuxRegisters, AUX_MU_IO_REG) as u32,
    /// Mini Uart Interrupt Enable.
    AUX_MU_IER_REG = offset_of!(AuxRegisters, AUX_MU_IER_REG) as u32,
    /// Mini Uart Interrupt Identify.
    AUX_MU_IIR_REG = offset_of!(AuxRegisters, AUX_MU_IIR_REG) as u32,
    /// Mini Uart Line Control.
    AUX_MU_LCR_REG = offset_of!(AuxRegisters, AUX_MU_LCR_REG) as u32,
    /// Mini Uart Modem Control.
    AUX_MU_MCR_REG = offset_of!(AuxRegisters, AUX_MU_MCR_REG) as u32,
    /// Mini Uart Line Status.
    AUX_MU_LSR_REG = offset_of!(AuxRegisters, AUX_MU_LSR_REG) as u32,
    /// Mini Uart Modem Status.
    AUX_MU_MSR_REG = offset_of!(AuxRegisters, AUX_MU_MSR_REG) as u32,
    /// Mini Uart Scratch.
    AUX_MU_SCRATCH = offset_of!(AuxRegisters, AUX_MU_SCRATCH) as u32,
    /// Mini Uart Extra Control.
    AUX_MU_CNTL_REG = offset_of!(AuxRegisters, AUX_MU_CNTL_REG) as u32,
    /// Mini Uart Extra Status.
    AUX_MU_STAT_REG = offset_of!(AuxRegisters, AUX_MU_STAT_REG) as u32,
    /// Mini Uart Baudrate.
    AUX_MU_BAUD_REG = offset_of!(AuxRegisters, AUX_MU_BAUD_REG) as u32,
}

/// Whether `offset` is one of the registers a console driver uses for
/// every byte (data, line status, extra status, and the two an interrupt
/// handler reads to learn why: AUX_IRQ and AUX_MU_IIR_REG): the ones the
/// trap fast path may serve.
pub fn is_console_register(offset: u32) -> bool {
    matches!(
        offset,
        AUX_IRQ | AUX_MU_IO_REG | AUX_MU_IIR_REG | AUX_MU_LSR_REG | AUX_MU_STAT_REG
    )
}

impl Aux {
    /// Whether an access to console register `offset` may change the mini
    /// UART's interrupt output: a read of AUX_MU_IO_REG (it takes a byte),
    /// a write to anything but the read-only registers, or a byte sent
    /// while the transmit interrupt is enabled (it may fill the console, so
    /// the transmitter reads busy). A status read cannot.
    pub fn may_change_interrupt(&self, offset: u32, write: bool) -> bool {
        if write {
            !self.write_changes_nothing(offset)
                || (offset == AUX_MU_IO_REG
                    && AUX_MU_IER_REG::ENABLE_TRANSMIT_INTERRUPT.is_set(self.ier))
        } else {
            offset == AUX_MU_IO_REG && !self.dlab()
        }
    }

    /// Whether a write to `offset` leaves every register reading as it
    /// did: a transmitted byte (but for the console's room, which
    /// [`Self::shadow_stale`] watches on its own), or a write to a
    /// read-only register.
    fn write_changes_nothing(&self, offset: u32) -> bool {
        matches!(
            offset,
            AUX_IRQ | AUX_MU_LSR_REG | AUX_MU_MSR_REG | AUX_MU_STAT_REG
        ) || (offset == AUX_MU_IO_REG && !self.dlab())
    }

    /// A word access to one of the [console registers](is_console_register),
    /// exactly as [`Device::read`] / [`Device::write`] do it but without
    /// naming the register (the trap fast path does not trace): what a read
    /// returns, or what was written. `None` for any other offset.
    pub fn console_access(
        &mut self,
        offset: u32,
        write: Option<u32>,
        env: &mut dyn VmEnv,
    ) -> Option<u32> {
        if !is_console_register(offset) {
            return None;
        }
        if offset == AUX_IRQ {
            // Read-only; a write is ignored.
            let pending = AUX_IRQ::MINI_UART_IRQ.val(self.interrupt(env).into()).value;
            return Some(write.unwrap_or(pending));
        }
        if !self.mini_uart_enabled() {
            // Disabled: reads as 0, writes ignored.
            return Some(write.unwrap_or(0));
        }
        Some(match write {
            Some(value) => {
                self.write_mini_uart(offset, value, env);
                value
            }
            None => self.read_mini_uart(offset, env),
        })
    }
}

/// The first mini UART register.
const MINI_UART_FIRST: u32 = AUX_MU_IO_REG;
/// One past the last mini UART register.
const MINI_UART_END: u32 = AUX_MU_BAUD_REG + 4;
/// The SPI1 block (AUX_SPI0_* in the datasheet).
const SPI1_BLOCK: u32 = raspi3b::aux::SPI1_BLOCK as u32;
/// The SPI2 block (AUX_SPI1_*).
const SPI2_BLOCK: u32 = raspi3b::aux::SPI2_BLOCK as u32;
/// Bytes of one SPI block.
const SPI_BLOCK_BYTES: u32 = raspi3b::aux::SPI_BLOCK_BYTES as u32;
/// SPI Control register 0, in a block.
const SPI_CNTL0: u32 = 0x00;
/// SPI Control register 1.
const SPI_CNTL1: u32 = 0x04;
/// SPI Status.
const SPI_STAT: u32 = 0x08;
/// SPI Peek.
const SPI_PEEK: u32 = 0x0c;
/// SPI Data, four aliases.
const SPI_IO: u32 = 0x20;
/// SPI Data keeping CS asserted, four aliases.
const SPI_TXHOLD: u32 = 0x30;
/// Bytes of the IO and TXHOLD alias ranges.
const SPI_ALIASES_BYTES: u32 = 0x10;

/// Register names of each SPI block: CNTL0, CNTL1, STAT, PEEK, IO, TXHOLD.
const SPI_NAMES: [[&str; 6]; 2] = [
    [
        "AUX_SPI0_CNTL0_REG",
        "AUX_SPI0_CNTL1_REG",
        "AUX_SPI0_STAT_REG",
        "AUX_SPI0_PEEK_REG",
        "AUX_SPI0_IO_REG",
        "AUX_SPI0_TXHOLD_REG",
    ],
    [
        "AUX_SPI1_CNTL0_REG",
        "AUX_SPI1_CNTL1_REG",
        "AUX_SPI1_STAT_REG",
        "AUX_SPI1_PEEK_REG",
        "AUX_SPI1_IO_REG",
        "AUX_SPI1_TXHOLD_REG",
    ],
];

/// Symbols the receive FIFO holds.
pub const RX_FIFO_DEPTH: usize = raspi3b::aux::FIFO_DEPTH;
/// Symbols the transmit FIFO holds: its fill level while it reads busy.
const TX_FIFO_DEPTH: usize = raspi3b::aux::FIFO_DEPTH;
/// Bits on the wire per symbol at 8N1: a start bit, 8 data bits, a stop bit.
const BITS_PER_SYMBOL: u64 = 10;
/// Microseconds per second.
const MICROS_PER_SECOND: u64 = 1_000_000;
/// How long the physical transmit FIFO takes to empty at [`BAUD_RATE`]
/// (694 us at 115200 baud): how often a busy transmitter with its
/// interrupt enabled is looked at again ([`Aux::transmit_deadline`]).
const TX_FIFO_DRAIN_MICROS: u64 =
    TX_FIFO_DEPTH as u64 * BITS_PER_SYMBOL * MICROS_PER_SECOND / BAUD_RATE as u64;
/// The bits of an 8-bit register (LCR, SCRATCH, CNTL, the baud rate bytes).
const BYTE_MASK: u32 = 0xff;
/// The bits of a 7-bit symbol.
const SEVEN_BIT_MASK: u8 = 0x7f;
/// The bits of the baud rate register.
const BAUD_MASK: u32 = 0xffff;
/// Bits in a byte, for the DLAB halves of the baud rate.
const BITS_PER_BYTE: u32 = 8;
/// The bits of AUX_ENABLES.
const ENABLES_MASK: u32 = 0b111;

/// The receive FIFO.
struct RxFifo {
    bytes: [u8; RX_FIFO_DEPTH],
    head: usize,
    len: usize,
}

impl RxFifo {
    const fn new() -> Self {
        Self {
            bytes: [0; RX_FIFO_DEPTH],
            head: 0,
            len: 0,
        }
    }

    fn push(&mut self, byte: u8) {
        if self.len < RX_FIFO_DEPTH {
            self.bytes[(self.head + self.len) % RX_FIFO_DEPTH] = byte;
            self.len += 1;
        }
    }

    fn pop(&mut self) -> Option<u8> {
        if self.len == 0 {
            return None;
        }
        let byte = self.bytes[self.head];
        self.head = (self.head + 1) % RX_FIFO_DEPTH;
        self.len -= 1;
        Some(byte)
    }
}

/// One SPI master's control registers.
#[derive(Clone, Copy)]
struct Spi {
    cntl0: u32,
    cntl1: u32,
}

/// The AUX block: mini UART, SPI1, SPI2.
pub struct Aux {
    enables: u32,
    ier: u32,
    lcr: u32,
    mcr: u32,
    scratch: u32,
    cntl: u32,
    baud: u32,
    rx: RxFifo,
    spi: [Spi; 2],
    /// Whether a register may read differently since [`Aux::shadow`] last
    /// gave the registers' values.
    shadow_stale: bool,
    /// Whether the console had room when [`Aux::shadow`] last gave them.
    shadow_room: bool,
}

impl Aux {
    /// The AUX block as the firmware leaves it (`enable_uart=1`).
    pub const fn new() -> Self {
        Self {
            enables: AUX_ENABLES::MINI_UART_ENABLE::SET.value,
            ier: 0,
            lcr: AUX_MU_LCR_REG::DATA_SIZE::EightBit.value,
            mcr: 0,
            scratch: 0,
            cntl: AUX_MU_CNTL_REG::RECEIVER_ENABLE::SET.value
                | AUX_MU_CNTL_REG::TRANSMITTER_ENABLE::SET.value,
            baud: baud_divisor(DEFAULT_CORE_CLOCK_HZ, BAUD_RATE),
            rx: RxFifo::new(),
            spi: [Spi { cntl0: 0, cntl1: 0 }; 2],
            shadow_stale: true,
            shadow_room: true,
        }
    }

    // ANCHOR: shadow
    /// What every register of the block reads now, word by word from
    /// AUX_IRQ, if no read has a side effect: none while no received byte
    /// is ready (in the FIFO, or waiting to enter it), since only a read of
    /// AUX_MU_IO_REG changes anything, by taking a byte. `None` otherwise.
    /// The trap fast path's shadow page holds these words, mapped
    /// read-only in place of the block, so that a guest polling the status
    /// registers does not trap; the reads here are the ones it would make.
    pub fn shadow(&mut self, env: &mut dyn VmEnv) -> Option<[u32; SHADOW_WORDS]> {
        if self.data_ready(env) {
            return None;
        }
        // Keys for this VM are queued by the shell on core 0 while the VM's
        // own core computes this: the words are those of a UART with
        // nothing received, whatever arrives meanwhile (a shadow that said
        // "data ready" would hand the guest the same byte at every read of
        // AUX_MU_IO_REG, since the page cannot take it). A byte that came
        // is found by the check below, or by the next look after the IPI
        // that announced it; until then the guest sees an empty receiver.
        let mut words = [0; SHADOW_WORDS];
        {
            let mut quiet = NothingReceived(env);
            for (offset, word) in (0u32..).step_by(4).zip(words.iter_mut()) {
                *word = self.value(offset, &mut quiet);
            }
        }
        if self.data_ready(env) {
            return None;
        }
        self.shadow_stale = false;
        self.shadow_room = env.console_room();
        Some(words)
    }

    /// Whether no read has a side effect now, so [`Self::shadow`] would
    /// give the registers' values.
    pub fn shadow_possible(&self, env: &dyn VmEnv) -> bool {
        !self.data_ready(env)
    }

    /// Whether a register may read differently since [`Self::shadow`] was
    /// last asked: after any write but a transmitted byte or one to a
    /// read-only register, or when the console's room changed (the
    /// transmitter reads busy or ready). Received bytes do not count: the
    /// shadow stands in only while none is ready, and with the FIFO empty
    /// again every register reads as it did before they came.
    pub fn shadow_stale(&self, env: &dyn VmEnv) -> bool {
        self.shadow_stale || self.shadow_room != env.console_room()
    }
    // ANCHOR_END: shadow

    fn mini_uart_enabled(&self) -> bool {
        AUX_ENABLES::MINI_UART_ENABLE.is_set(self.enables)
    }

    fn receiver_enabled(&self) -> bool {
        AUX_MU_CNTL_REG::RECEIVER_ENABLE.is_set(self.cntl)
    }

    fn dlab(&self) -> bool {
        AUX_MU_LCR_REG::DLAB_ACCESS.is_set(self.lcr)
    }

    /// The bits of a symbol in the current data size.
    fn symbol_mask(&self) -> u8 {
        if AUX_MU_LCR_REG::DATA_SIZE::EightBit.matches_all(self.lcr) {
            u8::MAX
        } else {
            SEVEN_BIT_MASK
        }
    }

    // ANCHOR: receive
    /// Top the receive FIFO up from the VM's input queue.
    fn refill(&mut self, env: &mut dyn VmEnv) {
        while self.receiver_enabled() && self.rx.len < RX_FIFO_DEPTH {
            match env.console_read() {
                Some(byte) => self.rx.push(byte),
                None => break,
            }
        }
    }

    /// Whether a received byte is ready (in the FIFO, or waiting to enter it).
    fn data_ready(&self, env: &dyn VmEnv) -> bool {
        self.rx.len > 0 || (self.receiver_enabled() && env.console_pending() > 0)
    }

    /// The mini UART's interrupt: AUX_IRQ bit 0, peripheral IRQ 29.
    pub fn interrupt(&self, env: &dyn VmEnv) -> bool {
        let rx = AUX_MU_IER_REG::ENABLE_RECEIVE_INTERRUPT.is_set(self.ier) && self.data_ready(env);
        let tx = AUX_MU_IER_REG::ENABLE_TRANSMIT_INTERRUPT.is_set(self.ier) && env.console_room();
        self.mini_uart_enabled() && (rx || tx)
    }

    /// While the transmitter reads busy with its interrupt enabled: when to
    /// look again whether it still does (virtual counter). Its interrupt
    /// rises when the console has room again, which nothing announces to
    /// the VM, so a guest asleep until then is woken to look, once per
    /// [`TX_FIFO_DRAIN_MICROS`] (the physical FIFO empties as often).
    pub fn transmit_deadline(&self, env: &dyn VmEnv) -> Option<u64> {
        let waits = self.mini_uart_enabled()
            && AUX_MU_IER_REG::ENABLE_TRANSMIT_INTERRUPT.is_set(self.ier)
            && !env.console_room();
        waits.then(|| {
            let drain =
                super::units_to_ticks(TX_FIFO_DRAIN_MICROS, env.counter_freq(), MICROS_PER_SECOND);
            env.counter().saturating_add(drain)
        })
    }

    /// AUX_MU_IIR_REG: the receive interrupt first, then the transmit one.
    fn iir(&self, env: &dyn VmEnv) -> u32 {
        use AUX_MU_IIR_REG::{FIFO_ENABLES, INTERRUPT_ID, INTERRUPT_PENDING};
        let id = if AUX_MU_IER_REG::ENABLE_RECEIVE_INTERRUPT.is_set(self.ier)
            && self.data_ready(env)
        {
            INTERRUPT_ID::ReceiverHoldsValidByte
        } else if AUX_MU_IER_REG::ENABLE_TRANSMIT_INTERRUPT.is_set(self.ier) && env.console_room() {
            INTERRUPT_ID::TransmitHoldingRegisterEmpty
        } else {
            INTERRUPT_ID::NoInterrupts + INTERRUPT_PENDING::SET
        };
        (FIFO_ENABLES.val(FIFO_ENABLES.mask) + id).value
    }
    // ANCHOR_END: receive

    // ANCHOR: mini_uart
    /// Read a mini UART register.
    fn read_mini_uart(&mut self, offset: u32, env: &mut dyn VmEnv) -> u32 {
        self.refill(env);
        match offset {
            AUX_MU_IO_REG if self.dlab() => self.baud & BYTE_MASK,
            AUX_MU_IO_REG => {
                let byte = self.rx.pop().unwrap_or(0) & self.symbol_mask();
                self.refill(env);
                u32::from(byte)
            }
            AUX_MU_IER_REG if self.dlab() => (self.baud >> BITS_PER_BYTE) & BYTE_MASK,
            AUX_MU_IER_REG => self.ier,
            AUX_MU_IIR_REG => self.iir(env),
            AUX_MU_LCR_REG => self.lcr,
            AUX_MU_MCR_REG => self.mcr,
            // ANCHOR: busy
            AUX_MU_LSR_REG => {
                use AUX_MU_LSR_REG::{DATA_READY, TRANSMITTER_EMPTY, TRANSMITTER_IDLE};
                let ready = env.console_room().into();
                (DATA_READY.val((self.rx.len > 0).into())
                    + TRANSMITTER_EMPTY.val(ready)
                    + TRANSMITTER_IDLE.val(ready))
                .value
            }
            AUX_MU_MSR_REG => AUX_MU_MSR_REG::CTS_STATUS::SET.value,
            AUX_MU_SCRATCH => self.scratch,
            AUX_MU_CNTL_REG => self.cntl,
            AUX_MU_STAT_REG => {
                use AUX_MU_STAT_REG::*;
                let room = env.console_room();
                let ready = room.into();
                let fill = if room { 0 } else { TX_FIFO_DEPTH as u32 };
                (SYMBOL_AVAILABLE.val((self.rx.len > 0).into())
                    + SPACE_AVAILABLE.val(ready)
                    + RECEIVER_IS_IDLE::SET
                    + TRANSMITTER_IS_IDLE.val(ready)
                    + TRANSMIT_FIFO_IS_EMPTY.val(ready)
                    + TRANSMITTER_DONE.val(ready)
                    + RECEIVE_FIFO_FILL_LEVEL.val(self.rx.len as u32)
                    + TRANSMIT_FIFO_FILL_LEVEL.val(fill))
                .value
            }
            // ANCHOR_END: busy
            AUX_MU_BAUD_REG => self.baud,
            _ => 0,
        }
    }

    /// Write a mini UART register.
    fn write_mini_uart(&mut self, offset: u32, value: u32, env: &mut dyn VmEnv) {
        self.shadow_stale |= !self.write_changes_nothing(offset);
        match offset {
            AUX_MU_IO_REG if self.dlab() => {
                self.baud = (self.baud & !BYTE_MASK) | (value & BYTE_MASK);
            }
            AUX_MU_IO_REG => env.console_write(value as u8 & self.symbol_mask()),
            AUX_MU_IER_REG if self.dlab() => {
                let high = (value & BYTE_MASK) << BITS_PER_BYTE;
                self.baud = (self.baud & BYTE_MASK) | high;
            }
            AUX_MU_IER_REG => {
                use AUX_MU_IER_REG::{ENABLE_RECEIVE_INTERRUPT, ENABLE_TRANSMIT_INTERRUPT};
                self.ier =
                    value & (ENABLE_RECEIVE_INTERRUPT::SET + ENABLE_TRANSMIT_INTERRUPT::SET).value;
            }
            // Clearing the transmit FIFO does nothing: it is always empty.
            AUX_MU_IIR_REG if AUX_MU_IIR_REG::CLEAR_RECEIVE_FIFO.is_set(value) => {
                self.rx = RxFifo::new();
            }
            AUX_MU_LCR_REG => self.lcr = value & BYTE_MASK,
            AUX_MU_MCR_REG => self.mcr = value & AUX_MU_MCR_REG::RTS::SET.value,
            AUX_MU_SCRATCH => self.scratch = value & BYTE_MASK,
            AUX_MU_CNTL_REG => self.cntl = value & BYTE_MASK,
            AUX_MU_BAUD_REG => self.baud = value & BAUD_MASK,
            // LSR, MSR and STAT are read-only.
            _ => {}
        }
    }
    // ANCHOR_END: mini_uart
}

impl Default for Aux {
    fn default() -> Self {
        Self::new()
    }
}

/// Which SPI block (0 = SPI1, 1 = SPI2) and register index `offset` falls
/// in, if any.
fn spi_register(offset: u32) -> Option<(usize, usize)> {
    let block = match offset {
        SPI1_BLOCK..SPI2_BLOCK => 0,
        SPI2_BLOCK.. if offset - SPI2_BLOCK < SPI_BLOCK_BYTES => 1,
        _ => return None,
    };
    let register = match offset - if block == 0 { SPI1_BLOCK } else { SPI2_BLOCK } {
        SPI_CNTL0 => 0,
        SPI_CNTL1 => 1,
        SPI_STAT => 2,
        SPI_PEEK => 3,
        r if (SPI_IO..SPI_IO + SPI_ALIASES_BYTES).contains(&r) => 4,
        r if (SPI_TXHOLD..SPI_TXHOLD + SPI_ALIASES_BYTES).contains(&r) => 5,
        _ => return None,
    };
    Some((block, register))
}

/// SPI register indices in [`SPI_NAMES`].
const SPI_INDEX_CNTL0: usize = 0;
const SPI_INDEX_CNTL1: usize = 1;
const SPI_INDEX_STAT: usize = 2;

/// The name of any AUX offset.
fn name(offset: u32) -> &'static str {
    match spi_register(offset) {
        Some((block, register)) => SPI_NAMES[block][register],
        None if (SPI1_BLOCK..SPI2_BLOCK + SPI_BLOCK_BYTES).contains(&offset) => RESERVED,
        None => register_name(offset),
    }
}

/// The AUX_ENABLES bit of SPI block 0 (SPI1) or 1 (SPI2).
fn spi_enable(block: usize) -> u32 {
    if block == 0 {
        AUX_ENABLES::SPI1_ENABLE::SET.value
    } else {
        AUX_ENABLES::SPI2_ENABLE::SET.value
    }
}

impl Aux {
    /// What a read of `offset` returns ([`Device::read`] without the
    /// register's name, which the shadow does not need).
    fn value(&mut self, offset: u32, env: &mut dyn VmEnv) -> u32 {
        match offset {
            AUX_IRQ => AUX_IRQ::MINI_UART_IRQ.val(self.interrupt(env).into()).value,
            AUX_ENABLES => self.enables,
            MINI_UART_FIRST..MINI_UART_END if self.mini_uart_enabled() => {
                self.read_mini_uart(offset, env)
            }
            _ => match spi_register(offset) {
                Some((block, register)) if self.enables & spi_enable(block) != 0 => {
                    let spi = &self.spi[block];
                    match register {
                        SPI_INDEX_CNTL0 => spi.cntl0,
                        SPI_INDEX_CNTL1 => spi.cntl1,
                        SPI_INDEX_STAT => {
                            (AUX_SPI_STAT_REG::RX_EMPTY::SET + AUX_SPI_STAT_REG::TX_EMPTY::SET)
                                .value
                        }
                        _ => 0,
                    }
                }
                _ => 0,
            },
        }
    }
}

// ANCHOR: access
impl Device for Aux {
    fn read(&mut self, offset: u32, env: &mut dyn VmEnv) -> Reg {
        Reg {
            name: name(offset),
            value: self.value(offset, env),
        }
    }

    fn write(&mut self, offset: u32, value: u32, env: &mut dyn VmEnv) -> &'static str {
        if !(MINI_UART_FIRST..MINI_UART_END).contains(&offset) {
            // (`write_mini_uart` decides for its own registers.)
            self.shadow_stale = true;
        }
        match offset {
            AUX_ENABLES => self.enables = value & ENABLES_MASK,
            MINI_UART_FIRST..MINI_UART_END if self.mini_uart_enabled() => {
                self.write_mini_uart(offset, value, env);
            }
            _ => {
                if let Some((block, register)) = spi_register(offset) {
                    if self.enables & spi_enable(block) != 0 {
                        match register {
                            SPI_INDEX_CNTL0 => self.spi[block].cntl0 = value,
                            SPI_INDEX_CNTL1 => self.spi[block].cntl1 = value & BYTE_MASK,
                            // Nothing is on the bus: data goes nowhere.
                            _ => {}
                        }
                    }
                }
            }
        }
        name(offset)
    }
}
// ANCHOR_END: access

/// A guest's environment in which nothing has been received: what the
/// console shadow's words are computed against ([`Aux::shadow`]).
struct NothingReceived<'a>(&'a mut dyn VmEnv);

impl VmEnv for NothingReceived<'_> {
    fn counter(&self) -> u64 {
        self.0.counter()
    }

    fn counter_freq(&self) -> u64 {
        self.0.counter_freq()
    }

    fn ram_bytes(&self) -> u64 {
        self.0.ram_bytes()
    }

    fn read_guest_u32(&self, ipa: u64) -> Option<u32> {
        self.0.read_guest_u32(ipa)
    }

    fn write_guest_u32(&mut self, ipa: u64, value: u32) -> bool {
        self.0.write_guest_u32(ipa, value)
    }

    fn console_write(&mut self, byte: u8) {
        self.0.console_write(byte);
    }

    fn console_room(&self) -> bool {
        self.0.console_room()
    }

    fn console_read(&mut self) -> Option<u8> {
        None
    }

    fn console_pending(&self) -> usize {
        0
    }

    fn virtual_timer_irq(&self) -> bool {
        self.0.virtual_timer_irq()
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_env::{exercise, op_strategy, FakeEnv};
    use super::*;
    use proptest::prelude::*;

    const DATA_READY: u32 = 1 << 0;
    const TX_EMPTY_AND_IDLE: u32 = 0b11 << 5;
    const RX_INTERRUPT: u32 = 1 << 0;
    const TX_INTERRUPT: u32 = 1 << 1;
    const DLAB: u32 = 1 << 7;

    fn read(a: &mut Aux, env: &mut FakeEnv, offset: u32) -> u32 {
        a.read(offset, env).value
    }

    // ANCHOR: shadow_tests
    #[test]
    fn the_shadow_is_what_each_register_reads_and_changes_nothing() {
        let mut a = Aux::new();
        let mut env = FakeEnv::new();
        a.write(AUX_MU_IER_REG, TX_INTERRUPT, &mut env);
        a.write(AUX_MU_SCRATCH, 0x5a, &mut env);
        assert!(a.shadow_stale(&env));
        let words = a.shadow(&mut env).expect("nothing to receive");
        assert!(!a.shadow_stale(&env), "the shadow is what the page reads");
        for (i, &word) in words.iter().enumerate() {
            assert_eq!(
                read(&mut a, &mut env, 4 * i as u32),
                word,
                "offset {:#x}",
                4 * i
            );
        }
        assert_eq!(words[(AUX_MU_LSR_REG / 4) as usize], TX_EMPTY_AND_IDLE);
        assert_eq!(words[(AUX_MU_SCRATCH / 4) as usize], 0x5a);
        assert!(!a.shadow_stale(&env), "and those reads changed nothing");
        // A byte sent changes no register; any other write may.
        a.write(AUX_MU_IO_REG, u32::from(b'x'), &mut env);
        a.write(AUX_MU_LSR_REG, 0, &mut env);
        assert!(!a.shadow_stale(&env));
        a.write(AUX_MU_LCR_REG, DLAB | 3, &mut env);
        assert!(a.shadow_stale(&env));
        let words = a.shadow(&mut env).unwrap();
        assert_eq!(
            words[(AUX_MU_IO_REG / 4) as usize],
            a.baud & BYTE_MASK,
            "DLAB: baud low"
        );
    }

    #[test]
    fn no_shadow_while_a_received_byte_is_ready() {
        let mut a = Aux::new();
        let mut env = FakeEnv::new();
        a.shadow(&mut env).unwrap();
        env.input.push_back(b'k');
        assert!(!a.shadow_possible(&env));
        assert_eq!(
            a.shadow(&mut env),
            None,
            "reading AUX_MU_IO_REG would take it"
        );
        assert_eq!(env.input.len(), 1, "and asking took nothing");
        let before = a.shadow(&mut FakeEnv::new());
        assert_eq!(read(&mut a, &mut env, AUX_MU_IO_REG), u32::from(b'k'));
        assert!(!a.shadow_stale(&env), "the byte came and went");
        assert_eq!(a.shadow(&mut env), before, "and the page reads as before");
    }

    /// An environment whose input queue fills the first time it is asked
    /// how full it is, after saying it is empty: a key queued by the shell
    /// on core 0 while the VM's core computes the shadow.
    struct KeyArrivesMidway {
        env: FakeEnv,
        asked: core::cell::Cell<usize>,
    }

    impl VmEnv for KeyArrivesMidway {
        fn counter(&self) -> u64 {
            self.env.counter()
        }
        fn counter_freq(&self) -> u64 {
            self.env.counter_freq()
        }
        fn ram_bytes(&self) -> u64 {
            self.env.ram_bytes()
        }
        fn read_guest_u32(&self, ipa: u64) -> Option<u32> {
            self.env.read_guest_u32(ipa)
        }
        fn write_guest_u32(&mut self, ipa: u64, value: u32) -> bool {
            self.env.write_guest_u32(ipa, value)
        }
        fn console_write(&mut self, byte: u8) {
            self.env.console_write(byte);
        }
        fn console_read(&mut self) -> Option<u8> {
            self.env.console_read()
        }
        fn console_pending(&self) -> usize {
            // Empty at the first look, a key from then on.
            let asked = self.asked.get();
            self.asked.set(asked + 1);
            usize::from(asked > 0)
        }
        fn virtual_timer_irq(&self) -> bool {
            self.env.virtual_timer_irq()
        }
    }

    #[test]
    fn a_key_queued_while_the_shadow_is_made_is_neither_shown_nor_taken() {
        let mut a = Aux::new();
        a.write(AUX_MU_IER_REG, RX_INTERRUPT, &mut FakeEnv::new());
        let mut env = KeyArrivesMidway {
            env: FakeEnv::new(),
            asked: core::cell::Cell::new(0),
        };
        env.env.input.push_back(b'=');
        if let Some(words) = a.shadow(&mut env) {
            // A page that says "data ready" would give the guest the same
            // byte at every read of AUX_MU_IO_REG.
            assert_eq!(
                words[(AUX_MU_LSR_REG / 4) as usize] & 1,
                0,
                "a shadow never says a byte is ready"
            );
        }
        assert_eq!(env.env.input.len(), 1, "making the shadow took no key");
    }

    #[test]
    fn an_access_said_not_to_move_the_interrupt_does_not() {
        for ier in [0, RX_INTERRUPT, TX_INTERRUPT, RX_INTERRUPT | TX_INTERRUPT] {
            for input in [0usize, 1, 3] {
                for offset in [
                    AUX_IRQ,
                    AUX_MU_IO_REG,
                    AUX_MU_IIR_REG,
                    AUX_MU_LSR_REG,
                    AUX_MU_STAT_REG,
                ] {
                    for write in [None, Some(0), Some(0xc6)] {
                        let mut a = Aux::new();
                        let mut env = FakeEnv::new();
                        a.write(AUX_MU_IER_REG, ier, &mut env);
                        env.input.extend(core::iter::repeat_n(b'z', input));
                        let before = a.interrupt(&env);
                        let may = a.may_change_interrupt(offset, write.is_some());
                        a.console_access(offset, write, &mut env).unwrap();
                        if !may {
                            assert_eq!(
                                a.interrupt(&env),
                                before,
                                "{offset:#x} {write:?} ier {ier} input {input}"
                            );
                        }
                    }
                }
            }
        }
    }
    // ANCHOR_END: shadow_tests

    // ANCHOR: busy_tests
    #[test]
    fn the_transmitter_reads_busy_while_the_console_has_no_room() {
        let mut a = Aux::new();
        let mut env = FakeEnv::new();
        a.write(AUX_MU_IER_REG, TX_INTERRUPT, &mut env);
        let ready = a.shadow(&mut env).unwrap();
        assert!(a.interrupt(&env), "transmit FIFO empty");
        env.console_busy = true;
        assert!(a.shadow_stale(&env), "the page no longer reads as it did");
        assert_eq!(
            read(&mut a, &mut env, AUX_MU_LSR_REG) & TX_EMPTY_AND_IDLE,
            0
        );
        assert_eq!(
            read(&mut a, &mut env, AUX_MU_STAT_REG),
            0x0800_0004,
            "no space, not idle, FIFO full (8), receiver idle"
        );
        assert!(!a.interrupt(&env), "no transmit interrupt while busy");
        assert_eq!(read(&mut a, &mut env, AUX_MU_IIR_REG), 0xc1);
        let busy = a.shadow(&mut env).unwrap();
        assert!(!a.shadow_stale(&env));
        assert_eq!(busy[(AUX_MU_LSR_REG / 4) as usize] & TX_EMPTY_AND_IDLE, 0);
        assert_eq!(
            busy[(AUX_IRQ / 4) as usize],
            0,
            "no interrupt in the shadow"
        );
        // Room again: the shadow is stale and reads as before.
        env.console_busy = false;
        assert!(a.shadow_stale(&env));
        assert_eq!(a.shadow(&mut env), Some(ready));
        assert_eq!(read(&mut a, &mut env, AUX_MU_STAT_REG), 0x30e);
    }

    #[test]
    fn a_busy_transmitter_with_its_interrupt_on_is_looked_at_again() {
        let mut a = Aux::new();
        let mut env = FakeEnv::new();
        env.console_busy = true;
        assert_eq!(a.transmit_deadline(&env), None, "interrupt off");
        a.write(AUX_MU_IER_REG, TX_INTERRUPT, &mut env);
        env.set_micros(1000);
        assert_eq!(
            a.transmit_deadline(&env),
            Some(env.ticks_at_micros(1000 + 694)),
            "when the physical FIFO has emptied"
        );
        env.console_busy = false;
        assert_eq!(a.transmit_deadline(&env), None, "pending already");
    }

    #[test]
    fn a_byte_that_fills_the_console_may_move_the_interrupt() {
        let mut a = Aux::new();
        let mut env = FakeEnv::new();
        assert!(!a.may_change_interrupt(AUX_MU_IO_REG, true));
        a.write(AUX_MU_IER_REG, TX_INTERRUPT, &mut env);
        assert!(a.may_change_interrupt(AUX_MU_IO_REG, true));
    }
    // ANCHOR_END: busy_tests

    #[test]
    fn power_on_state_is_the_firmware_s() {
        let mut a = Aux::new();
        let mut env = FakeEnv::new();
        assert_eq!(read(&mut a, &mut env, AUX_ENABLES), 1);
        assert_eq!(read(&mut a, &mut env, AUX_MU_LCR_REG), 0b11, "8 bits");
        assert_eq!(
            read(&mut a, &mut env, AUX_MU_CNTL_REG),
            0b11,
            "RX and TX on"
        );
        assert_eq!(
            read(&mut a, &mut env, AUX_MU_BAUD_REG),
            270,
            "115200 at 250 MHz"
        );
        assert_eq!(read(&mut a, &mut env, AUX_MU_IER_REG), 0);
        assert_eq!(
            read(&mut a, &mut env, AUX_MU_IIR_REG),
            0xc1,
            "FIFOs on, none pending"
        );
        assert_eq!(read(&mut a, &mut env, AUX_MU_LSR_REG), TX_EMPTY_AND_IDLE);
        assert_eq!(read(&mut a, &mut env, AUX_MU_STAT_REG), 0x30e);
        assert_eq!(read(&mut a, &mut env, AUX_MU_MSR_REG), 1 << 5);
        assert_eq!(read(&mut a, &mut env, AUX_IRQ), 0);
    }

    #[test]
    fn transmit_goes_to_the_console() {
        let mut a = Aux::new();
        let mut env = FakeEnv::new();
        for &b in b"ok\n" {
            assert!(read(&mut a, &mut env, AUX_MU_LSR_REG) & TX_EMPTY_AND_IDLE != 0);
            a.write(AUX_MU_IO_REG, u32::from(b), &mut env);
        }
        assert_eq!(env.output, b"ok\n");
        // A disabled transmitter still delivers (as QEMU does).
        a.write(AUX_MU_CNTL_REG, 0, &mut env);
        a.write(AUX_MU_IO_REG, u32::from(b'!'), &mut env);
        assert_eq!(env.output, b"ok\n!");
    }

    #[test]
    fn receive_drains_the_input_queue_through_the_fifo() {
        let mut a = Aux::new();
        let mut env = FakeEnv::new();
        assert_eq!(read(&mut a, &mut env, AUX_MU_LSR_REG) & DATA_READY, 0);
        env.type_bytes(b"0123456789");
        assert_eq!(
            read(&mut a, &mut env, AUX_MU_LSR_REG) & DATA_READY,
            DATA_READY
        );
        assert_eq!(env.input.len(), 2, "the FIFO took 8, no more");
        assert_eq!(read(&mut a, &mut env, AUX_MU_STAT_REG) >> 16 & 0xf, 8);
        let mut got = std::vec::Vec::new();
        while read(&mut a, &mut env, AUX_MU_LSR_REG) & DATA_READY != 0 {
            got.push(read(&mut a, &mut env, AUX_MU_IO_REG) as u8);
        }
        assert_eq!(got, b"0123456789");
        assert_eq!(read(&mut a, &mut env, AUX_MU_STAT_REG), 0x30e);
        assert_eq!(read(&mut a, &mut env, AUX_MU_IO_REG), 0, "empty FIFO");
    }

    #[test]
    fn a_disabled_receiver_takes_nothing() {
        let mut a = Aux::new();
        let mut env = FakeEnv::new();
        a.write(AUX_MU_CNTL_REG, 0b10, &mut env);
        env.type_bytes(b"x");
        assert_eq!(read(&mut a, &mut env, AUX_MU_LSR_REG) & DATA_READY, 0);
        assert_eq!(env.input.len(), 1);
        a.write(AUX_MU_CNTL_REG, 0b11, &mut env);
        assert_eq!(read(&mut a, &mut env, AUX_MU_IO_REG), u32::from(b'x'));
    }

    #[test]
    fn clearing_the_receive_fifo_drops_what_it_holds_only() {
        let mut a = Aux::new();
        let mut env = FakeEnv::new();
        env.type_bytes(b"abcdefghij");
        read(&mut a, &mut env, AUX_MU_LSR_REG);
        a.write(AUX_MU_IIR_REG, 0b110, &mut env);
        assert_eq!(read(&mut a, &mut env, AUX_MU_IO_REG), u32::from(b'i'));
    }

    #[test]
    fn interrupts_follow_ier_with_the_erratum_bits() {
        let mut a = Aux::new();
        let mut env = FakeEnv::new();
        env.type_bytes(b"z");
        assert!(!a.interrupt(&env), "no interrupt enabled");
        a.write(AUX_MU_IER_REG, RX_INTERRUPT, &mut env);
        assert!(a.interrupt(&env));
        assert_eq!(read(&mut a, &mut env, AUX_IRQ), 1);
        assert_eq!(
            read(&mut a, &mut env, AUX_MU_IIR_REG),
            0xc4,
            "receiver holds a byte"
        );
        read(&mut a, &mut env, AUX_MU_IO_REG);
        assert!(!a.interrupt(&env));
        assert_eq!(read(&mut a, &mut env, AUX_MU_IIR_REG), 0xc1);
        a.write(AUX_MU_IER_REG, TX_INTERRUPT | RX_INTERRUPT, &mut env);
        assert!(a.interrupt(&env), "the transmitter is always empty");
        assert_eq!(read(&mut a, &mut env, AUX_MU_IIR_REG), 0xc2);
        env.type_bytes(b"y");
        assert_eq!(
            read(&mut a, &mut env, AUX_MU_IIR_REG),
            0xc4,
            "receive first"
        );
        a.write(AUX_MU_IER_REG, u32::MAX, &mut env);
        assert_eq!(read(&mut a, &mut env, AUX_MU_IER_REG), 0b11);
    }

    #[test]
    fn dlab_reaches_the_baud_rate() {
        let mut a = Aux::new();
        let mut env = FakeEnv::new();
        a.write(AUX_MU_LCR_REG, DLAB | 0b11, &mut env);
        a.write(AUX_MU_IO_REG, 0x34, &mut env);
        a.write(AUX_MU_IER_REG, 0x12, &mut env);
        assert!(env.output.is_empty(), "a DLAB write sends nothing");
        assert_eq!(read(&mut a, &mut env, AUX_MU_IO_REG), 0x34);
        assert_eq!(read(&mut a, &mut env, AUX_MU_IER_REG), 0x12);
        assert_eq!(read(&mut a, &mut env, AUX_MU_BAUD_REG), 0x1234);
        a.write(AUX_MU_LCR_REG, 0b11, &mut env);
        assert_eq!(
            read(&mut a, &mut env, AUX_MU_IER_REG),
            0,
            "IER itself untouched"
        );
    }

    #[test]
    fn seven_bit_mode_drops_the_top_bit() {
        let mut a = Aux::new();
        let mut env = FakeEnv::new();
        a.write(AUX_MU_LCR_REG, 0, &mut env);
        a.write(AUX_MU_IO_REG, 0xe1, &mut env);
        assert_eq!(env.output, [0x61]);
        env.type_bytes(&[0xc8]);
        assert_eq!(read(&mut a, &mut env, AUX_MU_IO_REG), 0x48);
    }

    #[test]
    fn a_disabled_mini_uart_has_no_registers() {
        let mut a = Aux::new();
        let mut env = FakeEnv::new();
        a.write(AUX_MU_IER_REG, TX_INTERRUPT, &mut env);
        a.write(AUX_ENABLES, 0, &mut env);
        assert!(!a.interrupt(&env));
        env.type_bytes(b"q");
        a.write(AUX_MU_IO_REG, u32::from(b'w'), &mut env);
        a.write(AUX_MU_SCRATCH, 0x55, &mut env);
        for offset in (MINI_UART_FIRST..MINI_UART_END).step_by(4) {
            assert_eq!(read(&mut a, &mut env, offset), 0, "{}", name(offset));
        }
        assert!(env.output.is_empty());
        assert_eq!(env.input.len(), 1);
        a.write(AUX_ENABLES, 1, &mut env);
        assert_eq!(
            read(&mut a, &mut env, AUX_MU_SCRATCH),
            0,
            "the write was ignored"
        );
        assert_eq!(read(&mut a, &mut env, AUX_MU_IO_REG), u32::from(b'q'));
    }

    #[test]
    fn register_files_keep_their_bits() {
        let mut a = Aux::new();
        let mut env = FakeEnv::new();
        a.write(AUX_MU_SCRATCH, 0x1a5, &mut env);
        assert_eq!(read(&mut a, &mut env, AUX_MU_SCRATCH), 0xa5);
        a.write(AUX_MU_MCR_REG, u32::MAX, &mut env);
        assert_eq!(read(&mut a, &mut env, AUX_MU_MCR_REG), 0b10);
        a.write(AUX_MU_BAUD_REG, 0x12345, &mut env);
        assert_eq!(read(&mut a, &mut env, AUX_MU_BAUD_REG), 0x2345);
        a.write(AUX_MU_LSR_REG, u32::MAX, &mut env);
        assert_eq!(read(&mut a, &mut env, AUX_MU_LSR_REG), TX_EMPTY_AND_IDLE);
        a.write(AUX_ENABLES, u32::MAX, &mut env);
        assert_eq!(read(&mut a, &mut env, AUX_ENABLES), 0b111);
    }

    #[test]
    fn spi_masters_are_idle_register_files() {
        let mut a = Aux::new();
        let mut env = FakeEnv::new();
        const SPI1_CNTL0: u32 = 0x80;
        const SPI2_STAT: u32 = 0xc8;
        a.write(SPI1_CNTL0, 0xdead_beef, &mut env);
        assert_eq!(read(&mut a, &mut env, SPI1_CNTL0), 0, "SPI1 not enabled");
        a.write(AUX_ENABLES, 0b111, &mut env);
        a.write(SPI1_CNTL0, 0xdead_beef, &mut env);
        assert_eq!(read(&mut a, &mut env, SPI1_CNTL0), 0xdead_beef);
        assert_eq!(
            read(&mut a, &mut env, SPI2_STAT),
            0x280,
            "idle, FIFOs empty"
        );
        assert_eq!(a.read(0xa4, &mut env).name, "AUX_SPI0_IO_REG");
        assert_eq!(a.read(0xf0, &mut env).name, "AUX_SPI1_TXHOLD_REG");
        assert_eq!(a.read(0x90, &mut env).name, "reserved");
        assert_eq!(a.read(0x08, &mut env).name, "reserved");
        assert_eq!(a.write(0x48, 0, &mut env), "AUX_MU_IIR_REG");
    }

    proptest! {
        #[test]
        fn never_panics(ops in proptest::collection::vec(op_strategy(SIZE as u32 + 8), 0..200)) {
            let mut a = Aux::new();
            let mut env = FakeEnv::new();
            for op in &ops {
                exercise(&mut a, &mut env, core::slice::from_ref(op));
                prop_assert!(a.rx.len <= RX_FIFO_DEPTH);
                let _ = a.interrupt(&env);
            }
        }

        #[test]
        fn a_polling_guest_reads_exactly_what_was_typed(
            steps in proptest::collection::vec((proptest::option::of(any::<u8>()), 0..3u8), 0..300),
        ) {
            let mut a = Aux::new();
            let mut env = FakeEnv::new();
            let (mut typed, mut got) = (std::vec::Vec::new(), std::vec::Vec::new());
            let poll = |a: &mut Aux, env: &mut FakeEnv, got: &mut std::vec::Vec<u8>| {
                if read(a, env, AUX_MU_LSR_REG) & DATA_READY != 0 {
                    got.push(read(a, env, AUX_MU_IO_REG) as u8);
                    true
                } else {
                    false
                }
            };
            for (byte, action) in steps {
                if let Some(b) = byte {
                    env.type_bytes(&[b]);
                    typed.push(b);
                }
                match action {
                    0 => {
                        read(&mut a, &mut env, AUX_MU_STAT_REG);
                    }
                    1 => {
                        read(&mut a, &mut env, AUX_MU_IIR_REG);
                    }
                    _ => {
                        poll(&mut a, &mut env, &mut got);
                    }
                }
                prop_assert!(a.rx.len <= RX_FIFO_DEPTH);
            }
            while poll(&mut a, &mut env, &mut got) {}
            prop_assert_eq!(got, typed);
        }
    }
}
