//! The BCM2835 system timer (BCM2835 ARM Peripherals, chapter 12): a
//! free-running 64-bit counter at 1 MHz and four 32-bit compare channels.
//!
//! The counter is the VM's own time: microseconds since the VM started,
//! derived from its virtual counter, so it stands still while the VM does
//! not exist and agrees with CNTVCT. "Whenever the lower 32-bits of the
//! free-running counter matches one of the compare values the corresponding
//! bit in the system timer control/status register is set": the match bit
//! Mn of CS is peripheral interrupt n (System Timer Match 0-3, IRQ_PENDING_1
//! bits 0-3) and stays set until the guest writes a 1 to it.
//!
//! A VM does not run all the time, so a match cannot be a test for equality.
//! When Cn is written the model computes the 64-bit time at which CLO next
//! *becomes* Cn (a full 2^32 us later if it equals Cn right now) and sets Mn
//! as soon as the VM's time has passed it, whenever the model is next
//! looked at; so no match is ever missed. After a match the channel keeps
//! comparing, one CLO wrap (about 71.6 minutes) later, as the hardware does.
//! A channel that was never written since power-on is not armed (on the
//! hardware C0-C3 = 0 would match at each wrap of CLO; no guest waits for
//! that). Nothing here uses channels 0 and 2 the way the VideoCore does on a
//! real Pi: all four are the guest's.

use super::{register_offsets, ticks_to_units, units_to_ticks, Device, Reg, VmEnv};
use crate::board::PERIPHERAL_BASE;
use core::mem::offset_of;
use raspi3b::system_timer::{Registers as TimerRegisters, CS};
use tock_registers::fields::Field;

/// The system timer's registers (bus address 0x7E00_3000).
pub const BASE: u64 = PERIPHERAL_BASE.as_u64() + 0x3000;
/// Bytes of registers: CS to C3.
pub const SIZE: u64 = 0x1c;

register_offsets! {
    /// System Timer Control/Status.
    CS = offset_of!(TimerRegisters, CS) as u32,
    /// System Timer Counter Lower 32 bits.
    CLO = offset_of!(TimerRegisters, CLO) as u32,
    /// System Timer Counter Higher 32 bits.
    CHI = offset_of!(TimerRegisters, CHI) as u32,
    /// System Timer Compare 0.
    C0 = offset_of!(TimerRegisters, C0) as u32,
    /// System Timer Compare 1.
    C1 = offset_of!(TimerRegisters, C1) as u32,
    /// System Timer Compare 2.
    C2 = offset_of!(TimerRegisters, C2) as u32,
    /// System Timer Compare 3.
    C3 = offset_of!(TimerRegisters, C3) as u32,
}

/// Compare channels.
pub const CHANNELS: usize = 4;
/// The match flag of each channel.
const MATCH: [Field<u32, CS::Register>; CHANNELS] = [CS::M0, CS::M1, CS::M2, CS::M3];
/// The compare register of each channel.
const COMPARE: [u32; CHANNELS] = [C0, C1, C2, C3];
/// All match flags.
const MATCH_MASK: u32 = (1 << CHANNELS) - 1;
/// The counter runs at 1 MHz.
pub const TICKS_PER_SECOND: u64 = 1_000_000;
/// CLO wraps after 2^32 microseconds: a compare matches once per period.
const COMPARE_PERIOD: u64 = 1 << 32;
/// Bits of CLO within the 64-bit counter.
const CLO_BITS: u32 = 32;

/// The VM's system timer counter now: microseconds since it started.
pub fn micros(env: &dyn VmEnv) -> u64 {
    ticks_to_units(env.counter(), env.counter_freq(), TICKS_PER_SECOND)
}

/// The system timer.
pub struct SystemTimer {
    /// CS: the latched match flags M0-M3.
    cs: u32,
    /// C0-C3.
    compare: [u32; CHANNELS],
    /// When (in counter microseconds) each written channel matches next.
    deadline: [Option<u64>; CHANNELS],
}

impl SystemTimer {
    /// The timer at power-on: no match, compares 0 and not armed.
    pub const fn new() -> Self {
        Self {
            cs: 0,
            compare: [0; CHANNELS],
            deadline: [None; CHANNELS],
        }
    }

