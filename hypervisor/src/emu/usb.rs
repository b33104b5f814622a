//! The USB controller (bus address 0x7E98_0000): a Synopsys DesignWare
//! "DWC2" USB 2.0 On-The-Go core, in host mode on a Pi 3. The BCM2835
//! datasheet leaves it out ("USB" is a chapter of pointers); register and
//! bit names are the Synopsys databook's, as the Linux and U-Boot `dwc2`
//! drivers use them.
//!
//! On a real Pi 3 the root port carries the LAN9514 hub with the Ethernet
//! adapter. The virtual board has nothing on it: the model is the core with
//! an empty root port, so a driver finds the controller, resets it,
//! powers the port and sees no device, as quickly as the hardware lets it.
//! U-Boot's `usb start` then reports "1 USB Device(s) found" (its own
//! emulated root hub) and "No ethernet found."
//!
//! - Identity: GSNPSID 0x4F54280A (core 2.80a), GHWCFG1-4 0x00000000,
//!   0x228DDD50 (internal DMA, dynamic FIFO, 8 host channels), 0x0FF000E8
//!   and 0x1FF00020, and GUID 0x2708A000: the values a Pi reads.
//! - GRSTCTL: the AHB master is always idle (AHBIDLE), and the core soft
//!   reset and the FIFO flushes are over at once (their bits read 0).
//! - GINTSTS: the core is in host mode (CURMODE_HOST); PRTINT and HCHINT
//!   summarise the port and the channels. The model sets no other event.
//! - HPRT0: nothing is connected (PRTCONNSTS 0), so the port is never
//!   enabled and no change is ever detected; power, reset, suspend, resume
//!   and test control keep what is written.
//! - HFNUM counts microframes (125 us) of the VM's time.
//! - Host channels 0-7: a channel disabled with CHEN and CHDIS halts at once
//!   (CHHLTD). A transfer started on the empty port ends at once in a
//!   transaction error (XACTERR and CHHLTD). HCINT is write-1-to-clear;
//!   HAINT shows the channels with an unmasked HCINT flag.
//! - The FIFO status registers show empty FIFOs: GNPTXSTS and HPTXSTS have
//!   the whole FIFO (as sized by GNPTXFSIZ and HPTXFSIZ) and 8 request
//!   queue slots free, GRXSTSR/GRXSTSP nothing received.
//! - The other registers (configuration, masks, FIFO sizes, HCFG, HFIR,
//!   PCGCCTL) keep what is written, starting at 0.
//! - No interrupt is raised; a guest polls (U-Boot does).

use super::{register_offsets, ticks_to_units, Device, Reg, VmEnv};
use core::mem::offset_of;
use raspi3b::usb::{
    Registers as UsbRegisters, GINTSTS, GRSTCTL, HCCHAR, HCINT, HFNUM, HPRT0, TXFSIZ, TXSTS,
};

/// The USB core registers (bus address 0x7E98_0000).
pub const BASE: u64 = raspi3b::map::USB_BASE.as_u64();
/// Bytes of registers: the core, host and power registers (the data FIFO
/// windows from 0x1000 on are not modelled: host DMA does not use them).
pub const SIZE: u64 = 0x1000;

