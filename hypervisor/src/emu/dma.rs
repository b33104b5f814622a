//! The DMA controller (bus address 0x7E00_7000, BCM2835 datasheet chapter 4):
//! channels 0-14, each a block of control registers, plus the global
//! interrupt status and enable registers. (Channel 15 lives elsewhere, at
//! 0x7EE0_5000, and is not modelled: it reads as absent.)
//!
//! Linux's `bcm2835-dma` probes the controller at boot: for every channel the
//! device tree offers (`brcm,dma-channel-mask`) it reads DEBUG to learn whether
//! the channel is a "lite" one, and it pauses, aborts and resets channels
//! through CS when it frees them. The model answers those as the hardware
//! does:
//!
//! - DEBUG says LITE for channels 7-14, as on the BCM2835, with version 2 and
//!   the channel number as DMA_ID. Its error flags are write-1-to-clear.
//! - CS: END and INT are write-1-to-clear; RESET and ABORT act at once and
//!   read 0 (a reset clears the channel's registers); PRIORITY, PANIC_PRIORITY,
//!   WAIT_FOR_OUTSTANDING_WRITES and DISDEBUG keep what is written. An idle
//!   channel never reports PAUSED or WAITING, so a driver waiting for an
//!   abort to finish sees it finished.
//! - CONBLK_AD keeps what is written; the control block registers it would
//!   load (TI, SOURCE_AD, ...) read 0.
//! - INT_STATUS has bit n set while channel n's INT is; ENABLE keeps its 15
//!   bits and is all ones at power-on, as the firmware leaves it.
//!
//! The virtual board's DMA engine moves no data. A transfer started on a
//! channel (ACTIVE set with a control block address) ends at once with an
//! error, as a transfer the engine could not read would: CS.ERROR and
//! DEBUG.READ_ERROR set, ACTIVE clear, and no interrupt. A driver sees a
//! failed transfer rather than one that never ends. No driver in the Linux
//! guest's boot starts one (the SD card and audio drivers that would are
//! modules it does not load, and the board has no SD card).

use super::{Device, Reg, VmEnv, RESERVED};
use crate::board::DMA_BASE;
use tock_registers::register_bitfields;

/// The DMA controller (bus address 0x7E00_7000).
pub const BASE: u64 = DMA_BASE.as_u64();
/// Bytes of registers: channels 0-14 and the global registers.
pub const SIZE: u64 = 0x1000;

/// Channels in this block.
pub const CHANNELS: usize = 15;
/// Bytes between two channels' registers.
const CHANNEL_STRIDE: u32 = 0x100;
/// The first lite channel (7-14 are lite on the BCM2835).
const FIRST_LITE: usize = 7;

/// The channel registers, at offsets inside a channel's block.
const CS: u32 = 0x00;
const CONBLK_AD: u32 = 0x04;
const TI: u32 = 0x08;
const SOURCE_AD: u32 = 0x0c;
const DEST_AD: u32 = 0x10;
const TXFR_LEN: u32 = 0x14;
const STRIDE: u32 = 0x18;
const NEXTCONBK: u32 = 0x1c;
const DEBUG: u32 = 0x20;
/// Interrupt status of all channels.
pub const INT_STATUS: u32 = 0xfe0;
/// Global enable bits of all channels.
pub const ENABLE: u32 = 0xff0;

register_bitfields! {u32,
    /// Control and status.
    CS [
        /// Reset the channel.
        RESET OFFSET(31) NUMBITS(1) [],
        /// Abort the current control block.
        ABORT OFFSET(30) NUMBITS(1) [],
        /// Disable debug pause.
        DISDEBUG OFFSET(29) NUMBITS(1) [],
        /// Wait for outstanding writes.
        WAIT_FOR_OUTSTANDING_WRITES OFFSET(28) NUMBITS(1) [],
        /// AXI panic priority.
        PANIC_PRIORITY OFFSET(20) NUMBITS(4) [],
        /// AXI priority.
        PRIORITY OFFSET(16) NUMBITS(4) [],
        /// An error was detected (see DEBUG).
        ERROR OFFSET(8) NUMBITS(1) [],
        /// Interrupt status (write 1 to clear).
        INT OFFSET(2) NUMBITS(1) [],
        /// Transfer complete (write 1 to clear).
        END OFFSET(1) NUMBITS(1) [],
        /// Activate the DMA.
        ACTIVE OFFSET(0) NUMBITS(1) []
    ],
    /// Debug.
    DEBUG [
        /// A lite channel.
        LITE OFFSET(28) NUMBITS(1) [],
        /// The DMA's version.
        VERSION OFFSET(25) NUMBITS(3) [],
        /// The channel's AXI id.
        DMA_ID OFFSET(8) NUMBITS(8) [],
        /// A slave read error (write 1 to clear).
        READ_ERROR OFFSET(2) NUMBITS(1) [],
        /// A FIFO error (write 1 to clear).
        FIFO_ERROR OFFSET(1) NUMBITS(1) [],
        /// Read last not set (write 1 to clear).
        READ_LAST_NOT_SET_ERROR OFFSET(0) NUMBITS(1) []
    ]
}

