//! The clock manager, CPRMAN (bus address 0x7E10_1000): the PLLs and clock
//! generators every peripheral clock comes from.
//!
//! The BCM2835 datasheet documents only the general-purpose clocks (GP0-2,
//! chapter 6.3); the other registers, their names and their bits are those
//! of Linux's `clk-bcm2835` driver, which reads this block to learn every
//! clock's rate. On the Pi the firmware programs the clocks before the ARM
//! starts, and Linux mostly reads what it left. The model holds that state:
//!
//! - The 19.2 MHz crystal feeds five PLLs. A PLL's rate is
//!   `xosc * (NDIV + FRAC / 2^20) / PDIV` (`A2W_PLLx_CTRL`, `A2W_PLLx_FRAC`).
//!   At power-on PLLB (the ARM's) runs at 2.4 GHz, PLLC (the core's) at
//!   3 GHz and PLLD (the peripherals') at 2 GHz; PLLA (camera) and PLLH (HDMI)
//!   are powered down: nothing is attached to them.
//! - Each PLL has up to four channel dividers (`A2W_PLLx_<channel>`, 8-bit,
//!   0 meaning 256, bit 8 disabling the channel): `pllc_core0` = 3 GHz / 12 =
//!   250 MHz, `pllc_per` = 1 GHz, `plld_core` and `plld_per` = 500 MHz,
//!   `pllb_arm` = 1.2 GHz.
//! - Each clock generator has `CM_<clock>CTL` (source, enable, busy) and
//!   `CM_<clock>DIV` (a 12.12 fixed-point divider). The VPU (core) clock runs
//!   from `pllc_core0` divided by 1: 250 MHz, what a Pi 3 with `core_freq=250`
//!   (this repository's config.txt) reports, and what the mini UART's baud
//!   rate is derived from. The other generators are off.
//! - A PLL reports lock in `CM_LOCK` (FLOCKA..FLOCKH) while it is powered
//!   (`A2W_PLLx_CTRL.PWRDN` clear) and out of reset (`CM_PLLx.ANARST` clear):
//!   at once, where the hardware takes microseconds. Linux waits for it when
//!   it prepares a PLL (`pllc: couldn't lock PLL` when it never comes).
//! - A generator's BUSY follows its ENAB: it is busy while it runs, and stops
//!   the moment ENAB or KILL says so (Linux waits for !BUSY before it
//!   changes a clock).
//! - Every write must carry the password 0x5A in bits 31:24, as on the
//!   hardware; a write without it is ignored. Registers read back without it.
//!
//! Everything else in the block reads as 0 and ignores writes (`reserved`).

use super::{Device, Reg, VmEnv, RESERVED};
use crate::board::CPRMAN_BASE;
use tock_registers::register_bitfields;

/// The clock manager (bus address 0x7E10_1000).
pub const BASE: u64 = CPRMAN_BASE.as_u64();
/// Bytes of registers: the CM_ block and the A2W (analogue) block.
pub const SIZE: u64 = 0x2000;

/// The crystal oscillator's rate (the device tree's `clk-osc`).
pub const XOSC_HZ: u64 = 19_200_000;

/// The password every write carries in bits 31:24.
pub const CM_PASSWORD: u32 = 0x5a00_0000;
const PASSWORD_MASK: u32 = 0xff00_0000;