register_offsets! {
    /// OTG control and status.
    GOTGCTL = offset_of!(UsbRegisters, GOTGCTL) as u32,
    /// OTG interrupt.
    GOTGINT = offset_of!(UsbRegisters, GOTGINT) as u32,
    /// Core AHB configuration.
    GAHBCFG = offset_of!(UsbRegisters, GAHBCFG) as u32,
    /// Core USB configuration.
    GUSBCFG = offset_of!(UsbRegisters, GUSBCFG) as u32,
    /// Core reset.
    GRSTCTL = offset_of!(UsbRegisters, GRSTCTL) as u32,
    /// Core interrupt.
    GINTSTS = offset_of!(UsbRegisters, GINTSTS) as u32,
    /// Core interrupt mask.
    GINTMSK = offset_of!(UsbRegisters, GINTMSK) as u32,
    /// Receive status debug read.
    GRXSTSR = offset_of!(UsbRegisters, GRXSTSR) as u32,
    /// Receive status read and pop.
    GRXSTSP = offset_of!(UsbRegisters, GRXSTSP) as u32,
    /// Receive FIFO size.
    GRXFSIZ = offset_of!(UsbRegisters, GRXFSIZ) as u32,
    /// Non-periodic transmit FIFO size.
    GNPTXFSIZ = offset_of!(UsbRegisters, GNPTXFSIZ) as u32,
    /// Non-periodic transmit FIFO and queue status.
    GNPTXSTS = offset_of!(UsbRegisters, GNPTXSTS) as u32,
    /// I2C access.
    GI2CCTL = offset_of!(UsbRegisters, GI2CCTL) as u32,
    /// PHY vendor control.
    GPVNDCTL = offset_of!(UsbRegisters, GPVNDCTL) as u32,
    /// General purpose input/output.
    GGPIO = offset_of!(UsbRegisters, GGPIO) as u32,
    /// User ID.
    GUID = offset_of!(UsbRegisters, GUID) as u32,
    /// Synopsys ID.
    GSNPSID = offset_of!(UsbRegisters, GSNPSID) as u32,
    /// User hardware configuration 1.
    GHWCFG1 = offset_of!(UsbRegisters, GHWCFG1) as u32,
    /// User hardware configuration 2.
    GHWCFG2 = offset_of!(UsbRegisters, GHWCFG2) as u32,
    /// User hardware configuration 3.
    GHWCFG3 = offset_of!(UsbRegisters, GHWCFG3) as u32,
    /// User hardware configuration 4.
    GHWCFG4 = offset_of!(UsbRegisters, GHWCFG4) as u32,
    /// Core LPM configuration.
    GLPMCFG = offset_of!(UsbRegisters, GLPMCFG) as u32,
    /// Host periodic transmit FIFO size.
    HPTXFSIZ = offset_of!(UsbRegisters, HPTXFSIZ) as u32,
    /// Host configuration.
    HCFG = offset_of!(UsbRegisters, HCFG) as u32,
    /// Host frame interval.
    HFIR = offset_of!(UsbRegisters, HFIR) as u32,
    /// Host frame number and frame time remaining.
    HFNUM = offset_of!(UsbRegisters, HFNUM) as u32,
    /// Host periodic transmit FIFO and queue status.
    HPTXSTS = offset_of!(UsbRegisters, HPTXSTS) as u32,
    /// Host all channels interrupt.
    HAINT = offset_of!(UsbRegisters, HAINT) as u32,
    /// Host all channels interrupt mask.
    HAINTMSK = offset_of!(UsbRegisters, HAINTMSK) as u32,
    /// Host port control and status.
    HPRT0 = offset_of!(UsbRegisters, HPRT0) as u32,
    /// Power and clock gating control.
    PCGCCTL = offset_of!(UsbRegisters, PCGCCTL) as u32,
}

// ANCHOR: identity
/// GSNPSID: "OT" and core release 2.80a.
const SNPSID: u32 = 0x4f54_280a;
/// GHWCFG1: endpoint directions (all bidirectional).
const HWCFG1: u32 = 0x0000_0000;
/// GHWCFG2: HNP/SRP-capable OTG, internal DMA, dynamic FIFO sizing, 8
/// host channels.
const HWCFG2: u32 = 0x228d_dd50;
/// GHWCFG3: transfer and packet counter widths, 4080 words of FIFO RAM.
const HWCFG3: u32 = 0x0ff0_00e8;
/// GHWCFG4: dedicated transmit FIFOs, no descriptor DMA.
const HWCFG4: u32 = 0x1ff0_0020;
/// GUID as the Pi's firmware leaves it.
const GUID_AT_BOOT: u32 = 0x2708_a000;
// ANCHOR_END: identity

