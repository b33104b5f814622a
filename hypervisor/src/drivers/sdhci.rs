//! The host side of the SD card: a driver for the BCM2837's SD host
//! controller, the Arasan SDHCI the datasheet calls EMMC (BCM2835 ARM
//! Peripherals, chapter 5; registers in [`raspi3b::emmc`]). It resets the
//! controller, sets the SD clock, sends one command and reads data blocks
//! by programmed I/O. What the commands mean to the card (the SD Physical
//! Layer's initialisation sequence, addressing) is [`super::sdcard`]'s.
//!
//! The registers are reached through [`Bus`]: [`MmioBus`] on the board, a
//! model of the controller and a card in the host tests. Every wait polls
//! with a bound, counted in [`DelayNs`] steps of [`POLL_US`]; a controller
//! that never answers is an error naming what it did not do, never a hang.
//!
//! The controller takes only 32-bit accesses, and every access here is one.

use core::mem::offset_of;
use embedded_hal::delay::DelayNs;
use raspi3b::emmc::{
    Registers, BLKSIZECNT, CMDTM, CONTROL0, CONTROL1, INTERRUPT, SD_HOST_SPEC_3_00, SLOTISR_VER,
    STATUS,
};
use raspi3b::{Mmio, PhysAddr};
use tock_registers::fields::FieldValue;
use ufmt::{uDisplay, uWrite, uwrite};

/// Register offsets in the EMMC block, from the board crate's layout.
pub mod reg {
    use super::{offset_of, Registers};
    /// Block size and count.
    pub const BLKSIZECNT: usize = offset_of!(Registers, BLKSIZECNT);
    /// Argument.
    pub const ARG1: usize = offset_of!(Registers, ARG1);
    /// Command and transfer mode.
    pub const CMDTM: usize = offset_of!(Registers, CMDTM);
    /// Response bits 31:0; RESP1-3 follow.
    pub const RESP0: usize = offset_of!(Registers, RESP0);
    /// Data.
    pub const DATA: usize = offset_of!(Registers, DATA);
    /// Status.
    pub const STATUS: usize = offset_of!(Registers, STATUS);
    /// Bus width and speed.
    pub const CONTROL0: usize = offset_of!(Registers, CONTROL0);
    /// Clock and resets.
    pub const CONTROL1: usize = offset_of!(Registers, CONTROL1);
    /// Interrupt flags.
    pub const INTERRUPT: usize = offset_of!(Registers, INTERRUPT);
    /// Interrupt flag enable.
    pub const IRPT_MASK: usize = offset_of!(Registers, IRPT_MASK);
    /// Interrupt generation enable.
    pub const IRPT_EN: usize = offset_of!(Registers, IRPT_EN);
    /// Slot interrupt status and version.
    pub const SLOTISR_VER: usize = offset_of!(Registers, SLOTISR_VER);
}

/// Bytes in a block: the only block size used.
pub const BLOCK_LEN: usize = 512;
/// The most blocks one command moves (BLKCNT is 16 bits).
pub const MAX_BLOCKS_PER_COMMAND: usize = u16::MAX as usize;
/// Microseconds between two looks at a register while waiting.
pub const POLL_US: u32 = 1;
/// The bound on a software reset (SDHCI drivers allow 100 ms).
const RESET_TIMEOUT_US: u32 = 100_000;
/// The bound on the internal clock becoming stable.
const CLOCK_TIMEOUT_US: u32 = 100_000;
/// The bound on a command: the controller reports a missing response
/// itself (CTO_ERR, after 64 SD clocks), so this only catches a controller
/// that never ends a command.
const COMMAND_TIMEOUT_US: u32 = 100_000;
/// The bound on each block of a read and on the end of the transfer: the
/// SD Physical Layer allows a card 100 ms to start sending a block; the
/// controller's own data timeout (DTO_ERR) fires first.
const DATA_TIMEOUT_US: u32 = 500_000;
/// The data timeout the controller counts: TMCLK * 2^(14 + 13), its
/// largest setting.
const DATA_TIMEOUT_UNIT_MAX: u32 = 14;
/// The SD clock while the card is identified (SD Physical Layer: at most
/// 400 kHz until CMD3).
pub const IDENTIFICATION_CLOCK_HZ: u32 = 400_000;
/// The SD clock in data transfer mode at default speed (25 MHz at most).
pub const DEFAULT_SPEED_CLOCK_HZ: u32 = 25_000_000;
/// SD clocks a card needs after power-up before the first command.
const POWER_UP_CLOCKS: u32 = 74;
/// SD clocks to leave after each register write while the clock is slow:
/// the Pi's Arasan controller synchronises writes into the SD clock domain
/// and loses one that follows another too closely (Linux's driver for it
/// waits four clocks at identification speed, and so does this one).
const WRITE_SETTLE_CLOCKS: u32 = 4;
/// The largest 10-bit divider of the divided clock mode.
const MAX_DIVIDER: u32 = 0x3ff;
/// Nanoseconds in a second.
const NS_PER_SECOND: u64 = 1_000_000_000;
/// Every interrupt flag, to clear them all (INTERRUPT is write-1-to-clear)
/// and to let them all appear (IRPT_MASK).
const ALL_FLAGS: u32 = u32::MAX;