/// `CM_VPUCTL`, the core clock's control register.
pub const CM_VPUCTL: u32 = 0x008;
/// `CM_VPUDIV`, its divider.
pub const CM_VPUDIV: u32 = 0x00c;
/// The last generator register (`CM_EMMCDIV`).
const CM_GENERATORS_END: u32 = 0x1c8;
/// `CM_PLLA`..`CM_PLLH`: each PLL's reset and load/hold bits.
pub const CM_PLLA: u32 = 0x104;
/// PLLC's.
pub const CM_PLLC: u32 = 0x108;
/// PLLD's.
pub const CM_PLLD: u32 = 0x10c;
/// PLLH's.
pub const CM_PLLH: u32 = 0x110;
/// The PLL lock flags.
pub const CM_LOCK: u32 = 0x114;
/// PLLB's reset and load/hold bits.
pub const CM_PLLB: u32 = 0x170;
/// The analogue (A2W) block: PLL controls, fractions and channel dividers.
const A2W_BASE: u32 = 0x1000;
/// `A2W_XOSC_CTRL`: which PLLs the crystal feeds.
pub const A2W_XOSC_CTRL: u32 = 0x1190;

register_bitfields! {u32,
    /// A clock generator's control register (`CM_<clock>CTL`).
    CM_CTL [
        /// Run as soon as BUSY clears.
        FRAC OFFSET(9) NUMBITS(1) [],
        /// The generator is running.
        BUSY OFFSET(7) NUMBITS(1) [],
        /// Glitch-free gate (ignored).
        GATE OFFSET(6) NUMBITS(1) [],
        /// Stop at once.
        KILL OFFSET(5) NUMBITS(1) [],
        /// Enable the generator.
        ENAB OFFSET(4) NUMBITS(1) [],
        /// Clock source.
        SRC OFFSET(0) NUMBITS(4) [
            Gnd = 0,
            Oscillator = 1,
            PllcCore0 = 5,
            PlldPer = 6
        ]
    ],
    /// A PLL's A2W control register.
    A2W_PLL_CTRL [
        /// Keep the PLL's outputs in reset until it locks (Linux sets it after lock).
        PRST_DISABLE OFFSET(17) NUMBITS(1) [],
        /// Power the PLL down.
        PWRDN OFFSET(16) NUMBITS(1) [],
        /// Pre-divider.
        PDIV OFFSET(12) NUMBITS(3) [],
        /// Integer multiplier.
        NDIV OFFSET(0) NUMBITS(10) []
    ],
    /// A PLL channel divider (`A2W_PLLx_<channel>`).
    A2W_PLL_CHANNEL [
        /// The channel is off.
        DISABLE OFFSET(8) NUMBITS(1) [],
        /// The divider; 0 means 256.
        DIV OFFSET(0) NUMBITS(8) []
    ],
    /// `CM_PLLx`.
    CM_PLL [
        /// Hold the PLL's analogue part in reset.
        ANARST OFFSET(8) NUMBITS(1) []
    ]
}

/// The PLLs, in the A2W block's slot order (A2W offsets step 0x20 per slot).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Pll {
    /// Camera/DSI PLL.
    A = 0,
    /// Core PLL.
    C = 1,
    /// Peripheral PLL.
    D = 2,
    /// HDMI PLL.
    H = 3,
    /// ARM PLL.
    B = 7,
}

/// Every PLL.
pub const PLLS: [Pll; 5] = [Pll::A, Pll::C, Pll::D, Pll::H, Pll::B];
/// A2W slots (PLLs are 0-3 and 7).
const SLOTS: usize = 8;
/// Bytes between two PLLs' registers in a row of the A2W block.
const SLOT_STRIDE: u32 = 0x20;
/// Bytes between two rows of the A2W block.
const ROW_STRIDE: u32 = 0x100;
/// Rows of the A2W block: 0 = ANA0-3 (at +0x10), 1 = CTRL, 2 = FRAC, 3-6 = channels.
const ROW_ANA: u32 = 0;
const ROW_CTRL: u32 = 1;
const ROW_FRAC: u32 = 2;
const ROW_FIRST_CHANNEL: u32 = 3;
const CHANNELS: usize = 4;
/// The ANA registers start 0x10 into their slot, four words.
const ANA_OFFSET: u32 = 0x10;
const ANA_WORDS: usize = 4;
/// Bits of the PLL fraction.
pub const FRAC_BITS: u32 = 20;
/// The 12.12 fixed-point generator divider's fraction bits.
pub const DIV_FRAC_BITS: u32 = 12;

