//! The External Mass Media Controller, EMMC (BCM2835 ARM Peripherals,
//! chapter 5; bus address 0x7E30_0000): an Arasan SD host controller
//! following the SD Host Controller Specification 3.0 ("SDHCI"). On a Pi 3
//! it is wired to the WiFi chip's SDIO bus; U-Boot probes it as its second
//! MMC device.
//!
//! The virtual board has nothing on this bus. The model is the controller
//! with no card, which a driver learns from one register:
//!
//! - STATUS: no card inserted (bit 16 clear), the card-detect state stable
//!   (bit 17), the command and data lines high as the pull-ups leave an
//!   idle bus, never an inhibit bit: U-Boot's `sdhci_get_cd` sees no card
//!   and prints "MMC: no card present" without sending a command.
//! - A command written to CMDTM anyway completes at once: with no response
//!   expected it is done (CMD_DONE); otherwise no card answers, so it ends
//!   in a command timeout (CTO_ERR, and ERR, the error summary). As the
//!   SDHCI specification says, a flag appears in INTERRUPT only if its bit
//!   is set in IRPT_MASK. INTERRUPT is write-1-to-clear; ERR (bit 15) is
//!   the OR of the error flags.
//! - CONTROL1: the internal clock is stable (CLK_STABLE) as soon as it is
//!   enabled (CLK_INTLEN), and the three software resets (SRST_HC,
//!   SRST_CMD, SRST_DATA) are done at once: they read 0. SRST_HC returns
//!   every register to power-on; SRST_CMD and SRST_DATA clear the command
//!   or data flags.
//! - The capabilities (at 0x40, which the datasheet leaves undocumented;
//!   named after the SDHCI specification) describe a plain SD 3.0 host:
//!   3.3 V, high speed, 512-byte blocks, no DMA (U-Boot and Linux drive the
//!   Pi's EMMC by programmed I/O), and a 250 MHz base clock, the EMMC clock
//!   the mailbox reports. SLOTISR_VER: vendor 0x99, SD host specification
//!   3.0 (SDVERSION 2).
//! - RESP0-3 and DATA read 0; every other register keeps what is written.
//! - No interrupt is raised; a guest polls (U-Boot does).
//!
//! The EMMC supports only 32-bit accesses; drivers for it (U-Boot's
//! `bcm2835_sdhci` included) turn SDHCI's 8- and 16-bit register writes
//! into 32-bit ones, so the model is a block of 32-bit registers like the
//! others.

use super::{register_offsets, Device, Reg, VmEnv};
use core::mem::offset_of;
use raspi3b::emmc::{
    Registers as EmmcRegisters, CAPABILITIES_0, CMDTM, CONTROL1, INTERRUPT, SD_HOST_SPEC_3_00,
    SLOTISR_VER, STATUS,
};

/// The EMMC registers (bus address 0x7E30_0000).
pub const BASE: u64 = raspi3b::map::EMMC_BASE.as_u64();
/// Bytes of registers: ARG2 to SLOTISR_VER.
pub const SIZE: u64 = 0x100;