/// Host channels: GHWCFG2's NUM_HOST_CHAN (bits 17:14) plus one.
pub const CHANNELS: usize = 8;
/// The first channel's registers.
const CHANNEL_BASE: u32 = 0x500;
/// Bytes of registers per channel.
const CHANNEL_STRIDE: u32 = 0x20;
/// Registers per channel: HCCHAR, HCSPLT, HCINT, HCINTMSK, HCTSIZ, HCDMA.
const CHANNEL_REGISTERS: usize = 6;
/// Which of a channel's registers (by word offset) do what.
const HCCHAR_INDEX: usize = 0;
const HCINT_INDEX: usize = 2;
const HCINTMSK_INDEX: usize = 3;
/// The channel registers' names, by register and channel.
const CHANNEL_NAMES: [[&str; CHANNELS]; CHANNEL_REGISTERS] = [
    [
        "HCCHAR0", "HCCHAR1", "HCCHAR2", "HCCHAR3", "HCCHAR4", "HCCHAR5", "HCCHAR6", "HCCHAR7",
    ],
    [
        "HCSPLT0", "HCSPLT1", "HCSPLT2", "HCSPLT3", "HCSPLT4", "HCSPLT5", "HCSPLT6", "HCSPLT7",
    ],
    [
        "HCINT0", "HCINT1", "HCINT2", "HCINT3", "HCINT4", "HCINT5", "HCINT6", "HCINT7",
    ],
    [
        "HCINTMSK0",
        "HCINTMSK1",
        "HCINTMSK2",
        "HCINTMSK3",
        "HCINTMSK4",
        "HCINTMSK5",
        "HCINTMSK6",
        "HCINTMSK7",
    ],
    [
        "HCTSIZ0", "HCTSIZ1", "HCTSIZ2", "HCTSIZ3", "HCTSIZ4", "HCTSIZ5", "HCTSIZ6", "HCTSIZ7",
    ],
    [
        "HCDMA0", "HCDMA1", "HCDMA2", "HCDMA3", "HCDMA4", "HCDMA5", "HCDMA6", "HCDMA7",
    ],
];

/// Request queue slots a transmit FIFO status reports free.
const QUEUE_SLOTS: u32 = 8;
/// Microframes (125 us) per second.
const MICROFRAMES_PER_SECOND: u64 = 8_000;
/// HFNUM's frame number wraps at 0x3FFF.
const FRNUM_MASK: u64 = 0x3fff;
/// HPRT0 bits that keep what is written.
const HPRT0_WRITABLE: u32 = HPRT0::PRTTSTCTL::SET.value
    | HPRT0::PRTPWR::SET.value
    | HPRT0::PRTRST::SET.value
    | HPRT0::PRTSUSP::SET.value
    | HPRT0::PRTRES::SET.value;
/// GRSTCTL bits that keep what is written (the others act and clear).
const GRSTCTL_WRITABLE: u32 = GRSTCTL::TXFNUM::SET.value;

/// The plain registers, which keep what is written.
const REGISTER_FILE: [u32; 16] = [
    GOTGCTL, GAHBCFG, GUSBCFG, GINTMSK, GRXFSIZ, GNPTXFSIZ, GI2CCTL, GPVNDCTL, GGPIO, GUID,
    GLPMCFG, HPTXFSIZ, HCFG, HFIR, HAINTMSK, PCGCCTL,
];

/// If `offset` is a host channel register: the channel and which register.
fn channel_register(offset: u32) -> Option<(usize, usize)> {
    let relative = offset.checked_sub(CHANNEL_BASE)?;
    let channel = (relative / CHANNEL_STRIDE) as usize;
    let register = (relative % CHANNEL_STRIDE / 4) as usize;
    (channel < CHANNELS && register < CHANNEL_REGISTERS).then_some((channel, register))
}

/// The name of the register at `offset`.
fn name(offset: u32) -> &'static str {
    match channel_register(offset) {
        Some((channel, register)) => CHANNEL_NAMES[register][channel],
        None => register_name(offset),
    }
}

/// The USB core with an empty root port.
pub struct Usb {
    /// The plain registers, in [`REGISTER_FILE`] order.
    file: [u32; REGISTER_FILE.len()],
    grstctl: u32,
    hprt0: u32,
    /// Each channel's registers, in CHANNEL_NAMES order.
    channels: [[u32; CHANNEL_REGISTERS]; CHANNELS],
}