impl Pll {
    /// Its `CM_PLLx` register.
    const fn cm_reg(self) -> u32 {
        match self {
            Pll::A => CM_PLLA,
            Pll::C => CM_PLLC,
            Pll::D => CM_PLLD,
            Pll::H => CM_PLLH,
            Pll::B => CM_PLLB,
        }
    }

    /// Its lock flag in `CM_LOCK` (FLOCKA..FLOCKH: bits 8..12 for A, B, C, D, H).
    const fn lock_bit(self) -> u32 {
        match self {
            Pll::A => 1 << 8,
            Pll::B => 1 << 9,
            Pll::C => 1 << 10,
            Pll::D => 1 << 11,
            Pll::H => 1 << 12,
        }
    }

    /// The crystal-enable bit in `A2W_XOSC_CTRL`.
    const fn xosc_enable(self) -> u32 {
        match self {
            Pll::C => 1 << 0,
            Pll::H => 1 << 1,
            Pll::D => 1 << 5,
            Pll::A => 1 << 6,
            Pll::B => 1 << 7,
        }
    }
}

/// One PLL's A2W state at power-on: (ndiv, frac, channel dividers, powered).
struct PllSetting {
    pll: Pll,
    ndiv: u32,
    frac: u32,
    channels: [u32; CHANNELS],
    powered: bool,
}

/// A channel that is off at power-on.
const OFF: u32 = 1 << 8;

/// What the firmware leaves (see the module documentation). Channel order is
/// the A2W rows': PLLA DSI0, CORE, PER, CCP2; PLLC CORE2, CORE1, PER, CORE0;
/// PLLD DSI0, CORE, PER, DSI1; PLLH AUX, RCAL, PIX, STS; PLLB ARM, SP0-2.
const POWER_ON: [PllSetting; 5] = [
    PllSetting {
        pll: Pll::A,
        ndiv: 0,
        frac: 0,
        channels: [OFF; CHANNELS],
        powered: false,
    },
    PllSetting {
        pll: Pll::C,
        // 19.2 MHz * 156.25 = 3 GHz.
        ndiv: 156,
        frac: 1 << (FRAC_BITS - 2),
        channels: [OFF, OFF, 3, 12],
        powered: true,
    },
    PllSetting {
        pll: Pll::D,
        // 19.2 MHz * 104.1666... = 2 GHz.
        ndiv: 104,
        frac: 174_763,
        channels: [OFF, 4, 4, OFF],
        powered: true,
    },
    PllSetting {
        pll: Pll::H,
        ndiv: 0,
        frac: 0,
        channels: [OFF; CHANNELS],
        powered: false,
    },
    PllSetting {
        pll: Pll::B,
        // 19.2 MHz * 125 = 2.4 GHz.
        ndiv: 125,
        frac: 0,
        channels: [2, OFF, OFF, OFF],
        powered: true,
    },
];

/// The core clock's divider at power-on: 1.0 in 12.12 fixed point.
const VPU_DIV_ONE: u32 = 1 << DIV_FRAC_BITS;
/// PDIV of a running PLL.
const PDIV_ONE: u32 = 1;

/// The clock manager's registers.
pub struct Cprman {
    /// `CM_GNRICCTL`..`CM_EMMCDIV`, `CM_PLLx`, `CM_PLLB`: one word each, by offset / 4.
    cm: [u32; (CM_GENERATORS_END / 4) as usize],
    /// `A2W_PLLx_ANA0-3`.
    ana: [[u32; ANA_WORDS]; SLOTS],
    /// `A2W_PLLx_CTRL`.
    ctrl: [u32; SLOTS],
    /// `A2W_PLLx_FRAC`.
    frac: [u32; SLOTS],
    /// `A2W_PLLx_<channel>`, by row.
    channels: [[u32; SLOTS]; CHANNELS],
    /// `A2W_XOSC_CTRL`.
    xosc_ctrl: u32,
}