/// The DMA engine's version in DEBUG.
const DMA_VERSION: u32 = 2;
/// CS bits a write keeps.
const CS_KEPT: u32 = 0x30ff_0000;
/// CS bits a write of 1 clears.
const CS_W1C: u32 = 0b110;
/// DEBUG's write-1-to-clear error bits.
const DEBUG_ERRORS: u32 = 0b111;
/// ENABLE's channel bits.
const ENABLE_MASK: u32 = (1 << CHANNELS) - 1;

/// One channel's state.
#[derive(Clone, Copy)]
struct Channel {
    cs: u32,
    conblk_ad: u32,
    debug_errors: u32,
}

impl Channel {
    const IDLE: Channel = Channel {
        cs: 0,
        conblk_ad: 0,
        debug_errors: 0,
    };
}

/// The DMA controller's registers.
pub struct Dma {
    channels: [Channel; CHANNELS],
    enable: u32,
}

impl Default for Dma {
    fn default() -> Self {
        Self::new()
    }
}

/// A channel register's datasheet name.
fn channel_register(offset: u32) -> &'static str {
    match offset {
        CS => "CS",
        CONBLK_AD => "CONBLK_AD",
        TI => "TI",
        SOURCE_AD => "SOURCE_AD",
        DEST_AD => "DEST_AD",
        TXFR_LEN => "TXFR_LEN",
        STRIDE => "STRIDE",
        NEXTCONBK => "NEXTCONBK",
        DEBUG => "DEBUG",
        _ => RESERVED,
    }
}

impl Dma {
    /// The controller at power-on: every channel idle and enabled.
    pub const fn new() -> Self {
        Self {
            channels: [Channel::IDLE; CHANNELS],
            enable: ENABLE_MASK,
        }
    }

    /// Whether channel `n` raises its interrupt (CS.INT); none ever does, as
    /// no transfer completes, but a guest can see the flag clear.
    pub fn interrupt(&self, n: usize) -> bool {
        self.channels.get(n).is_some_and(|c| CS::INT.is_set(c.cs))
    }

    fn debug(n: usize, c: &Channel) -> u32 {
        let lite = u32::from(n >= FIRST_LITE);
        (lite << DEBUG::LITE.shift)
            | (DMA_VERSION << DEBUG::VERSION.shift)
            | ((n as u32) << DEBUG::DMA_ID.shift)
            | c.debug_errors
    }

    fn write_cs(&mut self, n: usize, value: u32) {
        let c = &mut self.channels[n];
        if CS::RESET.is_set(value) {
            *c = Channel::IDLE;
            return;
        }
        // ABORT: nothing is running, the channel is idle at once.
        let cleared = c.cs & !(value & CS_W1C);
        c.cs = (cleared & !CS_KEPT) | (value & CS_KEPT);
        if CS::ACTIVE.is_set(value) && c.conblk_ad != 0 {
            // No engine behind the registers: the transfer fails at once.
            c.cs |= 1 << CS::ERROR.shift;
            c.debug_errors |= 1 << DEBUG::READ_ERROR.shift;
        }
    }
}

