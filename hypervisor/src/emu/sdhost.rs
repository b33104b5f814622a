//! The SD host controller, SDHOST (bus address 0x7E20_2000): Broadcom's own
//! SD card interface, which the Pi 3 firmware, Linux and U-Boot use for the
//! SD card slot (the Arasan controller, `emu::emmc`, serves the WiFi chip on
//! a Pi 3). The BCM2835 datasheet does not document it; the register and
//! bit names are those of the Linux and U-Boot `bcm2835-sdhost` drivers.
//!
//! The virtual board has no SD card: the model is the controller with an
//! empty slot, and tells a driver so as quickly as the hardware would.
//!
//! - A command is started by writing SDCMD with NEW_FLAG set. It completes
//!   at once: NEW_FLAG reads 0 again. A command that expects a response
//!   fails as it does on an empty bus, where no card ever answers: SDCMD
//!   reads back with FAIL_FLAG set, SDHSTS has CMD_TIME_OUT, and the
//!   response registers hold 0. A command sent with NO_RESPONSE (CMD0,
//!   GO_IDLE_STATE) succeeds: there was nothing to wait for. So a driver's
//!   card identification ends after a handful of commands with a timeout
//!   error ("Card did not respond to voltage select! : -110" in U-Boot),
//!   instead of polling for a card that is not there.
//! - SDHSTS's error and interrupt flags are write-1-to-clear.
//! - SDEDM shows the state machine idle in IDENTMODE with an empty FIFO;
//!   its FIFO threshold fields keep what is written.
//! - SDDATA reads 0 and ignores writes: no data ever moves.
//! - SDARG, SDTOUT, SDCDIV, SDVDD, SDHCFG, SDHBCT and SDHBLC keep what is
//!   written (their implemented bits).
//! - No interrupt is raised; a guest polls (U-Boot does). The controller's
//!   state at power-on is its reset state: the firmware's last command done
//!   and its flags cleared.

use super::{register_offsets, Device, Reg, VmEnv};
use core::mem::offset_of;
use raspi3b::sdhost::{Registers as SdhostRegisters, SDCMD, SDEDM, SDHCFG, SDHSTS, SDVDD};

/// The SD host registers (bus address 0x7E20_2000).
pub const BASE: u64 = raspi3b::map::SDHOST_BASE.as_u64();
/// Bytes of registers: SDCMD to SDHBLC.
pub const SIZE: u64 = 0x54;

register_offsets! {
    /// Command to SD card.
    SDCMD = offset_of!(SdhostRegisters, SDCMD) as u32,
    /// Argument to SD card.
    SDARG = offset_of!(SdhostRegisters, SDARG) as u32,
    /// Start value for the timeout counter.
    SDTOUT = offset_of!(SdhostRegisters, SDTOUT) as u32,
    /// Start value for the clock divider.
    SDCDIV = offset_of!(SdhostRegisters, SDCDIV) as u32,
    /// SD card response, bits 31:0.
    SDRSP0 = offset_of!(SdhostRegisters, SDRSP0) as u32,
    /// SD card response, bits 63:32.
    SDRSP1 = offset_of!(SdhostRegisters, SDRSP1) as u32,
    /// SD card response, bits 95:64.
    SDRSP2 = offset_of!(SdhostRegisters, SDRSP2) as u32,
    /// SD card response, bits 127:96.
    SDRSP3 = offset_of!(SdhostRegisters, SDRSP3) as u32,
    /// SD host status.
    SDHSTS = offset_of!(SdhostRegisters, SDHSTS) as u32,
    /// SD card power control.
    SDVDD = offset_of!(SdhostRegisters, SDVDD) as u32,
    /// Emergency debug mode.
    SDEDM = offset_of!(SdhostRegisters, SDEDM) as u32,
    /// Host configuration.
    SDHCFG = offset_of!(SdhostRegisters, SDHCFG) as u32,
    /// Host byte count (debug).
    SDHBCT = offset_of!(SdhostRegisters, SDHBCT) as u32,
    /// Data to/from the SD card.
    SDDATA = offset_of!(SdhostRegisters, SDDATA) as u32,
    /// Host block count (SDIO/SDHC).
    SDHBLC = offset_of!(SdhostRegisters, SDHBLC) as u32,
}

/// SDCMD bits that hold the command (everything but the status flags).
const SDCMD_COMMAND_BITS: u32 = SDCMD::BUSYWAIT::SET.value
    | SDCMD::NO_RESPONSE::SET.value
    | SDCMD::LONG_RESPONSE::SET.value
    | SDCMD::WRITE_CMD::SET.value
    | SDCMD::READ_CMD::SET.value
    | SDCMD::CMD::SET.value;
/// SDHSTS flags (write 1 to clear).
const SDHSTS_FLAGS: u32 = SDHSTS::BUSY_IRPT::SET.value
    | SDHSTS::BLOCK_IRPT::SET.value
    | SDHSTS::SDIO_IRPT::SET.value
    | SDHSTS::REW_TIME_OUT::SET.value
    | SDHSTS::CMD_TIME_OUT::SET.value
    | SDHSTS::CRC16_ERROR::SET.value
    | SDHSTS::CRC7_ERROR::SET.value
    | SDHSTS::FIFO_ERROR::SET.value
    | SDHSTS::DATA_FLAG::SET.value;