impl Default for Cprman {
    fn default() -> Self {
        Self::new()
    }
}

/// Where an offset falls.
enum Slot {
    Cm(usize),
    Lock,
    Ana(usize, usize),
    Ctrl(usize),
    Frac(usize),
    Channel(usize, usize),
    XoscCtrl,
    Reserved,
}

fn decode(offset: u32) -> Slot {
    if offset == CM_LOCK {
        return Slot::Lock;
    }
    if offset < CM_GENERATORS_END {
        return Slot::Cm((offset / 4) as usize);
    }
    if offset == A2W_XOSC_CTRL {
        return Slot::XoscCtrl;
    }
    if !(A2W_BASE..A2W_BASE + 7 * ROW_STRIDE).contains(&offset) {
        return Slot::Reserved;
    }
    let within = offset - A2W_BASE;
    let row = within / ROW_STRIDE;
    let slot = ((within % ROW_STRIDE) / SLOT_STRIDE) as usize;
    let word = within % SLOT_STRIDE;
    let is_pll = PLLS.iter().any(|p| *p as usize == slot);
    if !is_pll {
        return Slot::Reserved;
    }
    match (row, word) {
        (ROW_ANA, w) if w >= ANA_OFFSET => Slot::Ana(slot, ((w - ANA_OFFSET) / 4) as usize),
        (ROW_CTRL, 0) => Slot::Ctrl(slot),
        (ROW_FRAC, 0) => Slot::Frac(slot),
        (r, 0) if r >= ROW_FIRST_CHANNEL => Slot::Channel((r - ROW_FIRST_CHANNEL) as usize, slot),
        _ => Slot::Reserved,
    }
}

/// Names of the generator registers, by offset / 8 (CTL, then DIV).
const GENERATORS: [&str; 57] = [
    "GNRIC", "VPU", "SYS", "PERIA", "PERII", "H264", "ISP", "V3D", "CAM0", "CAM1", "CCP2", "DSI0E",
    "DSI0P", "DPI", "GP0", "GP1", "GP2", "HSM", "OTP", "PCM", "PWM", "SLIM", "SMI", "", "TCNT",
    "TEC", "TD0", "TD1", "TSENS", "TIMER", "UART", "VEC", "", "", "", "", "", "", "", "", "", "",
    "", "DSI1E", "DSI1P", "DFT", "", "", "", "", "PULSE", "", "", "SDC", "ARM", "AVEO", "EMMC",
];

/// The register's name, for tracing.
fn register_name(offset: u32) -> &'static str {
    match offset {
        CM_PLLA => "CM_PLLA",
        CM_PLLC => "CM_PLLC",
        CM_PLLD => "CM_PLLD",
        CM_PLLH => "CM_PLLH",
        CM_LOCK => "CM_LOCK",
        CM_PLLB => "CM_PLLB",
        A2W_XOSC_CTRL => "A2W_XOSC_CTRL",
        _ => match decode(offset) {
            Slot::Cm(_) => match GENERATORS.get((offset / 8) as usize) {
                Some(name) if !name.is_empty() => {
                    if offset.is_multiple_of(8) {
                        "CM_<clock>CTL"
                    } else {
                        "CM_<clock>DIV"
                    }
                }
                _ => RESERVED,
            },
            Slot::Ana(..) => "A2W_PLL_ANA",
            Slot::Ctrl(_) => "A2W_PLL_CTRL",
            Slot::Frac(_) => "A2W_PLL_FRAC",
            Slot::Channel(..) => "A2W_PLL_CHANNEL",
            _ => RESERVED,
        },
    }
}