// ANCHOR: bus
/// The controller's registers, as 32-bit words at byte offsets of
/// [`Registers`].
pub trait Bus {
    /// Read the register at `offset`.
    fn read(&mut self, offset: usize) -> u32;
    /// Write `value` to the register at `offset`.
    fn write(&mut self, offset: usize, value: u32);
}
// ANCHOR_END: bus

/// The EMMC block itself.
pub struct MmioBus {
    regs: Mmio<Registers>,
}

impl MmioBus {
    /// The controller at `base`.
    ///
    /// # Safety
    ///
    /// `base` must be the EMMC block ([`raspi3b::map::EMMC_BASE`]), mapped
    /// as device memory, and nothing else may drive it.
    pub const unsafe fn new(base: PhysAddr) -> Self {
        Self {
            // SAFETY: passed on from the caller.
            regs: unsafe { Mmio::new(base) },
        }
    }

    fn address(&self, offset: usize) -> usize {
        debug_assert!(offset < core::mem::size_of::<Registers>() && offset.is_multiple_of(4));
        self.regs.base().as_usize() + offset
    }
}

impl Bus for MmioBus {
    fn read(&mut self, offset: usize) -> u32 {
        // SAFETY: `new`'s contract: a word register of the EMMC block.
        unsafe { core::ptr::read_volatile(self.address(offset) as *const u32) }
    }

    fn write(&mut self, offset: usize, value: u32) {
        // SAFETY: `new`'s contract: a word register of the EMMC block.
        unsafe { core::ptr::write_volatile(self.address(offset) as *mut u32, value) }
    }
}

/// What the card answers a command with (SD Physical Layer, 4.9).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Response {
    /// Nothing.
    None,
    /// Card status, 48 bits.
    R1,
    /// Card status, then busy on DAT0 until the card is done.
    R1b,
    /// CID or CSD, 136 bits.
    R2,
    /// OCR, 48 bits without a valid CRC or index.
    R3,
    /// Published RCA, 48 bits.
    R6,
    /// Card interface condition, 48 bits.
    R7,
}

/// A command: its index, its name in the SD Physical Layer specification,
/// what it answers, and whether it is an application command (sent after
/// CMD55).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Command {
    /// The command index.
    pub index: u8,
    /// Its name in the specification.
    pub name: &'static str,
    /// Its response.
    pub response: Response,
    /// An ACMD.
    pub app: bool,
}

impl Command {
    /// A normal command (CMDn).
    pub const fn new(index: u8, name: &'static str, response: Response) -> Self {
        Self {
            index,
            name,
            response,
            app: false,
        }
    }

    /// An application command (ACMDn).
    pub const fn app(index: u8, name: &'static str, response: Response) -> Self {
        Self {
            index,
            name,
            response,
            app: true,
        }
    }

    // ANCHOR: cmdtm
    /// The CMDTM bits that issue this command.
    fn cmdtm(&self) -> FieldValue<u32, CMDTM::Register> {
        use CMDTM::CMD_RSPNS_TYPE as Type;
        let index = CMDTM::CMD_INDEX.val(u32::from(self.index));
        let checked = CMDTM::CMD_CRCCHK_EN::SET + CMDTM::CMD_IXCHK_EN::SET;
        index
            + match self.response {
                Response::None => Type::NoResponse,
                Response::R1 | Response::R6 | Response::R7 => Type::Bits48 + checked,
                Response::R1b => Type::Bits48Busy + checked,
                // The 136-bit response carries the CID's or CSD's own CRC
                // and no index.
                Response::R2 => Type::Bits136 + CMDTM::CMD_CRCCHK_EN::SET,
                // The OCR response has neither a CRC nor the index.
                Response::R3 => Type::Bits48,
            }
    }
    // ANCHOR_END: cmdtm
}