register_offsets! {
    /// ACMD23 argument.
    ARG2 = offset_of!(EmmcRegisters, ARG2) as u32,
    /// Block size and count.
    BLKSIZECNT = offset_of!(EmmcRegisters, BLKSIZECNT) as u32,
    /// Argument.
    ARG1 = offset_of!(EmmcRegisters, ARG1) as u32,
    /// Command and transfer mode.
    CMDTM = offset_of!(EmmcRegisters, CMDTM) as u32,
    /// Response bits 31:0.
    RESP0 = offset_of!(EmmcRegisters, RESP0) as u32,
    /// Response bits 63:32.
    RESP1 = offset_of!(EmmcRegisters, RESP1) as u32,
    /// Response bits 95:64.
    RESP2 = offset_of!(EmmcRegisters, RESP2) as u32,
    /// Response bits 127:96.
    RESP3 = offset_of!(EmmcRegisters, RESP3) as u32,
    /// Data.
    DATA = offset_of!(EmmcRegisters, DATA) as u32,
    /// Status.
    STATUS = offset_of!(EmmcRegisters, STATUS) as u32,
    /// Host configuration bits.
    CONTROL0 = offset_of!(EmmcRegisters, CONTROL0) as u32,
    /// Host configuration bits: clock and resets.
    CONTROL1 = offset_of!(EmmcRegisters, CONTROL1) as u32,
    /// Interrupt flags.
    INTERRUPT = offset_of!(EmmcRegisters, INTERRUPT) as u32,
    /// Interrupt flag enable.
    IRPT_MASK = offset_of!(EmmcRegisters, IRPT_MASK) as u32,
    /// Interrupt generation enable.
    IRPT_EN = offset_of!(EmmcRegisters, IRPT_EN) as u32,
    /// Host configuration bits.
    CONTROL2 = offset_of!(EmmcRegisters, CONTROL2) as u32,
    /// Capabilities, bits 31:0 (SDHCI; not in the datasheet).
    CAPABILITIES_0 = offset_of!(EmmcRegisters, CAPABILITIES_0) as u32,
    /// Capabilities, bits 63:32 (SDHCI; not in the datasheet).
    CAPABILITIES_1 = offset_of!(EmmcRegisters, CAPABILITIES_1) as u32,
    /// Force an interrupt event.
    FORCE_IRPT = offset_of!(EmmcRegisters, FORCE_IRPT) as u32,
    /// Timeout in boot mode.
    BOOT_TIMEOUT = offset_of!(EmmcRegisters, BOOT_TIMEOUT) as u32,
    /// Debug bus configuration.
    DBG_SEL = offset_of!(EmmcRegisters, DBG_SEL) as u32,
    /// Extension FIFO configuration.
    EXRDFIFO_CFG = offset_of!(EmmcRegisters, EXRDFIFO_CFG) as u32,
    /// Extension FIFO enable.
    EXRDFIFO_EN = offset_of!(EmmcRegisters, EXRDFIFO_EN) as u32,
    /// Delay per card clock tuning step.
    TUNE_STEP = offset_of!(EmmcRegisters, TUNE_STEP) as u32,
    /// Card clock tuning steps for SDR.
    TUNE_STEPS_STD = offset_of!(EmmcRegisters, TUNE_STEPS_STD) as u32,
    /// Card clock tuning steps for DDR.
    TUNE_STEPS_DDR = offset_of!(EmmcRegisters, TUNE_STEPS_DDR) as u32,
    /// SPI interrupt support.
    SPI_INT_SPT = offset_of!(EmmcRegisters, SPI_INT_SPT) as u32,
    /// Slot interrupt status and version.
    SLOTISR_VER = offset_of!(EmmcRegisters, SLOTISR_VER) as u32,
}

/// The Arasan vendor version the Pi's EMMC reports.
const VENDOR_VERSION: u32 = 0x99;
/// The EMMC clock (mailbox clock id 1) in MHz.
const BASE_CLOCK_MHZ: u32 = 250;

// ANCHOR: no_card
/// STATUS with no card: detect stable, nothing inserted, the lines high.
const STATUS_NO_CARD: u32 = STATUS::CARD_STATE_STABLE::SET.value
    | STATUS::CMD_LEVEL::SET.value
    | STATUS::DAT_LEVEL0::SET.value
    | STATUS::DAT_LEVEL1::SET.value;
// ANCHOR_END: no_card
/// What CAPABILITIES_0 reports (see the module documentation).
const CAPABILITIES: u32 = CAPABILITIES_0::VOLTAGE_3V3::SET.value
    | CAPABILITIES_0::HIGH_SPEED::SET.value
    | CAPABILITIES_0::BASE_CLOCK.val(BASE_CLOCK_MHZ).value;