impl Cprman {
    /// The clocks as the firmware leaves them (see the module documentation).
    pub const fn new() -> Self {
        let mut cm = [0; (CM_GENERATORS_END / 4) as usize];
        let mut ctrl = [0; SLOTS];
        let mut frac = [0; SLOTS];
        let mut channels = [[0; SLOTS]; CHANNELS];
        let mut xosc_ctrl = 0;
        let mut i = 0;
        while i < POWER_ON.len() {
            let s = &POWER_ON[i];
            let slot = s.pll as usize;
            if s.powered {
                ctrl[slot] = s.ndiv | PDIV_ONE << 12 | 1 << 17;
                xosc_ctrl |= s.pll.xosc_enable();
            } else {
                ctrl[slot] = 1 << 16;
                cm[(s.pll.cm_reg() / 4) as usize] = 1 << 8;
            }
            frac[slot] = s.frac;
            let mut c = 0;
            while c < CHANNELS {
                channels[c][slot] = s.channels[c];
                c += 1;
            }
            i += 1;
        }
        // The VPU: from pllc_core0 (source 5), enabled, running, divided by 1.
        cm[(CM_VPUCTL / 4) as usize] = 5 | 1 << 4 | 1 << 7;
        cm[(CM_VPUDIV / 4) as usize] = VPU_DIV_ONE;
        Self {
            cm,
            ana: [[0; ANA_WORDS]; SLOTS],
            ctrl,
            frac,
            channels,
            xosc_ctrl,
        }
    }

    // ANCHOR: lock
    /// `CM_LOCK`: the flags of the PLLs that are powered and out of reset.
    fn lock(&self) -> u32 {
        PLLS.iter()
            .filter(|p| {
                let ctrl = self.ctrl[**p as usize];
                let cm = self.cm[(p.cm_reg() / 4) as usize];
                !A2W_PLL_CTRL::PWRDN.is_set(ctrl) && !CM_PLL::ANARST.is_set(cm)
            })
            .fold(0, |flags, p| flags | p.lock_bit())
    }
    // ANCHOR_END: lock

    /// A PLL's rate in Hz, as Linux computes it (0 when PDIV is 0).
    pub fn pll_rate(&self, pll: Pll) -> u64 {
        let ctrl = self.ctrl[pll as usize];
        let ndiv = u64::from(A2W_PLL_CTRL::NDIV.read(ctrl));
        let pdiv = u64::from(A2W_PLL_CTRL::PDIV.read(ctrl));
        let frac = u64::from(self.frac[pll as usize] & ((1 << FRAC_BITS) - 1));
        if pdiv == 0 {
            return 0;
        }
        (XOSC_HZ * ((ndiv << FRAC_BITS) + frac) / pdiv) >> FRAC_BITS
    }

    /// A channel's rate in Hz (`row` in the A2W order, see [`POWER_ON`]).
    pub fn channel_rate(&self, pll: Pll, row: usize) -> u64 {
        let reg = self.channels[row][pll as usize];
        let div = match A2W_PLL_CHANNEL::DIV.read(reg) {
            0 => 256,
            d => u64::from(d),
        };
        self.pll_rate(pll) / div
    }

    /// The core (VPU) clock's rate in Hz, from its source and divider.
    pub fn vpu_rate(&self) -> u64 {
        const PLLC_CORE0_ROW: usize = 3;
        const PLLD_PER_ROW: usize = 2;
        let ctl = self.cm[(CM_VPUCTL / 4) as usize];
        let parent = match CM_CTL::SRC.read(ctl) {
            1 => XOSC_HZ,
            5 => self.channel_rate(Pll::C, PLLC_CORE0_ROW),
            6 => self.channel_rate(Pll::D, PLLD_PER_ROW),
            _ => 0,
        };
        let div = u64::from(self.cm[(CM_VPUDIV / 4) as usize] & 0xff_ffff);
        if div == 0 {
            return 0;
        }
        (parent << DIV_FRAC_BITS) / div
    }
}