impl uDisplay for Command {
    fn fmt<W: uWrite + ?Sized>(&self, f: &mut ufmt::Formatter<'_, W>) -> Result<(), W::Error> {
        let prefix = if self.app { "ACMD" } else { "CMD" };
        uwrite!(f, "{}{} ({})", prefix, self.index, self.name)
    }
}

/// Why talking to the card failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Error {
    /// The controller did not finish a software reset.
    ResetTimeout,
    /// The controller's internal clock did not become stable.
    ClockNotStable,
    /// The mailbox reported no EMMC clock to divide.
    NoBaseClock,
    /// The controller follows an SDHCI version before 3.00 (SDVERSION).
    OldHost(u32),
    /// The command or data line stayed busy from before the command.
    LinesBusy(Command),
    /// The controller never ended the command.
    NoCompletion(Command),
    /// The card did not answer the command (CTO_ERR).
    CommandTimeout(Command),
    /// The response's CRC was wrong (CCRC_ERR).
    CommandCrc(Command),
    /// The response's end bit was not 1 (CEND_ERR).
    CommandEndBit(Command),
    /// The response carried another command's index (CBAD_ERR).
    CommandIndex(Command),
    /// The card sent no data in time (DTO_ERR).
    DataTimeout(Command),
    /// A data block's CRC was wrong (DCRC_ERR).
    DataCrc(Command),
    /// A data block's end bit was not 1 (DEND_ERR).
    DataEndBit(Command),
    /// The automatic CMD12 after a multi-block read failed (ACMD_ERR).
    AutoStop(Command),
    /// The controller raised an error flag this driver does not know.
    Controller(Command, u32),
    /// The controller neither delivered a block nor reported an error.
    DataStalled(Command),
    /// Nothing answered CMD8 nor ACMD41 (CMD55 before it): no card.
    NoCard,
    /// The card answered CMD8 with another voltage or check pattern.
    BadInterfaceCondition(u32),
    /// The card stayed busy through every ACMD41 of the power-up bound.
    NotReady,
    /// The card reported an error in its status (R1).
    CardStatus(Command, u32),
    /// A read past the card's last block.
    OutOfRange(u32),
}

impl uDisplay for Error {
    fn fmt<W: uWrite + ?Sized>(&self, f: &mut ufmt::Formatter<'_, W>) -> Result<(), W::Error> {
        match *self {
            Error::ResetTimeout => f.write_str("the SD host controller did not finish its reset"),
            Error::ClockNotStable => f.write_str("the SD host controller's clock did not settle"),
            Error::NoBaseClock => f.write_str("the mailbox reported no EMMC clock"),
            Error::OldHost(v) => uwrite!(
                f,
                "the SD host controller is older than SDHCI 3.00 (SDVERSION {})",
                v
            ),
            Error::LinesBusy(c) => uwrite!(f, "{}: the SD bus stayed busy", c),
            Error::NoCompletion(c) => uwrite!(f, "{}: the controller never finished it", c),
            Error::CommandTimeout(c) => uwrite!(f, "{}: no answer from the card", c),
            Error::CommandCrc(c) => uwrite!(f, "{}: response CRC error", c),
            Error::CommandEndBit(c) => uwrite!(f, "{}: response end bit error", c),
            Error::CommandIndex(c) => uwrite!(f, "{}: response to another command", c),
            Error::DataTimeout(c) => uwrite!(f, "{}: data timeout", c),
            Error::DataCrc(c) => uwrite!(f, "{}: data CRC error", c),
            Error::DataEndBit(c) => uwrite!(f, "{}: data end bit error", c),
            Error::AutoStop(c) => uwrite!(f, "{}: the automatic CMD12 failed", c),
            Error::Controller(c, flags) => uwrite!(f, "{}: controller error {:#x}", c, flags),
            Error::DataStalled(c) => uwrite!(f, "{}: the data never came", c),
            Error::NoCard => f.write_str("no SD card (CMD8 and ACMD41 got no answer)"),
            Error::BadInterfaceCondition(r) => {
                uwrite!(f, "CMD8 (SEND_IF_COND): the card answered {:#x}", r)
            }
            Error::NotReady => f.write_str("ACMD41 (SD_SEND_OP_COND): the card stayed busy"),
            Error::CardStatus(c, s) => uwrite!(f, "{}: card status error {:#x}", c, s),
            Error::OutOfRange(b) => uwrite!(f, "block {} is past the end of the card", b),
        }
    }
}