/// SDEDM bits that keep what is written: the two FIFO thresholds.
const SDEDM_WRITABLE: u32 = SDEDM::READ_THRESHOLD::SET.value | SDEDM::WRITE_THRESHOLD::SET.value;
/// SDHCFG's implemented bits.
const SDHCFG_WRITABLE: u32 = SDHCFG::BUSY_IRPT_EN::SET.value
    | SDHCFG::BLOCK_IRPT_EN::SET.value
    | SDHCFG::SDIO_IRPT_EN::SET.value
    | SDHCFG::DATA_IRPT_EN::SET.value
    | SDHCFG::SLOW_CARD::SET.value
    | SDHCFG::WIDE_EXT_BUS::SET.value
    | SDHCFG::WIDE_INT_BUS::SET.value
    | SDHCFG::REL_CMD_LINE::SET.value;
/// SDCDIV is an 11-bit divider.
const SDCDIV_MASK: u32 = (1 << 11) - 1;
/// SDHBLC is a 9-bit block count.
const SDHBLC_MASK: u32 = (1 << 9) - 1;

/// The SD host controller with an empty slot.
pub struct SdHost {
    /// The last command written, without NEW_FLAG, with FAIL_FLAG if it
    /// failed.
    sdcmd: u32,
    sdarg: u32,
    sdtout: u32,
    sdcdiv: u32,
    sdhsts: u32,
    sdvdd: u32,
    sdedm: u32,
    sdhcfg: u32,
    sdhbct: u32,
    sdhblc: u32,
}

impl SdHost {
    /// The controller at power-on: idle, no command, no flags.
    pub const fn new() -> Self {
        Self {
            sdcmd: 0,
            sdarg: 0,
            sdtout: 0,
            sdcdiv: 0,
            sdhsts: 0,
            sdvdd: 0,
            sdedm: 0,
            sdhcfg: 0,
            sdhbct: 0,
            sdhblc: 0,
        }
    }

    // ANCHOR: command
    /// Run the command written to SDCMD on a bus with no card: it is over
    /// at once, and fails with a timeout unless it expects no response.
    fn command(&mut self, value: u32) {
        self.sdcmd = value & SDCMD_COMMAND_BITS;
        if !SDCMD::NEW_FLAG.is_set(value) {
            return; // Writing without NEW_FLAG starts nothing.
        }
        if !SDCMD::NO_RESPONSE.is_set(value) {
            self.sdcmd |= SDCMD::FAIL_FLAG::SET.value;
            self.sdhsts |= SDHSTS::CMD_TIME_OUT::SET.value;
        }
    }
    // ANCHOR_END: command
}

impl Default for SdHost {
    fn default() -> Self {
        Self::new()
    }
}

impl Device for SdHost {
    fn read(&mut self, offset: u32, _env: &mut dyn VmEnv) -> Reg {
        let value = match offset {
            SDCMD => self.sdcmd,
            SDARG => self.sdarg,
            SDTOUT => self.sdtout,
            SDCDIV => self.sdcdiv,
            SDHSTS => self.sdhsts,
            SDVDD => self.sdvdd,
            // The state machine idles in IDENTMODE with an empty FIFO.
            SDEDM => self.sdedm | SDEDM::FSM::IdentMode.value,
            SDHCFG => self.sdhcfg,
            SDHBCT => self.sdhbct,
            SDHBLC => self.sdhblc,
            // No card ever answered: SDRSP0-3 and SDDATA hold nothing.
            _ => 0,
        };
        Reg {
            name: register_name(offset),
            value,
        }
    }

    fn write(&mut self, offset: u32, value: u32, _env: &mut dyn VmEnv) -> &'static str {
        match offset {
            SDCMD => self.command(value),
            SDARG => self.sdarg = value,
            SDTOUT => self.sdtout = value,
            SDCDIV => self.sdcdiv = value & SDCDIV_MASK,
            SDHSTS => self.sdhsts &= !(value & SDHSTS_FLAGS),
            SDVDD => self.sdvdd = value & SDVDD::POWER_ON::SET.value,
            SDEDM => self.sdedm = value & SDEDM_WRITABLE,
            SDHCFG => self.sdhcfg = value & SDHCFG_WRITABLE,
            SDHBCT => self.sdhbct = value,
            SDHBLC => self.sdhblc = value & SDHBLC_MASK,
            // The responses are read-only; SDDATA has nowhere to go.
            _ => {}
        }
        register_name(offset)
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_env::{exercise, op_strategy, FakeEnv};
    use super::*;
    use proptest::prelude::*;

    const GO_IDLE_STATE: u32 = 0;
    const SEND_IF_COND: u32 = 8;
    const NEW: u32 = 1 << 15;
    const FAIL: u32 = 1 << 14;
    const NO_RESPONSE: u32 = 1 << 10;
    const CMD_TIME_OUT: u32 = 1 << 6;