impl Usb {
    /// The core at power-on (after the firmware): host mode, nothing
    /// connected, every programmable register 0 but GUID.
    pub const fn new() -> Self {
        let mut file = [0; REGISTER_FILE.len()];
        let mut i = 0;
        while i < REGISTER_FILE.len() {
            if REGISTER_FILE[i] == GUID {
                file[i] = GUID_AT_BOOT;
            }
            i += 1;
        }
        Self {
            file,
            grstctl: 0,
            hprt0: 0,
            channels: [[0; CHANNEL_REGISTERS]; CHANNELS],
        }
    }

    fn slot(offset: u32) -> Option<usize> {
        REGISTER_FILE.iter().position(|&o| o == offset)
    }

    fn plain(&self, offset: u32) -> u32 {
        Self::slot(offset).map_or(0, |i| self.file[i])
    }

    /// HAINT: the channels with an unmasked interrupt flag.
    fn haint(&self) -> u32 {
        self.channels
            .iter()
            .enumerate()
            .filter(|(_, c)| c[HCINT_INDEX] & c[HCINTMSK_INDEX] != 0)
            .fold(0, |mask, (n, _)| mask | 1 << n)
    }

    fn gintsts(&self) -> u32 {
        let mut value = GINTSTS::CURMODE_HOST::SET.value;
        if self.haint() & self.plain(HAINTMSK) != 0 {
            value |= GINTSTS::HCHINT::SET.value;
        }
        // Nothing connects, so the port never has an event (PRTINT).
        value
    }

    /// A transmit FIFO's status: all of it free, as sized by `size_register`.
    fn tx_status(&self, size_register: u32) -> u32 {
        TXSTS::QSPCAVAIL.val(QUEUE_SLOTS).value
            | TXSTS::FSPCAVAIL
                .val(TXFSIZ::DEPTH.read(self.plain(size_register)))
                .value
    }

    // ANCHOR: channel
    /// A write to channel `n`'s HCCHAR: halting is immediate, and a
    /// transfer on the empty port fails at once.
    fn hcchar(&mut self, n: usize, value: u32) {
        let channel = &mut self.channels[n];
        if !HCCHAR::CHEN.is_set(value) {
            channel[HCCHAR_INDEX] = value;
            return;
        }
        let halted = value & !(HCCHAR::CHEN::SET.value | HCCHAR::CHDIS::SET.value);
        channel[HCCHAR_INDEX] = halted;
        channel[HCINT_INDEX] |= if HCCHAR::CHDIS.is_set(value) {
            HCINT::CHHLTD::SET.value
        } else {
            HCINT::XACTERR::SET.value | HCINT::CHHLTD::SET.value
        };
    }
    // ANCHOR_END: channel
}

impl Default for Usb {
    fn default() -> Self {
        Self::new()
    }
}

impl Device for Usb {
    fn read(&mut self, offset: u32, env: &mut dyn VmEnv) -> Reg {
        let value = if let Some((n, register)) = channel_register(offset) {
            self.channels[n][register]
        } else {
            match offset {
                GRSTCTL => self.grstctl | GRSTCTL::AHBIDLE::SET.value,
                GINTSTS => self.gintsts(),
                GNPTXSTS => self.tx_status(GNPTXFSIZ),
                HPTXSTS => self.tx_status(HPTXFSIZ),
                GSNPSID => SNPSID,
                GHWCFG1 => HWCFG1,
                GHWCFG2 => HWCFG2,
                GHWCFG3 => HWCFG3,
                GHWCFG4 => HWCFG4,
                HFNUM => {
                    let microframes =
                        ticks_to_units(env.counter(), env.counter_freq(), MICROFRAMES_PER_SECOND);
                    HFNUM::FRNUM.val((microframes & FRNUM_MASK) as u32).value
                }
                HAINT => self.haint(),
                HPRT0 => self.hprt0,
                // GOTGINT, GRXSTSR/P: no event, nothing received.
                _ => self.plain(offset),
            }
        };
        Reg {
            name: name(offset),
            value,
        }
    }