/// The error an INTERRUPT value with ERR set stands for.
fn classify(flags: u32, cmd: Command) -> Error {
    use INTERRUPT as I;
    // A timeout first: with a CRC error too it means a conflict on the
    // command line, which is no answer either.
    type Make = fn(Command) -> Error;
    let table: [(u32, Make); 8] = [
        (I::CTO_ERR::SET.value, Error::CommandTimeout),
        (I::CCRC_ERR::SET.value, Error::CommandCrc),
        (I::CEND_ERR::SET.value, Error::CommandEndBit),
        (I::CBAD_ERR::SET.value, Error::CommandIndex),
        (I::DTO_ERR::SET.value, Error::DataTimeout),
        (I::DCRC_ERR::SET.value, Error::DataCrc),
        (I::DEND_ERR::SET.value, Error::DataEndBit),
        (I::ACMD_ERR::SET.value, Error::AutoStop),
    ];
    table
        .iter()
        .find(|(bit, _)| flags & bit != 0)
        .map_or(Error::Controller(cmd, flags), |(_, make)| make(cmd))
}

/// The SD host controller.
pub struct Host<B: Bus, D: DelayNs> {
    bus: B,
    delay: D,
    /// The clock the controller divides (the mailbox's EMMC clock).
    base_clock_hz: u32,
    /// The SD clock now; 0 while it is off.
    sd_clock_hz: u32,
}

impl<B: Bus, D: DelayNs> Host<B, D> {
    /// The controller on `bus`, fed by `base_clock_hz`.
    pub fn new(bus: B, delay: D, base_clock_hz: u32) -> Self {
        Self {
            bus,
            delay,
            base_clock_hz,
            sd_clock_hz: 0,
        }
    }

    /// The bus, for tests that look at the model behind it.
    #[cfg(test)]
    pub fn bus(&mut self) -> &mut B {
        &mut self.bus
    }

    /// The SD clock now, in Hz.
    pub fn sd_clock_hz(&self) -> u32 {
        self.sd_clock_hz
    }

    /// Wait `us` microseconds.
    pub fn delay_us(&mut self, us: u32) {
        self.delay.delay_us(us);
    }

    // ANCHOR: wait_for
    /// Poll `ready` until it holds, at most `timeout_us` microseconds.
    fn wait_for(&mut self, timeout_us: u32, mut ready: impl FnMut(&mut B) -> bool) -> bool {
        for _ in 0..=timeout_us / POLL_US {
            if ready(&mut self.bus) {
                return true;
            }
            self.delay.delay_us(POLL_US);
        }
        false
    }
    // ANCHOR_END: wait_for

    /// Write a register, leaving the slow clock time to take it.
    fn write(&mut self, offset: usize, value: u32) {
        self.bus.write(offset, value);
        let hz = if self.sd_clock_hz == 0 {
            IDENTIFICATION_CLOCK_HZ
        } else {
            self.sd_clock_hz
        };
        if hz <= IDENTIFICATION_CLOCK_HZ {
            self.delay.delay_ns(clocks_to_ns(WRITE_SETTLE_CLOCKS, hz));
        }
    }