    fn read(s: &mut SdHost, offset: u32) -> u32 {
        s.read(offset, &mut FakeEnv::new()).value
    }

    fn write(s: &mut SdHost, offset: u32, value: u32) {
        s.write(offset, value, &mut FakeEnv::new());
    }

    #[test]
    fn power_on_state_is_idle() {
        let mut s = SdHost::new();
        for offset in [SDCMD, SDHSTS, SDEDM, SDVDD, SDHCFG, SDRSP0, SDDATA] {
            assert_eq!(read(&mut s, offset), 0, "{}", register_name(offset));
        }
    }

    // ANCHOR: no_card_test
    #[test]
    fn a_command_that_wants_a_response_times_out_at_once() {
        let mut s = SdHost::new();
        write(&mut s, SDARG, 0x1aa);
        write(&mut s, SDCMD, NEW | SEND_IF_COND);
        let sdcmd = read(&mut s, SDCMD);
        assert_eq!(sdcmd & NEW, 0, "the command is over");
        assert_eq!(sdcmd, FAIL | SEND_IF_COND);
        assert_eq!(read(&mut s, SDHSTS), CMD_TIME_OUT);
        assert_eq!(read(&mut s, SDRSP0), 0, "nobody answered");
        // The driver clears the error before the next command.
        write(&mut s, SDHSTS, CMD_TIME_OUT);
        assert_eq!(read(&mut s, SDHSTS), 0);
    }
    // ANCHOR_END: no_card_test

    #[test]
    fn a_command_without_response_succeeds() {
        let mut s = SdHost::new();
        write(&mut s, SDCMD, NEW | NO_RESPONSE | GO_IDLE_STATE);
        assert_eq!(read(&mut s, SDCMD), NO_RESPONSE | GO_IDLE_STATE);
        assert_eq!(read(&mut s, SDHSTS), 0);
    }

    #[test]
    fn writing_sdcmd_without_new_flag_starts_nothing() {
        let mut s = SdHost::new();
        write(&mut s, SDCMD, 0);
        assert_eq!(read(&mut s, SDCMD), 0);
        assert_eq!(read(&mut s, SDHSTS), 0);
    }

    #[test]
    fn sdhsts_flags_clear_only_where_one_is_written() {
        let mut s = SdHost::new();
        write(&mut s, SDCMD, NEW | SEND_IF_COND);
        write(&mut s, SDHSTS, !CMD_TIME_OUT);
        assert_eq!(read(&mut s, SDHSTS), CMD_TIME_OUT);
        write(&mut s, SDHSTS, SDHSTS_FLAGS);
        assert_eq!(read(&mut s, SDHSTS), 0);
    }

    #[test]
    fn edm_keeps_its_thresholds_and_shows_an_idle_empty_fifo() {
        let mut s = SdHost::new();
        let thresholds = (4 << 14) | (4 << 9);
        write(&mut s, SDEDM, u32::MAX);
        assert_eq!(read(&mut s, SDEDM), SDEDM_WRITABLE);
        write(&mut s, SDEDM, thresholds | 0xf);
        assert_eq!(read(&mut s, SDEDM), thresholds, "FSM IDENTMODE, FIFO 0");
    }

    #[test]
    fn register_files_keep_their_implemented_bits() {
        let mut s = SdHost::new();
        for (offset, mask) in [
            (SDARG, u32::MAX),
            (SDTOUT, u32::MAX),
            (SDCDIV, 0x7ff),
            (SDVDD, 1),
            (SDHCFG, SDHCFG_WRITABLE),
            (SDHBCT, u32::MAX),
            (SDHBLC, 0x1ff),
        ] {
            write(&mut s, offset, u32::MAX);
            assert_eq!(read(&mut s, offset), mask, "{}", register_name(offset));
        }
        write(&mut s, SDRSP0, u32::MAX);
        write(&mut s, SDDATA, u32::MAX);
        assert_eq!(read(&mut s, SDRSP0), 0);
        assert_eq!(read(&mut s, SDDATA), 0);
    }

    #[test]
    fn names_are_the_drivers() {
        let mut s = SdHost::new();
        assert_eq!(s.read(SDEDM, &mut FakeEnv::new()).name, "SDEDM");
        assert_eq!(s.write(SDHBLC, 0, &mut FakeEnv::new()), "SDHBLC");
        assert_eq!(s.read(0x24, &mut FakeEnv::new()).name, "reserved");
    }

    proptest! {
        #[test]
        fn never_panics_and_never_looks_busy(
            ops in proptest::collection::vec(op_strategy(SIZE as u32 + 8), 0..100)
        ) {
            let mut s = SdHost::new();
            exercise(&mut s, &mut FakeEnv::new(), &ops);
            // A driver polling for NEW_FLAG to clear never waits.
            prop_assert_eq!(read(&mut s, SDCMD) & NEW, 0);
            prop_assert_eq!(read(&mut s, SDEDM) & 0x1ff, 0);
        }
    }
}