    fn write(&mut self, offset: u32, value: u32, _env: &mut dyn VmEnv) -> &'static str {
        if let Some((n, register)) = channel_register(offset) {
            match register {
                HCCHAR_INDEX => self.hcchar(n, value),
                HCINT_INDEX => self.channels[n][HCINT_INDEX] &= !value,
                _ => self.channels[n][register] = value,
            }
        } else {
            match offset {
                // Resets and flushes are over at once; only TXFNUM stays.
                GRSTCTL => self.grstctl = value & GRSTCTL_WRITABLE,
                HPRT0 => self.hprt0 = value & HPRT0_WRITABLE,
                _ => {
                    if let Some(i) = Self::slot(offset) {
                        self.file[i] = value;
                    }
                }
            }
        }
        name(offset)
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_env::{exercise, op_strategy, FakeEnv};
    use super::*;
    use proptest::prelude::*;

    const AHBIDLE: u32 = 1 << 31;
    const CSFTRST: u32 = 1;
    const CHEN: u32 = 1 << 31;
    const CHDIS: u32 = 1 << 30;
    const CHHLTD: u32 = 1 << 1;
    const XACTERR: u32 = 1 << 7;
    const PRTPWR: u32 = 1 << 12;
    const PRTRST: u32 = 1 << 8;
    const PRTENA: u32 = 1 << 2;
    const PRTCONNDET: u32 = 1 << 1;
    const HCCHAR3: u32 = 0x560;
    const HCINT3: u32 = 0x568;
    const HCINTMSK3: u32 = 0x56c;

    fn read(u: &mut Usb, offset: u32) -> u32 {
        u.read(offset, &mut FakeEnv::new()).value
    }

    fn write(u: &mut Usb, offset: u32, value: u32) {
        u.write(offset, value, &mut FakeEnv::new());
    }

    #[test]
    fn identifies_as_the_pi_s_dwc2_in_host_mode() {
        let mut u = Usb::new();
        assert_eq!(read(&mut u, GSNPSID), 0x4f54_280a);
        assert_eq!(
            read(&mut u, GSNPSID) & 0xffff_f000,
            0x4f54_2000,
            "a 2.xx core"
        );
        assert_eq!(read(&mut u, GHWCFG2), 0x228d_dd50);
        let channels = (read(&mut u, GHWCFG2) >> 14 & 0xf) + 1;
        assert_eq!(channels as usize, CHANNELS);
        assert_eq!(read(&mut u, GUID), 0x2708_a000);
        assert_eq!(read(&mut u, GINTSTS), 1, "CURMODE_HOST");
    }

    #[test]
    fn soft_reset_and_flushes_are_over_at_once() {
        let mut u = Usb::new();
        assert_eq!(read(&mut u, GRSTCTL), AHBIDLE);
        write(&mut u, GRSTCTL, CSFTRST);
        assert_eq!(read(&mut u, GRSTCTL), AHBIDLE);
        const TXFNUM_ALL: u32 = 0x10 << 6;
        const TXFFLSH: u32 = 1 << 5;
        write(&mut u, GRSTCTL, TXFNUM_ALL | TXFFLSH);
        assert_eq!(read(&mut u, GRSTCTL), AHBIDLE | TXFNUM_ALL);
    }

    // ANCHOR: empty_port_test
    #[test]
    fn the_root_port_powers_up_empty() {
        let mut u = Usb::new();
        write(&mut u, HPRT0, PRTPWR | PRTRST);
        assert_eq!(read(&mut u, HPRT0), PRTPWR | PRTRST);
        write(&mut u, HPRT0, PRTPWR | PRTENA | PRTCONNDET);
        let hprt0 = read(&mut u, HPRT0);
        assert_eq!(hprt0, PRTPWR, "nothing connected, never enabled");
        assert_eq!(read(&mut u, GINTSTS) & (1 << 24), 0, "no port event");
    }
    // ANCHOR_END: empty_port_test