    // ANCHOR: reset
    /// Reset the whole controller and bring the SD clock up at
    /// identification speed, with the bus one bit wide.
    pub fn reset(&mut self) -> Result<(), Error> {
        self.sd_clock_hz = 0;
        self.write(reg::CONTROL1, CONTROL1::SRST_HC::SET.value);
        let done = CONTROL1::SRST_HC::SET.value;
        if !self.wait_for(RESET_TIMEOUT_US, |bus| bus.read(reg::CONTROL1) & done == 0) {
            return Err(Error::ResetTimeout);
        }
        self.write(reg::CONTROL0, 0);
        // The flags are polled: all of them show in INTERRUPT, none
        // interrupts the ARM.
        self.write(reg::IRPT_EN, 0);
        self.write(reg::IRPT_MASK, ALL_FLAGS);
        self.write(reg::INTERRUPT, ALL_FLAGS);
        self.set_clock(IDENTIFICATION_CLOCK_HZ)?;
        // The card needs 74 clocks before it listens.
        let settle = clocks_to_ns(POWER_UP_CLOCKS, self.sd_clock_hz);
        self.delay.delay_ns(settle);
        Ok(())
    }
    // ANCHOR_END: reset

    // ANCHOR: set_clock
    /// Run the SD clock at `target_hz` or the fastest rate below it that
    /// the divider reaches. Returns the rate set.
    pub fn set_clock(&mut self, target_hz: u32) -> Result<u32, Error> {
        if self.base_clock_hz == 0 {
            return Err(Error::NoBaseClock);
        }
        let version = SLOTISR_VER::SDVERSION.read(self.bus.read(reg::SLOTISR_VER));
        if version < SD_HOST_SPEC_3_00 {
            // Older hosts divide by powers of two only; the Pi's is 3.00.
            return Err(Error::OldHost(version));
        }
        let divider = divider_for(self.base_clock_hz, target_hz);
        // Stop the card's clock, change the divider, wait for the internal
        // clock, then let the card's clock run again.
        let control1 = self.bus.read(reg::CONTROL1) & !CONTROL1::CLK_EN::SET.value;
        self.write(reg::CONTROL1, control1);
        let value = CONTROL1::CLK_INTLEN::SET
            + CONTROL1::DATA_TOUNIT.val(DATA_TIMEOUT_UNIT_MAX)
            + CONTROL1::CLK_FREQ8.val(divider & 0xff)
            + CONTROL1::CLK_FREQ_MS2.val(divider >> 8);
        self.write(reg::CONTROL1, value.value);
        let stable = CONTROL1::CLK_STABLE::SET.value;
        if !self.wait_for(CLOCK_TIMEOUT_US, |bus| {
            bus.read(reg::CONTROL1) & stable != 0
        }) {
            return Err(Error::ClockNotStable);
        }
        self.sd_clock_hz = clock_for(self.base_clock_hz, divider);
        self.write(reg::CONTROL1, (value + CONTROL1::CLK_EN::SET).value);
        Ok(self.sd_clock_hz)
    }
    // ANCHOR_END: set_clock

    /// Use four data lines (after the card agreed, ACMD6).
    pub fn set_four_bit_bus(&mut self) {
        let control0 = self.bus.read(reg::CONTROL0);
        self.write(reg::CONTROL0, control0 | CONTROL0::HCTL_DWIDTH::SET.value);
    }

    /// Reset the command circuit, and the data circuit if `data`, after an
    /// error.
    fn reset_lines(&mut self, data: bool) {
        let mut bits = CONTROL1::SRST_CMD::SET.value;
        if data {
            bits |= CONTROL1::SRST_DATA::SET.value;
        }
        let control1 = self.bus.read(reg::CONTROL1);
        self.write(reg::CONTROL1, control1 | bits);
        // Bounded; if it never ends the next command says so.
        self.wait_for(RESET_TIMEOUT_US, |bus| bus.read(reg::CONTROL1) & bits == 0);
        self.write(reg::INTERRUPT, ALL_FLAGS);
    }

    /// Send a command without data; its response, RESP0-3.
    pub fn command(&mut self, cmd: Command, arg: u32) -> Result<[u32; 4], Error> {
        self.send(cmd, arg, None)
    }