/// SLOTISR_VER.
const VERSION: u32 = SLOTISR_VER::VENDOR.val(VENDOR_VERSION).value
    | SLOTISR_VER::SDVERSION.val(SD_HOST_SPEC_3_00).value;
/// CONTROL1 bits that keep what is written.
const CONTROL1_WRITABLE: u32 = CONTROL1::DATA_TOUNIT::SET.value
    | CONTROL1::CLK_FREQ8::SET.value
    | CONTROL1::CLK_FREQ_MS2::SET.value
    | CONTROL1::CLK_GENSEL::SET.value
    | CONTROL1::CLK_EN::SET.value
    | CONTROL1::CLK_INTLEN::SET.value;
/// The error flags, INTERRUPT bits 31:16.
const ERROR_FLAGS: u32 = 0xffff_0000;
/// The command flags SRST_CMD clears: CMD_DONE and the command errors
/// (timeout, CRC, end bit, index: bits 16-19).
const COMMAND_FLAGS: u32 = INTERRUPT::CMD_DONE::SET.value | (0b1111 << 16);
/// The data flags SRST_DATA clears: the normal flags other than CMD_DONE
/// and the data errors (timeout, CRC, end bit: bits 20-22).
const DATA_FLAGS: u32 = 0x7ffe | (0b111 << 20);

/// The registers that only hold what is written, in offset order.
const REGISTER_FILE: [u32; 15] = [
    ARG2,
    BLKSIZECNT,
    ARG1,
    CONTROL0,
    IRPT_MASK,
    IRPT_EN,
    CONTROL2,
    FORCE_IRPT,
    BOOT_TIMEOUT,
    DBG_SEL,
    EXRDFIFO_CFG,
    EXRDFIFO_EN,
    TUNE_STEP,
    TUNE_STEPS_STD,
    TUNE_STEPS_DDR,
];

/// The EMMC controller with no card.
pub struct Emmc {
    /// The plain registers, in [`REGISTER_FILE`] order.
    file: [u32; REGISTER_FILE.len()],
    cmdtm: u32,
    control1: u32,
    /// INTERRUPT's flags, without the ERR summary.
    interrupt: u32,
    spi_int_spt: u32,
}

impl Emmc {
    /// The controller at power-on: every register 0.
    pub const fn new() -> Self {
        Self {
            file: [0; REGISTER_FILE.len()],
            cmdtm: 0,
            control1: 0,
            interrupt: 0,
            spi_int_spt: 0,
        }
    }

    /// The register-file slot of `offset`, if it is a plain register.
    fn slot(offset: u32) -> Option<usize> {
        REGISTER_FILE.iter().position(|&o| o == offset)
    }

    /// A plain register's value.
    fn plain(&self, offset: u32) -> u32 {
        Self::slot(offset).map_or(0, |i| self.file[i])
    }

    /// Raise interrupt flags, as far as IRPT_MASK lets them appear.
    fn flag(&mut self, flags: u32) {
        self.interrupt |= flags & self.plain(IRPT_MASK);
    }

    // ANCHOR: command
    /// A command written to CMDTM: over at once, since no card answers.
    fn command(&mut self, value: u32) {
        self.cmdtm = value;
        if CMDTM::CMD_RSPNS_TYPE.read_as_enum(value)
            == Some(CMDTM::CMD_RSPNS_TYPE::Value::NoResponse)
        {
            self.flag(INTERRUPT::CMD_DONE::SET.value);
        } else {
            self.flag(INTERRUPT::CTO_ERR::SET.value);
        }
    }
    // ANCHOR_END: command

    /// INTERRUPT as read: the flags and their ERR summary.
    fn interrupt(&self) -> u32 {
        let summary = if self.interrupt & ERROR_FLAGS != 0 {
            INTERRUPT::ERR::SET.value
        } else {
            0
        };
        self.interrupt | summary
    }