impl Device for Cprman {
    fn read(&mut self, offset: u32, _env: &mut dyn VmEnv) -> Reg {
        let value = match decode(offset) {
            Slot::Lock => self.lock(),
            Slot::Cm(i) => {
                let v = self.cm[i];
                let is_ctl = offset < 0x100 || (0x158..CM_GENERATORS_END).contains(&offset);
                if is_ctl && offset.is_multiple_of(8) && offset != CM_PLLB {
                    // BUSY follows ENAB (and KILL stops it).
                    let running = CM_CTL::ENAB.is_set(v) && !CM_CTL::KILL.is_set(v);
                    (v & !(CM_CTL::BUSY.mask << CM_CTL::BUSY.shift))
                        | u32::from(running) << CM_CTL::BUSY.shift
                } else {
                    v
                }
            }
            Slot::Ana(slot, w) => self.ana[slot][w],
            Slot::Ctrl(slot) => self.ctrl[slot],
            Slot::Frac(slot) => self.frac[slot],
            Slot::Channel(row, slot) => self.channels[row][slot],
            Slot::XoscCtrl => self.xosc_ctrl,
            Slot::Reserved => 0,
        };
        Reg {
            name: register_name(offset),
            value,
        }
    }

    fn write(&mut self, offset: u32, value: u32, _env: &mut dyn VmEnv) -> &'static str {
        let name = register_name(offset);
        if value & PASSWORD_MASK != CM_PASSWORD {
            return name;
        }
        let value = value & !PASSWORD_MASK;
        match decode(offset) {
            Slot::Cm(i) => self.cm[i] = value,
            Slot::Ana(slot, w) => self.ana[slot][w] = value,
            Slot::Ctrl(slot) => self.ctrl[slot] = value,
            Slot::Frac(slot) => self.frac[slot] = value,
            Slot::Channel(row, slot) => self.channels[row][slot] = value,
            Slot::XoscCtrl => self.xosc_ctrl = value,
            Slot::Lock | Slot::Reserved => {}
        }
        name
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emu::test_env::{exercise, op_strategy, FakeEnv};
    use proptest::prelude::*;

    fn read(c: &mut Cprman, offset: u32) -> u32 {
        c.read(offset, &mut FakeEnv::new()).value
    }

    fn write(c: &mut Cprman, offset: u32, value: u32) {
        c.write(offset, value, &mut FakeEnv::new());
    }

    /// Linux's bcm2835_pll_get_rate, on the registers as a guest reads them.
    fn linux_pll_rate(c: &mut Cprman, ctrl: u32, frac: u32) -> u64 {
        let a2w = read(c, ctrl);
        let fdiv = u64::from(read(c, frac) & 0xf_ffff);
        let ndiv = u64::from(a2w & 0x3ff);
        let pdiv = u64::from((a2w >> 12) & 7);
        (XOSC_HZ * ((ndiv << 20) + fdiv) / pdiv) >> 20
    }

    #[test]
    fn the_core_clock_is_250_mhz_as_linux_computes_it() {
        let mut c = Cprman::new();
        // PLLC: A2W_PLLC_CTRL 0x1120, A2W_PLLC_FRAC 0x1220.
        let pllc = linux_pll_rate(&mut c, 0x1120, 0x1220);
        assert_eq!(pllc, 3_000_000_000);
        // pllc_core0: A2W_PLLC_CORE0 0x1620, 8-bit divider.
        let core0 = pllc / u64::from(read(&mut c, 0x1620) & 0xff);
        assert_eq!(core0, 250_000_000);
        // CM_VPUCTL source 5 = pllc_core0, CM_VPUDIV 12.12 (8 fraction bits used).
        assert_eq!(read(&mut c, CM_VPUCTL) & 0xf, 5);
        let div = u64::from(read(&mut c, CM_VPUDIV) >> (12 - 8));
        assert_eq!((core0 << 8) / div, 250_000_000);
        assert_eq!(c.vpu_rate(), 250_000_000);
        assert_eq!(c.channel_rate(Pll::D, 2), 500_000_001);
        assert_eq!(c.channel_rate(Pll::B, 0), 1_200_000_000);
    }

