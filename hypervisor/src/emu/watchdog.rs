//! The PM (power management) watchdog: how a guest resets the board.
//!
//! The BCM2835 datasheet does not document the PM block; the registers and
//! their use are those of the Linux `bcm2835_wdt` driver and U-Boot's
//! `reset_cpu`. Every write must carry the password 0x5A in bits 31:24
//! (PM_PASSWORD); a write without it is ignored. A guest resets the board
//! with:
//!
//! ```text
//! PM_WDOG = PM_PASSWORD | timeout            (in ticks of 1/65536 s, 20 bits)
//! PM_RSTC = PM_PASSWORD | (PM_RSTC & PM_RSTC_WRCFG_CLR) | PM_RSTC_WRCFG_FULL_RESET
//! ```
//!
//! The model counts the timeout from the PM_WDOG write in the VM's time, and
//! once it has elapsed while PM_RSTC's WRCFG field says "full reset" it
//! requests a reset of the VM (only this VM). It is checked whenever the
//! board is touched, so a guest spinning on a register sees it happen, and
//! its due time is a deadline the scheduler wakes a sleeping VM for. A
//! write of WRCFG = 0 (Linux's PM_RSTC_RESET, 0x102) stops it. Other WRCFG
//! values (undocumented) do nothing. PM_WDOG reads the ticks left (0 when
//! stopped or expired).
//!
//! PM_RSTS is a plain register (with the password): the firmware uses it to
//! pass the boot partition, and 63 (0x555 spread over the even bits) means
//! "halt" to Linux. It keeps its value when the VM is reset, as on the
//! hardware, where it survives the watchdog reset so the firmware can read
//! it; at power-on it is 0.

use super::{register_offsets, ticks_to_units, units_to_ticks, Device, Reg, VmEnv};
use crate::board::PM_BASE;
use core::mem::offset_of;
use raspi3b::watchdog::{Registers as PmRegisters, PM_RSTC, PM_WDOG};

/// The PM block (bus address 0x7E10_0000).
pub const BASE: u64 = PM_BASE.as_u64();
/// Bytes of registers modelled: up to PM_WDOG.
pub const SIZE: u64 = 0x28;

register_offsets! {
    /// Reset control.
    PM_RSTC = offset_of!(PmRegisters, PM_RSTC) as u32,
    /// Reset status.
    PM_RSTS = offset_of!(PmRegisters, PM_RSTS) as u32,
    /// Watchdog timer.
    PM_WDOG = offset_of!(PmRegisters, PM_WDOG) as u32,
}

/// The password every write carries in bits 31:24.
pub const PM_PASSWORD: u32 = 0x5a00_0000;
/// PM_RSTC with the WRCFG field cleared.
pub const PM_RSTC_WRCFG_CLR: u32 = 0xffff_ffcf;
/// PM_RSTC's WRCFG field set to "full reset".
pub const PM_RSTC_WRCFG_FULL_RESET: u32 = 0x0000_0020;
/// The watchdog counts 65536 ticks a second (Linux: `SECS_TO_WDOG_TICKS(x) = x << 16`).
pub const WDOG_TICKS_PER_SECOND: u64 = 1 << 16;
/// PM_RSTS's boot partition: its six bits spread over the even bits 0-10.
const PM_RSTS_PARTITION_MASK: u32 = 0x555;
/// Partition 63, "halt" (Linux's `PM_RSTS_RASPBERRYPI_HALT`).
pub const PM_RSTS_RASPBERRYPI_HALT: u32 = 0x555;
/// The password byte of a write.
const PASSWORD_MASK: u32 = 0xff00_0000;
/// The bits below the password that a register holds.
const VALUE_MASK: u32 = !PASSWORD_MASK;

/// The watchdog and reset registers.
pub struct Watchdog {
    /// PM_RSTC without the password byte.
    rstc: u32,
    /// PM_RSTS without the password byte.
    rsts: u32,
    /// The timeout last written to PM_WDOG, in watchdog ticks.
    timeout: u32,
    /// The VM counter when PM_WDOG was written; `None` when not counting.
    started: Option<u64>,
    /// The watchdog ran out and nobody took the request yet.
    reset_requested: bool,
}

impl Watchdog {
    /// The watchdog at power-on: stopped.
    pub const fn new() -> Self {
        Self {
            rstc: 0,
            rsts: 0,
            timeout: 0,
            started: None,
            reset_requested: false,
        }
    }

    /// The watchdog after a reset of the VM: as at power-on, but PM_RSTS
    /// is kept.
    pub fn after_reset(&self) -> Self {
        Self {
            rsts: self.rsts,
            ..Self::new()
        }
    }

    /// Whether PM_RSTC asks for a full reset when the timer runs out.
    fn full_reset_configured(&self) -> bool {
        PM_RSTC::WRCFG::FullReset.matches_all(self.rstc)
    }