    /// A write to CONTROL1: the clock settings, and the resets, which are
    /// done at once.
    fn control1(&mut self, value: u32) {
        if CONTROL1::SRST_HC.is_set(value) {
            *self = Self::new();
            return;
        }
        if CONTROL1::SRST_CMD.is_set(value) {
            self.interrupt &= !COMMAND_FLAGS;
        }
        if CONTROL1::SRST_DATA.is_set(value) {
            self.interrupt &= !DATA_FLAGS;
        }
        self.control1 = value & CONTROL1_WRITABLE;
    }

    /// CONTROL1 as read: the clock is stable once it is enabled.
    fn control1_value(&self) -> u32 {
        let stable = if CONTROL1::CLK_INTLEN.is_set(self.control1) {
            CONTROL1::CLK_STABLE::SET.value
        } else {
            0
        };
        self.control1 | stable
    }
}

impl Default for Emmc {
    fn default() -> Self {
        Self::new()
    }
}

impl Device for Emmc {
    fn read(&mut self, offset: u32, _env: &mut dyn VmEnv) -> Reg {
        let value = match offset {
            CMDTM => self.cmdtm,
            STATUS => STATUS_NO_CARD,
            CONTROL1 => self.control1_value(),
            INTERRUPT => self.interrupt(),
            CAPABILITIES_0 => CAPABILITIES,
            SPI_INT_SPT => self.spi_int_spt,
            SLOTISR_VER => VERSION,
            // RESP0-3, DATA, CAPABILITIES_1 and reserved offsets.
            _ => self.plain(offset),
        };
        Reg {
            name: register_name(offset),
            value,
        }
    }

    fn write(&mut self, offset: u32, value: u32, _env: &mut dyn VmEnv) -> &'static str {
        match offset {
            CMDTM => self.command(value),
            CONTROL1 => self.control1(value),
            INTERRUPT => self.interrupt &= !value,
            SPI_INT_SPT => self.spi_int_spt = value,
            _ => {
                if let Some(i) = Self::slot(offset) {
                    self.file[i] = value;
                }
            }
        }
        register_name(offset)
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_env::{exercise, op_strategy, FakeEnv};
    use super::*;
    use proptest::prelude::*;

    const CARD_INSERTED: u32 = 1 << 16;
    const CMD_DONE: u32 = 1;
    const ERR: u32 = 1 << 15;
    const CTO_ERR: u32 = 1 << 16;
    /// U-Boot's SDHCI_INT_DATA_MASK | SDHCI_INT_CMD_MASK.
    const UBOOT_MASK: u32 = 0x027f_003b;
    const SEND_IF_COND_R7: u32 = (8 << 24) | (0b10 << 16);
    const GO_IDLE_STATE: u32 = 0;

    fn read(e: &mut Emmc, offset: u32) -> u32 {
        e.read(offset, &mut FakeEnv::new()).value
    }

    fn write(e: &mut Emmc, offset: u32, value: u32) {
        e.write(offset, value, &mut FakeEnv::new());
    }

    #[test]
    fn no_card_is_inserted_and_nothing_is_inhibited() {
        let mut e = Emmc::new();
        let status = read(&mut e, STATUS);
        assert_eq!(status & CARD_INSERTED, 0);
        assert_eq!(status & 0b11, 0, "CMD_INHIBIT and DAT_INHIBIT clear");
        assert_eq!(status, 0x1ff2_0000);
    }

    #[test]
    fn version_and_capabilities() {
        let mut e = Emmc::new();
        assert_eq!(read(&mut e, SLOTISR_VER), 0x9902_0000);
        let caps = read(&mut e, CAPABILITIES_0);
        assert_eq!((caps >> 8) & 0xff, 250, "base clock in MHz");
        assert_ne!(caps & (1 << 24), 0, "3.3 V");
        assert_eq!(caps & (1 << 22 | 1 << 19), 0, "no DMA");
        assert_eq!(read(&mut e, CAPABILITIES_1), 0);
    }