    #[test]
    fn running_plls_are_locked_and_a_pll_locks_when_powered_and_out_of_reset() {
        let mut c = Cprman::new();
        let lock = read(&mut c, CM_LOCK);
        // FLOCKB, FLOCKC and FLOCKD; not A or H.
        assert_eq!(lock, (1 << 9) | (1 << 10) | (1 << 11));
        // Linux's bcm2835_pll_on for PLLA: PWRDN off, then ANARST off, then wait.
        let ctrl = read(&mut c, 0x1100);
        write(
            &mut c,
            0x1100,
            CM_PASSWORD | (ctrl & !(1 << 16)) | 52 | 1 << 12,
        );
        assert_eq!(read(&mut c, CM_LOCK) & (1 << 8), 0, "still in reset");
        let cm = read(&mut c, CM_PLLA);
        write(&mut c, CM_PLLA, CM_PASSWORD | (cm & !(1 << 8)));
        assert_ne!(read(&mut c, CM_LOCK) & (1 << 8), 0);
        // bcm2835_pll_off: ANARST again.
        write(&mut c, CM_PLLA, CM_PASSWORD | 1 << 8);
        assert_eq!(read(&mut c, CM_LOCK) & (1 << 8), 0);
    }

    #[test]
    fn busy_follows_enable_and_writes_need_the_password() {
        let mut c = Cprman::new();
        assert_ne!(read(&mut c, CM_VPUCTL) & (1 << 7), 0, "the VPU runs");
        // The UART clock (CM_UARTCTL 0xf0) is off and not busy.
        assert_eq!(read(&mut c, 0xf0), 0);
        write(&mut c, 0xf0, CM_PASSWORD | 1 << 4 | 6);
        assert_eq!(read(&mut c, 0xf0), 1 << 7 | 1 << 4 | 6);
        write(&mut c, 0xf0, CM_PASSWORD | 6);
        assert_eq!(read(&mut c, 0xf0) & (1 << 7), 0, "stops at once");
        // Without the password nothing changes.
        write(&mut c, CM_VPUDIV, 0x2000);
        assert_eq!(read(&mut c, CM_VPUDIV), 0x1000);
        write(&mut c, CM_VPUDIV, CM_PASSWORD | 0x2000);
        assert_eq!(c.vpu_rate(), 125_000_000);
        // CM_LOCK is read-only; reserved offsets read 0.
        write(&mut c, CM_LOCK, CM_PASSWORD);
        assert_ne!(read(&mut c, CM_LOCK), 0);
        assert_eq!(read(&mut c, 0x1ffc), 0);
        assert_eq!(read(&mut c, 0x1180), 0, "slot 4 of the CTRL row is no PLL");
    }

    #[test]
    fn names_registers_for_tracing() {
        let mut c = Cprman::new();
        assert_eq!(c.read(CM_LOCK, &mut FakeEnv::new()).name, "CM_LOCK");
        assert_eq!(c.read(0x1120, &mut FakeEnv::new()).name, "A2W_PLL_CTRL");
        assert_eq!(c.read(0x1034, &mut FakeEnv::new()).name, "A2W_PLL_ANA");
        assert_eq!(c.read(0x0b8, &mut FakeEnv::new()).name, RESERVED);
    }

    proptest! {
        #[test]
        fn never_panics(ops in proptest::collection::vec(op_strategy(SIZE as u32), 0..200)) {
            let mut c = Cprman::new();
            let mut env = FakeEnv::new();
            exercise(&mut c, &mut env, &ops);
            let _ = c.vpu_rate();
            for p in PLLS {
                let _ = c.pll_rate(p);
                for row in 0..CHANNELS {
                    let _ = c.channel_rate(p, row);
                }
            }
        }
    }
}