    /// Watchdog ticks since PM_WDOG was written.
    fn elapsed(&self, start: u64, env: &dyn VmEnv) -> u64 {
        let ticks = env.counter().saturating_sub(start);
        ticks_to_units(ticks, env.counter_freq(), WDOG_TICKS_PER_SECOND)
    }

    // ANCHOR: reset
    /// Fire the reset request if the timer ran out with a full reset
    /// configured.
    pub fn update(&mut self, env: &dyn VmEnv) {
        let Some(start) = self.started else { return };
        if self.full_reset_configured() && self.elapsed(start, env) >= u64::from(self.timeout) {
            self.reset_requested = true;
            self.started = None;
        }
    }

    /// The VM counter value at which the armed watchdog resets the VM.
    /// A request that fired and was not taken yet is due at once (time 0,
    /// in the past), so the VM exits and the request is taken without
    /// waiting for the guest's next exit: a guest that spins after starting
    /// the watchdog (Linux's restart and power-off paths) would not make one.
    pub fn deadline(&self, env: &dyn VmEnv) -> Option<u64> {
        if self.reset_requested {
            return Some(0);
        }
        let start = self.started?;
        if !self.full_reset_configured() {
            return None;
        }
        let ticks = units_to_ticks(
            u64::from(self.timeout),
            env.counter_freq(),
            WDOG_TICKS_PER_SECOND,
        );
        Some(start.saturating_add(ticks))
    }

    /// Whether a reset was requested since the last call; clears it.
    pub fn take_reset_request(&mut self) -> bool {
        core::mem::take(&mut self.reset_requested)
    }

    /// Whether PM_RSTS names boot partition 63, which the firmware takes
    /// for "halt": after the reset the board stays off. Linux's
    /// `bcm2835_power_off` writes it before it resets the board through the
    /// watchdog; a normal restart writes partition 0.
    pub fn halt_on_reset(&self) -> bool {
        self.rsts & PM_RSTS_PARTITION_MASK == PM_RSTS_RASPBERRYPI_HALT
    }
    // ANCHOR_END: reset
}

impl Default for Watchdog {
    fn default() -> Self {
        Self::new()
    }
}

// ANCHOR: access
impl Device for Watchdog {
    fn read(&mut self, offset: u32, env: &mut dyn VmEnv) -> Reg {
        self.update(env);
        let value = match offset {
            PM_RSTC => self.rstc,
            PM_RSTS => self.rsts,
            PM_WDOG => match self.started {
                Some(start) => {
                    let left = u64::from(self.timeout).saturating_sub(self.elapsed(start, env));
                    left as u32 & PM_WDOG::TIME_SET.mask
                }
                None => 0,
            },
            _ => 0,
        };
        Reg {
            name: register_name(offset),
            value,
        }
    }

    fn write(&mut self, offset: u32, value: u32, env: &mut dyn VmEnv) -> &'static str {
        if value & PASSWORD_MASK == PM_PASSWORD {
            match offset {
                PM_RSTC => self.rstc = value & VALUE_MASK,
                PM_RSTS => self.rsts = value & VALUE_MASK,
                PM_WDOG => {
                    self.timeout = PM_WDOG::TIME_SET.read(value);
                    self.started = Some(env.counter());
                }
                _ => {}
            }
        }
        self.update(env);
        register_name(offset)
    }
}
// ANCHOR_END: access

#[cfg(test)]
mod tests {
    use super::super::test_env::{exercise, op_strategy, FakeEnv};
    use super::*;
    use proptest::prelude::*;

    /// Linux's PM_RSTC_RESET: stop the watchdog.
    const PM_RSTC_RESET: u32 = 0x0000_0102;

    fn read(w: &mut Watchdog, env: &mut FakeEnv, offset: u32) -> u32 {
        w.read(offset, env).value
    }

    /// U-Boot's `reset_cpu`: timeout first, then a full reset.
    fn guest_reset(w: &mut Watchdog, env: &mut FakeEnv, timeout: u32) {
        let rstc = read(w, env, PM_RSTC) & PM_RSTC_WRCFG_CLR | PM_RSTC_WRCFG_FULL_RESET;
        w.write(PM_WDOG, PM_PASSWORD | timeout, env);
        w.write(PM_RSTC, PM_PASSWORD | rstc, env);
    }

    #[test]
    fn reset_values() {
        let mut w = Watchdog::new();
        let mut env = FakeEnv::new();
        for offset in [PM_RSTC, PM_RSTS, PM_WDOG] {
            assert_eq!(read(&mut w, &mut env, offset), 0);
        }
        assert_eq!(w.deadline(&env), None);
        assert!(!w.take_reset_request());
    }