    #[test]
    fn a_command_times_out_or_completes_and_the_flags_clear() {
        let mut e = Emmc::new();
        write(&mut e, IRPT_MASK, UBOOT_MASK);
        write(&mut e, CMDTM, SEND_IF_COND_R7);
        assert_eq!(read(&mut e, INTERRUPT), CTO_ERR | ERR);
        assert_eq!(read(&mut e, RESP0), 0);
        write(&mut e, INTERRUPT, u32::MAX);
        assert_eq!(read(&mut e, INTERRUPT), 0);
        write(&mut e, CMDTM, GO_IDLE_STATE);
        assert_eq!(read(&mut e, INTERRUPT), CMD_DONE);
    }

    #[test]
    fn flags_appear_only_where_irpt_mask_allows() {
        let mut e = Emmc::new();
        write(&mut e, CMDTM, SEND_IF_COND_R7);
        assert_eq!(read(&mut e, INTERRUPT), 0);
        write(&mut e, IRPT_MASK, CMD_DONE);
        write(&mut e, CMDTM, SEND_IF_COND_R7);
        assert_eq!(read(&mut e, INTERRUPT), 0, "CTO_ERR masked");
    }

    #[test]
    fn the_clock_is_stable_once_enabled_and_resets_are_instant() {
        let mut e = Emmc::new();
        const CLK_INTLEN: u32 = 1;
        const CLK_STABLE: u32 = 1 << 1;
        const SRST_HC: u32 = 1 << 24;
        const SRST_CMD: u32 = 1 << 25;
        let divider = 0x80 << 8;
        write(&mut e, CONTROL1, divider | CLK_INTLEN);
        assert_eq!(read(&mut e, CONTROL1), divider | CLK_INTLEN | CLK_STABLE);
        // SRST_CMD clears the command flags and reads back 0.
        write(&mut e, IRPT_MASK, UBOOT_MASK);
        write(&mut e, CMDTM, SEND_IF_COND_R7);
        write(&mut e, CONTROL1, divider | CLK_INTLEN | SRST_CMD);
        assert_eq!(read(&mut e, INTERRUPT), 0);
        assert_eq!(read(&mut e, CONTROL1) & SRST_CMD, 0);
        // SRST_HC: everything back to power-on.
        write(&mut e, CONTROL0, 0xf00);
        write(&mut e, CONTROL1, SRST_HC);
        assert_eq!(read(&mut e, CONTROL1), 0);
        assert_eq!(read(&mut e, CONTROL0), 0);
        assert_eq!(read(&mut e, IRPT_MASK), 0);
    }

    #[test]
    fn register_files_keep_what_is_written() {
        let mut e = Emmc::new();
        for offset in REGISTER_FILE.into_iter().chain([SPI_INT_SPT]) {
            write(&mut e, offset, 0x1234_5678 ^ offset);
            assert_eq!(
                read(&mut e, offset),
                0x1234_5678 ^ offset,
                "{}",
                register_name(offset)
            );
        }
        write(&mut e, DATA, 1);
        write(&mut e, STATUS, 0);
        assert_eq!(read(&mut e, DATA), 0);
        assert_eq!(read(&mut e, STATUS), STATUS_NO_CARD);
        assert_eq!(e.read(0x60, &mut FakeEnv::new()).name, "reserved");
    }

    proptest! {
        #[test]
        fn never_panics_and_the_card_never_appears(
            ops in proptest::collection::vec(op_strategy(SIZE as u32 + 8), 0..100)
        ) {
            let mut e = Emmc::new();
            exercise(&mut e, &mut FakeEnv::new(), &ops);
            prop_assert_eq!(read(&mut e, STATUS), STATUS_NO_CARD);
            prop_assert_eq!(read(&mut e, CONTROL1) & (0b111 << 24), 0, "resets are done");
        }
    }
}