impl Device for Dma {
    fn read(&mut self, offset: u32, _env: &mut dyn VmEnv) -> Reg {
        let (name, value) = match offset {
            INT_STATUS => (
                "INT_STATUS",
                (0..CHANNELS).fold(0, |s, n| s | u32::from(self.interrupt(n)) << n),
            ),
            ENABLE => ("ENABLE", self.enable),
            _ => {
                let n = (offset / CHANNEL_STRIDE) as usize;
                let reg = offset % CHANNEL_STRIDE;
                match self.channels.get(n) {
                    None => (RESERVED, 0),
                    Some(c) => {
                        let value = match reg {
                            CS => c.cs,
                            CONBLK_AD => c.conblk_ad,
                            DEBUG => Self::debug(n, c),
                            _ => 0,
                        };
                        (channel_register(reg), value)
                    }
                }
            }
        };
        Reg { name, value }
    }

    fn write(&mut self, offset: u32, value: u32, _env: &mut dyn VmEnv) -> &'static str {
        match offset {
            INT_STATUS => "INT_STATUS",
            ENABLE => {
                self.enable = value & ENABLE_MASK;
                "ENABLE"
            }
            _ => {
                let n = (offset / CHANNEL_STRIDE) as usize;
                let reg = offset % CHANNEL_STRIDE;
                if n >= CHANNELS {
                    return RESERVED;
                }
                match reg {
                    CS => self.write_cs(n, value),
                    CONBLK_AD => self.channels[n].conblk_ad = value,
                    DEBUG => self.channels[n].debug_errors &= !(value & DEBUG_ERRORS),
                    _ => {}
                }
                channel_register(reg)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emu::test_env::{exercise, op_strategy, FakeEnv};
    use proptest::prelude::*;

    fn read(d: &mut Dma, offset: u32) -> u32 {
        d.read(offset, &mut FakeEnv::new()).value
    }

    fn write(d: &mut Dma, offset: u32, value: u32) {
        d.write(offset, value, &mut FakeEnv::new());
    }

    const LITE: u32 = 1 << 28;

    #[test]
    fn channels_7_to_14_are_lite_as_bcm2835_dma_reads_them() {
        let mut d = Dma::new();
        for n in 0..CHANNELS as u32 {
            let debug = read(&mut d, n * CHANNEL_STRIDE + DEBUG);
            assert_eq!(debug & LITE != 0, n >= 7, "channel {n}: {debug:#x}");
            assert_eq!((debug >> 8) & 0xff, n);
        }
        assert_eq!(read(&mut d, ENABLE), 0x7fff);
        assert_eq!(
            read(&mut d, 15 * CHANNEL_STRIDE),
            0,
            "channel 15 is elsewhere"
        );
    }

    #[test]
    fn a_started_transfer_fails_at_once_and_reset_clears_it() {
        let mut d = Dma::new();
        let ch = 2 * CHANNEL_STRIDE;
        write(&mut d, ch + CONBLK_AD, 0xc000_1000);
        write(&mut d, ch + CS, 1 | 8 << 16);
        let cs = read(&mut d, ch + CS);
        assert_eq!(cs & 1, 0, "not active");
        assert_ne!(cs & (1 << 8), 0, "ERROR");
        assert_eq!((cs >> 16) & 0xf, 8, "PRIORITY kept");
        assert_ne!(read(&mut d, ch + DEBUG) & (1 << 2), 0, "READ_ERROR");
        assert_eq!(read(&mut d, INT_STATUS), 0, "no interrupt");
        write(&mut d, ch + DEBUG, 0b111);
        assert_eq!(read(&mut d, ch + DEBUG) & 0b111, 0, "write 1 to clear");
        write(&mut d, ch + CS, 1 << 31);
        assert_eq!(read(&mut d, ch + CS), 0);
        assert_eq!(read(&mut d, ch + CONBLK_AD), 0);
        // ACTIVE without a control block does nothing.
        write(&mut d, ch + CS, 1);
        assert_eq!(read(&mut d, ch + CS) & (1 << 8), 0);
        // An abort on an idle channel: idle at once, never PAUSED.
        write(&mut d, ch + CS, 1 << 30);
        assert_eq!(read(&mut d, ch + CS) & (1 << 4 | 1 << 30), 0);
        write(&mut d, ENABLE, 0xffff_0001);
        assert_eq!(read(&mut d, ENABLE), 1);
    }

    proptest! {
        #[test]
        fn never_panics(ops in proptest::collection::vec(op_strategy(SIZE as u32), 0..200)) {
            let mut d = Dma::new();
            let mut env = FakeEnv::new();
            exercise(&mut d, &mut env, &ops);
        }
    }
}