    // ANCHOR: send
    /// Send `cmd` with `arg`; `transfer` holds the transfer-mode bits of a
    /// command that moves data.
    fn send(
        &mut self,
        cmd: Command,
        arg: u32,
        transfer: Option<FieldValue<u32, CMDTM::Register>>,
    ) -> Result<[u32; 4], Error> {
        let uses_data = transfer.is_some() || cmd.response == Response::R1b;
        let mut busy = STATUS::CMD_INHIBIT::SET.value;
        if uses_data {
            busy |= STATUS::DAT_INHIBIT::SET.value;
        }
        if !self.wait_for(COMMAND_TIMEOUT_US, |bus| bus.read(reg::STATUS) & busy == 0) {
            return Err(Error::LinesBusy(cmd));
        }
        self.write(reg::INTERRUPT, ALL_FLAGS);
        self.write(reg::ARG1, arg);
        let cmdtm = match transfer {
            Some(t) => cmd.cmdtm() + t,
            None => cmd.cmdtm(),
        };
        self.write(reg::CMDTM, cmdtm.value);

        let ended = INTERRUPT::CMD_DONE::SET.value | INTERRUPT::ERR::SET.value;
        let mut flags = 0;
        if !self.wait_for(COMMAND_TIMEOUT_US, |bus| {
            flags = bus.read(reg::INTERRUPT);
            flags & ended != 0
        }) {
            self.reset_lines(uses_data);
            return Err(Error::NoCompletion(cmd));
        }
        if INTERRUPT::ERR.is_set(flags) {
            self.reset_lines(uses_data);
            return Err(classify(flags, cmd));
        }
        self.write(reg::INTERRUPT, INTERRUPT::CMD_DONE::SET.value);
        let mut response = [0; 4];
        for (i, word) in response.iter_mut().enumerate() {
            *word = self.bus.read(reg::RESP0 + 4 * i);
        }
        if cmd.response == Response::R1b {
            // The card holds DAT0 low while it is busy.
            let dat = STATUS::DAT_INHIBIT::SET.value;
            if !self.wait_for(DATA_TIMEOUT_US, |bus| bus.read(reg::STATUS) & dat == 0) {
                self.reset_lines(true);
                return Err(Error::LinesBusy(cmd));
            }
            self.write(reg::INTERRUPT, INTERRUPT::DATA_DONE::SET.value);
        }
        Ok(response)
    }
    // ANCHOR_END: send

    // ANCHOR: read_blocks
    /// Send `cmd` (a read: CMD17 for one block, CMD18 for several) and
    /// read `buf.len() / BLOCK_LEN` blocks into `buf`. Returns the card
    /// status the command answered (R1).
    pub fn read_blocks(&mut self, cmd: Command, arg: u32, buf: &mut [u8]) -> Result<u32, Error> {
        let blocks = buf.len() / BLOCK_LEN;
        debug_assert!(
            buf.len().is_multiple_of(BLOCK_LEN) && (1..=MAX_BLOCKS_PER_COMMAND).contains(&blocks)
        );
        let size =
            BLKSIZECNT::BLKCNT.val(blocks as u32) + BLKSIZECNT::BLKSIZE.val(BLOCK_LEN as u32);
        self.write(reg::BLKSIZECNT, size.value);
        let mut transfer = CMDTM::CMD_ISDATA::SET + CMDTM::TM_DAT_DIR::CardToHost;
        if blocks > 1 {
            transfer += CMDTM::TM_MULTI_BLOCK::SET
                + CMDTM::TM_BLKCNT_EN::SET
                + CMDTM::TM_AUTO_CMD_EN::Cmd12;
        }
        let status = self.send(cmd, arg, Some(transfer))?[0];

        let ready = INTERRUPT::READ_RDY::SET.value | INTERRUPT::ERR::SET.value;
        for block in buf.chunks_exact_mut(BLOCK_LEN) {
            let flags = self.wait_data(cmd, ready)?;
            debug_assert!(INTERRUPT::READ_RDY.is_set(flags));
            self.write(reg::INTERRUPT, INTERRUPT::READ_RDY::SET.value);
            for word in block.chunks_exact_mut(4) {
                word.copy_from_slice(&self.bus.read(reg::DATA).to_le_bytes());
            }
        }
        let done = INTERRUPT::DATA_DONE::SET.value | INTERRUPT::ERR::SET.value;
        self.wait_data(cmd, done)?;
        self.write(reg::INTERRUPT, INTERRUPT::DATA_DONE::SET.value);
        Ok(status)
    }
    // ANCHOR_END: read_blocks