    // ANCHOR: update
    /// Latch the match flag of every channel whose time has come, and arm
    /// it for the next wrap of CLO.
    pub fn update(&mut self, env: &dyn VmEnv) {
        let now = micros(env);
        for (channel, deadline) in self.deadline.iter_mut().enumerate() {
            let Some(at) = *deadline else { continue };
            if now >= at {
                self.cs |= MATCH[channel].mask << MATCH[channel].shift;
                let periods = (now - at) / COMPARE_PERIOD + 1;
                *deadline = Some(at.saturating_add(periods.saturating_mul(COMPARE_PERIOD)));
            }
        }
    }

    /// The first time after `now` at which the low 32 bits of the counter
    /// become `compare`.
    fn next_match(now: u64, compare: u32) -> u64 {
        let ahead = match compare.wrapping_sub(now as u32) {
            0 => COMPARE_PERIOD,
            delta => u64::from(delta),
        };
        now.saturating_add(ahead)
    }
    // ANCHOR_END: update

    /// The interrupt lines System Timer Match 0-3 (bit n = channel n).
    pub fn match_lines(&self) -> u32 {
        self.cs & MATCH_MASK
    }

    /// The counter value at which the earliest armed channel whose flag is
    /// still clear will match; `None` if there is none.
    pub fn next_deadline(&self, env: &dyn VmEnv) -> Option<u64> {
        self.deadline
            .iter()
            .enumerate()
            .filter(|&(channel, _)| !MATCH[channel].is_set(self.cs))
            .filter_map(|(_, deadline)| *deadline)
            .min()
            .map(|at| units_to_ticks(at, env.counter_freq(), TICKS_PER_SECOND))
    }
}

impl Default for SystemTimer {
    fn default() -> Self {
        Self::new()
    }
}

// ANCHOR: access
impl Device for SystemTimer {
    fn read(&mut self, offset: u32, env: &mut dyn VmEnv) -> Reg {
        self.update(env);
        let now = micros(env);
        let value = match offset {
            CS => self.cs,
            CLO => now as u32,
            CHI => (now >> CLO_BITS) as u32,
            _ => match COMPARE.iter().position(|&c| c == offset) {
                Some(channel) => self.compare[channel],
                None => 0,
            },
        };
        Reg {
            name: register_name(offset),
            value,
        }
    }

    fn write(&mut self, offset: u32, value: u32, env: &mut dyn VmEnv) -> &'static str {
        self.update(env);
        if offset == CS {
            // Write 1 to clear a match flag.
            self.cs &= !(value & MATCH_MASK);
        } else if let Some(channel) = COMPARE.iter().position(|&c| c == offset) {
            self.compare[channel] = value;
            self.deadline[channel] = Some(Self::next_match(micros(env), value));
        }
        // CLO and CHI are read-only.
        register_name(offset)
    }
}
// ANCHOR_END: access

#[cfg(test)]
mod tests {
    use super::super::test_env::{exercise, op_strategy, FakeEnv};
    use super::*;
    use proptest::prelude::*;

    const M1: u32 = 1 << 1;
    const M3: u32 = 1 << 3;

    fn read(t: &mut SystemTimer, env: &mut FakeEnv, offset: u32) -> u32 {
        t.read(offset, env).value
    }

    #[test]
    fn reset_values() {
        let mut t = SystemTimer::new();
        let mut env = FakeEnv::new();
        for offset in [CS, C0, C1, C2, C3] {
            assert_eq!(read(&mut t, &mut env, offset), 0);
        }
        assert_eq!(t.next_deadline(&env), None);
        assert_eq!(t.match_lines(), 0);
    }

    #[test]
    fn names_follow_the_datasheet() {
        let mut t = SystemTimer::new();
        let mut env = FakeEnv::new();
        assert_eq!(t.read(CLO, &mut env).name, "CLO");
        assert_eq!(t.write(C3, 0, &mut env), "C3");
        assert_eq!(t.read(0x1c, &mut env).name, "reserved");
    }

    #[test]
    fn counter_is_the_vm_time_in_microseconds() {
        let mut t = SystemTimer::new();
        let mut env = FakeEnv::new();
        env.set_micros(0x0000_0012_3456_789a);
        assert_eq!(read(&mut t, &mut env, CLO), 0x3456_789a);
        assert_eq!(read(&mut t, &mut env, CHI), 0x12);
        t.write(CLO, 0, &mut env);
        assert_eq!(read(&mut t, &mut env, CLO), 0x3456_789a, "CLO is read-only");
    }