    #[test]
    fn channels_halt_at_once_and_transfers_fail() {
        let mut u = Usb::new();
        // Disable without enable: stored, no event.
        write(&mut u, HCCHAR3, CHDIS);
        assert_eq!(read(&mut u, HCCHAR3), CHDIS);
        assert_eq!(read(&mut u, HCINT3), 0);
        // Halt: CHEN clears at once.
        write(&mut u, HCCHAR3, CHEN | CHDIS | 0x200);
        assert_eq!(read(&mut u, HCCHAR3), 0x200);
        assert_eq!(read(&mut u, HCINT3), CHHLTD);
        write(&mut u, HCINT3, u32::MAX);
        assert_eq!(read(&mut u, HCINT3), 0);
        // A transfer with nobody on the port.
        write(&mut u, HCINTMSK3, CHHLTD);
        write(&mut u, HAINTMSK, 1 << 3);
        write(&mut u, HCCHAR3, CHEN | 0x40);
        assert_eq!(read(&mut u, HCCHAR3), 0x40);
        assert_eq!(read(&mut u, HCINT3), XACTERR | CHHLTD);
        assert_eq!(read(&mut u, HAINT), 1 << 3);
        assert_ne!(read(&mut u, GINTSTS) & (1 << 25), 0, "HCHINT");
    }

    #[test]
    fn fifo_status_shows_empty_fifos() {
        let mut u = Usb::new();
        write(&mut u, GNPTXFSIZ, (0x100 << 16) | 0x200);
        assert_eq!(read(&mut u, GNPTXSTS), (8 << 16) | 0x100);
        write(&mut u, HPTXFSIZ, (0x80 << 16) | 0x300);
        assert_eq!(read(&mut u, HPTXSTS), (8 << 16) | 0x80);
        assert_eq!(read(&mut u, GRXSTSP), 0);
    }

    #[test]
    fn the_frame_number_counts_microframes() {
        let mut u = Usb::new();
        let mut env = FakeEnv::new();
        env.set_micros(125 * 10 + 100);
        assert_eq!(u.read(HFNUM, &mut env).value, 10);
        env.set_micros(125 * (0x4000 + 3));
        assert_eq!(u.read(HFNUM, &mut env).value, 3, "wraps at 0x3FFF");
    }

    #[test]
    fn names_include_the_channel() {
        let mut u = Usb::new();
        assert_eq!(u.read(HCINTMSK3, &mut FakeEnv::new()).name, "HCINTMSK3");
        assert_eq!(u.read(0x5e0, &mut FakeEnv::new()).name, "HCCHAR7");
        assert_eq!(u.read(0x5f8, &mut FakeEnv::new()).name, "reserved");
        assert_eq!(u.read(0x600, &mut FakeEnv::new()).name, "reserved");
        assert_eq!(u.write(HPRT0, 0, &mut FakeEnv::new()), "HPRT0");
    }

    #[test]
    fn register_files_keep_what_is_written() {
        let mut u = Usb::new();
        for offset in REGISTER_FILE {
            write(&mut u, offset, 0x5555_0000 | offset);
            assert_eq!(
                read(&mut u, offset),
                0x5555_0000 | offset,
                "{}",
                name(offset)
            );
        }
        write(&mut u, GSNPSID, 0);
        assert_eq!(read(&mut u, GSNPSID), SNPSID, "read-only");
    }

    proptest! {
        #[test]
        fn never_panics_never_busy_never_connected(
            ops in proptest::collection::vec(op_strategy(SIZE as u32 + 8), 0..200)
        ) {
            let mut u = Usb::new();
            exercise(&mut u, &mut FakeEnv::new(), &ops);
            prop_assert_eq!(read(&mut u, GRSTCTL) & (AHBIDLE | CSFTRST), AHBIDLE);
            prop_assert_eq!(read(&mut u, HPRT0) & (PRTENA | PRTCONNDET | 1), 0);
            for n in 0..CHANNELS as u32 {
                prop_assert_eq!(read(&mut u, 0x500 + n * 0x20) & CHEN, 0);
            }
        }
    }
}