    #[test]
    fn writes_need_the_password() {
        let mut w = Watchdog::new();
        let mut env = FakeEnv::new();
        w.write(PM_RSTS, 0x1234, &mut env);
        w.write(PM_WDOG, 0x5b00_0010, &mut env);
        w.write(PM_RSTC, PM_RSTC_WRCFG_FULL_RESET, &mut env);
        assert_eq!(read(&mut w, &mut env, PM_RSTS), 0);
        assert_eq!(read(&mut w, &mut env, PM_WDOG), 0);
        assert_eq!(read(&mut w, &mut env, PM_RSTC), 0);
        w.write(PM_RSTS, PM_PASSWORD | 0x1234, &mut env);
        assert_eq!(
            read(&mut w, &mut env, PM_RSTS),
            0x1234,
            "read back without the password"
        );
    }

    #[test]
    fn the_reset_fires_when_the_timeout_elapses() {
        let mut w = Watchdog::new();
        let mut env = FakeEnv::new();
        const TEN_TICKS: u32 = 10; // ~150 us, what Linux and U-Boot use
        guest_reset(&mut w, &mut env, TEN_TICKS);
        assert_eq!(read(&mut w, &mut env, PM_WDOG), TEN_TICKS);
        assert!(!w.take_reset_request(), "not yet");
        let deadline = w.deadline(&env).unwrap();
        assert_eq!(deadline, (10 * env.freq).div_ceil(65_536));
        env.now = deadline - 1;
        assert_eq!(read(&mut w, &mut env, PM_WDOG), 1);
        assert!(!w.take_reset_request());
        env.now = deadline;
        read(&mut w, &mut env, PM_RSTS);
        assert!(w.take_reset_request());
        assert!(!w.take_reset_request(), "taken once");
        assert_eq!(w.deadline(&env), None, "fired");
    }

    #[test]
    fn a_reset_configured_after_the_timeout_fires_at_once() {
        let mut w = Watchdog::new();
        let mut env = FakeEnv::new();
        w.write(PM_WDOG, PM_PASSWORD | 10, &mut env);
        env.now += env.freq; // the guest was descheduled for a second
        w.write(PM_RSTC, PM_PASSWORD | PM_RSTC_WRCFG_FULL_RESET, &mut env);
        assert!(w.take_reset_request());
    }

    #[test]
    fn a_stopped_watchdog_does_not_fire() {
        let mut w = Watchdog::new();
        let mut env = FakeEnv::new();
        guest_reset(&mut w, &mut env, 1 << 16);
        w.write(PM_RSTC, PM_PASSWORD | PM_RSTC_RESET, &mut env);
        assert_eq!(w.deadline(&env), None);
        env.now += 10 * env.freq;
        read(&mut w, &mut env, PM_RSTC);
        assert!(!w.take_reset_request());
    }

    #[test]
    fn a_linux_watchdog_counts_down_in_seconds() {
        let mut w = Watchdog::new();
        let mut env = FakeEnv::new();
        const FIFTEEN_SECONDS: u32 = 15 << 16;
        guest_reset(&mut w, &mut env, FIFTEEN_SECONDS);
        env.now += 5 * env.freq;
        assert_eq!(read(&mut w, &mut env, PM_WDOG) >> 16, 10);
        // A ping writes PM_WDOG again.
        w.write(PM_WDOG, PM_PASSWORD | FIFTEEN_SECONDS, &mut env);
        env.now += 14 * env.freq;
        read(&mut w, &mut env, PM_RSTC);
        assert!(!w.take_reset_request());
        env.now += env.freq;
        read(&mut w, &mut env, PM_RSTC);
        assert!(w.take_reset_request());
    }

    #[test]
    fn rsts_survives_a_reset() {
        let mut w = Watchdog::new();
        let mut env = FakeEnv::new();
        w.write(PM_RSTS, PM_PASSWORD | PM_RSTS_RASPBERRYPI_HALT, &mut env);
        guest_reset(&mut w, &mut env, 0);
        assert!(w.take_reset_request());
        assert!(w.halt_on_reset(), "partition 63 is a halt");
        let mut w = w.after_reset();
        assert_eq!(read(&mut w, &mut env, PM_RSTS), PM_RSTS_RASPBERRYPI_HALT);
        // A restart writes partition 0 (keeping the other bits): no halt.
        w.write(PM_RSTS, PM_PASSWORD | 0x1000, &mut env);
        assert!(!w.halt_on_reset());
        w.write(
            PM_RSTS,
            PM_PASSWORD | 0x1000 | PM_RSTS_RASPBERRYPI_HALT,
            &mut env,
        );
        assert!(w.halt_on_reset());
        assert_eq!(read(&mut w, &mut env, PM_RSTC), 0);
    }

    proptest! {
        #[test]
        fn never_panics(ops in proptest::collection::vec(op_strategy(SIZE as u32 + 8), 0..100)) {
            let mut w = Watchdog::new();
            let mut env = FakeEnv::new();
            exercise(&mut w, &mut env, &ops);
            let _ = w.deadline(&env);
            let _ = w.take_reset_request();
        }
    }
}