    #[test]
    fn a_compare_matches_once_the_time_has_passed_and_stays_until_cleared() {
        let mut t = SystemTimer::new();
        let mut env = FakeEnv::new();
        env.set_micros(5_000);
        t.write(C1, 6_000, &mut env);
        env.set_micros(5_999);
        assert_eq!(read(&mut t, &mut env, CS), 0);
        // The VM was not running at 6000 us exactly: the match is not lost.
        env.set_micros(9_000);
        assert_eq!(read(&mut t, &mut env, CS), M1);
        assert_eq!(t.match_lines(), M1);
        env.set_micros(20_000);
        assert_eq!(read(&mut t, &mut env, CS), M1, "stays set");
        t.write(CS, M3, &mut env);
        assert_eq!(read(&mut t, &mut env, CS), M1, "writing 1 to M3 leaves M1");
        t.write(CS, M1, &mut env);
        assert_eq!(read(&mut t, &mut env, CS), 0);
    }

    #[test]
    fn compares_work_across_the_wrap_of_clo() {
        let mut t = SystemTimer::new();
        let mut env = FakeEnv::new();
        env.set_micros(0xffff_ff00);
        t.write(C3, 0x0000_0010, &mut env);
        assert_eq!(
            t.next_deadline(&env),
            Some(env.ticks_at_micros(0x1_0000_0010))
        );
        env.set_micros(0x1_0000_0010);
        assert_eq!(read(&mut t, &mut env, CS), M3);
    }

    #[test]
    fn a_compare_equal_to_clo_matches_one_wrap_later() {
        let mut t = SystemTimer::new();
        let mut env = FakeEnv::new();
        env.set_micros(1_000);
        t.write(C0, 1_000, &mut env);
        assert_eq!(
            t.next_deadline(&env),
            Some(env.ticks_at_micros(1_000 + COMPARE_PERIOD))
        );
    }

    #[test]
    fn next_deadline_is_the_earliest_unmatched_compare() {
        let mut t = SystemTimer::new();
        let mut env = FakeEnv::new();
        t.write(C1, 300, &mut env);
        t.write(C3, 200, &mut env);
        assert_eq!(t.next_deadline(&env), Some(env.ticks_at_micros(200)));
        env.set_micros(250);
        t.update(&env);
        assert_eq!(t.match_lines(), M3);
        assert_eq!(t.next_deadline(&env), Some(env.ticks_at_micros(300)));
        // Re-armed for the next wrap; reported again once M3 is cleared.
        t.write(CS, M3, &mut env);
        env.set_micros(400);
        t.update(&env);
        assert_eq!(
            t.next_deadline(&env),
            Some(env.ticks_at_micros(200 + COMPARE_PERIOD))
        );
    }

    #[test]
    fn a_deadline_wakes_at_the_first_tick_of_the_match() {
        let mut t = SystemTimer::new();
        let mut env = FakeEnv::new();
        env.freq = 19_200_000;
        t.write(C1, 77, &mut env);
        let at = t.next_deadline(&env).unwrap();
        env.now = at - 1;
        t.update(&env);
        assert_eq!(t.match_lines(), 0);
        env.now = at;
        t.update(&env);
        assert_eq!(t.match_lines(), M1);
    }

    proptest! {
        #[test]
        fn never_panics(ops in proptest::collection::vec(op_strategy(SIZE as u32 + 8), 0..100)) {
            let mut t = SystemTimer::new();
            let mut env = FakeEnv::new();
            exercise(&mut t, &mut env, &ops);
            let _ = t.next_deadline(&env);
            prop_assert_eq!(t.match_lines() & !MATCH_MASK, 0);
        }

        #[test]
        fn a_match_is_never_missed(compare in any::<u32>(), start in 0..(1u64 << 40), late in 0..1_000_000u64) {
            let mut t = SystemTimer::new();
            let mut env = FakeEnv::new();
            env.set_micros(start);
            t.write(C2, compare, &mut env);
            let due = SystemTimer::next_match(start, compare);
            prop_assert_eq!(due as u32, compare);
            prop_assert!(due > start && due - start <= COMPARE_PERIOD);
            env.set_micros(due - 1);
            t.update(&env);
            prop_assert_eq!(t.match_lines(), 0);
            env.set_micros(due + late);
            t.update(&env);
            prop_assert_eq!(t.match_lines(), 1 << 2);
        }
    }
}