    /// Wait for one of `flags` during a transfer; an error flag ends it.
    fn wait_data(&mut self, cmd: Command, flags: u32) -> Result<u32, Error> {
        let mut seen = 0;
        if !self.wait_for(DATA_TIMEOUT_US, |bus| {
            seen = bus.read(reg::INTERRUPT);
            seen & flags != 0
        }) {
            self.reset_lines(true);
            return Err(Error::DataStalled(cmd));
        }
        if INTERRUPT::ERR.is_set(seen) {
            self.reset_lines(true);
            return Err(classify(seen, cmd));
        }
        Ok(seen)
    }
}

// ANCHOR: divider
/// The 10-bit divider N that brings `base_hz` to at most `target_hz`: the
/// SD clock is base / (2N), or the base clock itself when N is 0.
pub fn divider_for(base_hz: u32, target_hz: u32) -> u32 {
    if target_hz == 0 {
        return MAX_DIVIDER;
    }
    if base_hz <= target_hz {
        return 0;
    }
    base_hz.div_ceil(2 * target_hz).min(MAX_DIVIDER)
}

/// The SD clock that divider `n` makes of `base_hz`.
pub fn clock_for(base_hz: u32, n: u32) -> u32 {
    if n == 0 {
        base_hz
    } else {
        base_hz / (2 * n)
    }
}
// ANCHOR_END: divider

/// Nanoseconds that `clocks` cycles of a `hz` clock last, rounded up.
fn clocks_to_ns(clocks: u32, hz: u32) -> u32 {
    let ns = (u64::from(clocks) * NS_PER_SECOND).div_ceil(u64::from(hz.max(1)));
    u32::try_from(ns).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dividers_never_exceed_the_target() {
        // The Pi's EMMC clock (250 MHz) and QEMU's (50 MHz).
        for base in [250_000_000, 50_000_000, 41_666_666] {
            for target in [IDENTIFICATION_CLOCK_HZ, DEFAULT_SPEED_CLOCK_HZ] {
                let n = divider_for(base, target);
                assert!(clock_for(base, n) <= target, "{base} -> {target}");
                assert!(n == 0 || clock_for(base, n - 1) > target || n == 1);
            }
        }
        assert_eq!(divider_for(250_000_000, 400_000), 313);
        assert_eq!(clock_for(250_000_000, 313), 399_361);
        assert_eq!(divider_for(50_000_000, 25_000_000), 1);
        assert_eq!(divider_for(20_000_000, 25_000_000), 0);
        assert_eq!(divider_for(u32::MAX, 1), MAX_DIVIDER);
    }

    #[test]
    fn cmdtm_per_response() {
        let cmd8 = Command::new(8, "SEND_IF_COND", Response::R7);
        assert_eq!(cmd8.cmdtm().value, 0x081a_0000);
        let acmd41 = Command::app(41, "SD_SEND_OP_COND", Response::R3);
        assert_eq!(acmd41.cmdtm().value, 0x2902_0000);
        let cmd2 = Command::new(2, "ALL_SEND_CID", Response::R2);
        assert_eq!(cmd2.cmdtm().value, 0x0209_0000);
        let cmd7 = Command::new(7, "SELECT_CARD", Response::R1b);
        assert_eq!(cmd7.cmdtm().value, 0x071b_0000);
        assert_eq!(
            Command::new(0, "GO_IDLE_STATE", Response::None)
                .cmdtm()
                .value,
            0
        );
    }

    #[test]
    fn errors_are_classified_timeout_first() {
        let c = Command::new(17, "READ_SINGLE_BLOCK", Response::R1);
        let err = INTERRUPT::ERR::SET.value;
        let cto = INTERRUPT::CTO_ERR::SET.value;
        let ccrc = INTERRUPT::CCRC_ERR::SET.value;
        assert_eq!(classify(err | cto | ccrc, c), Error::CommandTimeout(c));
        assert_eq!(
            classify(err | INTERRUPT::DCRC_ERR::SET.value, c),
            Error::DataCrc(c)
        );
        assert_eq!(
            classify(err | 1 << 28, c),
            Error::Controller(c, err | 1 << 28)
        );
    }

    #[test]
    fn clocks_to_ns_rounds_up() {
        assert_eq!(clocks_to_ns(4, 400_000), 10_000);
        assert_eq!(clocks_to_ns(74, 400_000), 185_000);
        assert_eq!(clocks_to_ns(1, 3), 333_333_334);
        assert_eq!(clocks_to_ns(1, 0), 1_000_000_000);
    }
}
