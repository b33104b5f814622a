//! The hardware random number generator (RNG200 at bus address 0x7E10_4000),
//! as lab 3 of the course describes it: the three registers a driver needs.
//!
//! - RNG_CTRL (0x0) keeps what is written; bit 0 (RBGEN) enables the
//!   generator. At power-on it is 0: disabled.
//! - RNG_STATUS (0x4): bits 31:24 say how many 32-bit words are ready. While
//!   the generator is disabled that is 0; while enabled the model always has
//!   [`WORDS_READY`] words ready (it makes them on demand).
//! - RNG_DATA (0x8): reading takes one word; 0 while disabled.
//! - Any other offset in the block reads 0 and ignores writes, like every
//!   model's reserved offsets; writes to RNG_STATUS and RNG_DATA are ignored.
//!
//! The words come from a xorshift64 generator with a fixed seed: good enough
//! for a guest that wants varying numbers, deterministic for the tests, and
//! no source of keys.

use super::{register_offsets, Device, Reg, VmEnv};
use crate::board::PERIPHERAL_BASE;

/// The RNG registers (bus address 0x7E10_4000).
pub const BASE: u64 = PERIPHERAL_BASE.offset(0x10_4000).as_u64();
/// Bytes of registers the model decodes: RNG_CTRL to the reserved word after
/// RNG_DATA.
pub const SIZE: u64 = 0x10;

register_offsets! {
    /// Control: bit 0 enables the generator.
    RNG_CTRL = 0x0,
    /// Status: bits 31:24, the number of words ready.
    RNG_STATUS = 0x4,
    /// Data: one random word per read.
    RNG_DATA = 0x8,
}

/// RNG_CTRL bit 0: the generator runs.
pub const RBGEN: u32 = 1 << 0;
/// Where RNG_STATUS keeps the count of words ready.
pub const STATUS_WORDS_SHIFT: u32 = 24;
/// How many words the model says are ready while enabled.
pub const WORDS_READY: u32 = 4;

// LAB 3: BEGIN SOLUTION
/// The generator's state at power-on (any non-zero value works).
const SEED: u64 = 0x2545_f491_4f6c_dd1d;

/// One VM's RNG.
pub struct Rng {
    /// What RNG_CTRL holds.
    ctrl: u32,
    /// The xorshift64 state; never 0.
    state: u64,
}

impl Rng {
    /// The RNG at power-on: disabled.
    pub const fn new() -> Self {
        Self {
            ctrl: 0,
            state: SEED,
        }
    }

    /// Whether RBGEN is set.
    fn enabled(&self) -> bool {
        self.ctrl & RBGEN != 0
    }

    /// The next word of the xorshift64 sequence (Marsaglia's 13, 7, 17).
    fn next_word(&mut self) -> u32 {
        let mut x = self.state;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.state = x;
        (x >> 32) as u32
    }
}

impl Device for Rng {
    fn read(&mut self, offset: u32, _env: &mut dyn VmEnv) -> Reg {
        let value = match offset {
            RNG_CTRL => self.ctrl,
            RNG_STATUS if self.enabled() => WORDS_READY << STATUS_WORDS_SHIFT,
            RNG_DATA if self.enabled() => self.next_word(),
            _ => 0,
        };
        Reg {
            name: register_name(offset),
            value,
        }
    }

    fn write(&mut self, offset: u32, value: u32, _env: &mut dyn VmEnv) -> &'static str {
        if offset == RNG_CTRL {
            self.ctrl = value;
        }
        register_name(offset)
    }
}
// LAB 3: END SOLUTION
// LAB 3: BEGIN STUB
// /// One VM's RNG. Lab 3: give it the state the registers need.
// pub struct Rng {}
//
// impl Rng {
//     /// The RNG at power-on: disabled.
//     pub const fn new() -> Self {
//         Self {}
//     }
// }
//
// impl Device for Rng {
//     fn read(&mut self, offset: u32, _env: &mut dyn VmEnv) -> Reg {
//         // Lab 3: RNG_CTRL, RNG_STATUS and RNG_DATA as the module says.
//         Reg {
//             name: register_name(offset),
//             value: 0,
//         }
//     }
//
//     fn write(&mut self, offset: u32, _value: u32, _env: &mut dyn VmEnv) -> &'static str {
//         register_name(offset)
//     }
// }
// LAB 3: END STUB

impl Default for Rng {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_env::{exercise, op_strategy, FakeEnv};
    use super::Rng;
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Whatever a guest does to it, the model answers and never panics.
        #[test]
        fn never_panics(ops in proptest::collection::vec(op_strategy(SIZE as u32 + 8), 0..100)) {
            let mut rng = Rng::new();
            let mut env = FakeEnv::new();
            exercise(&mut rng, &mut env, &ops);
        }
    }
}
