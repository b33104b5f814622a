//! What the host fuzz targets (`tests/fuzz_*.rs`) share: how many cases to
//! run, and the device models' fake VM (`src/emu/test_env.rs`, included
//! from the library's own unit tests rather than copied, so both test
//! layers drive the models through the same environment).
//!
//! The targets are proptest properties, which run on the stable toolchain
//! this repository pins; `cargo fuzz` would need nightly (it builds with
//! `-Zsanitizer`). Each target runs a bounded number of cases so
//! `cargo test --workspace` stays quick; `FUZZ_CASES=100000 cargo test -p
//! ferrovisor --test fuzz_devices` runs a longer campaign, and a failing
//! case is shrunk and saved next to the target in
//! `tests/*.proptest-regressions`, which proptest replays first on every
//! later run.
// Each target uses only part of what is here.
#![allow(dead_code)]

use proptest::test_runner::Config;

pub use ferrovisor::emu::{Device, VmEnv};

/// Cases per target when `FUZZ_CASES` is not set: a few seconds each in a
/// debug build.
const DEFAULT_CASES: u32 = 96;

/// The proptest configuration of every fuzz target: `FUZZ_CASES` cases (or
/// [`DEFAULT_CASES`]).
pub fn config() -> Config {
    let cases = std::env::var("FUZZ_CASES")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(DEFAULT_CASES);
    Config {
        cases,
        ..Config::default()
    }
}

/// What `test_env` needs from `crate::emu` besides the traits (the library
/// keeps its own `units_to_ticks` crate-private): the first counter value
/// at which `units` (per second) have passed, rounded up, saturating.
fn units_to_ticks(units: u64, freq: u64, units_per_second: u64) -> u64 {
    if freq == 0 {
        return u64::MAX;
    }
    let ticks = (u128::from(units) * u128::from(freq)).div_ceil(u128::from(units_per_second));
    u64::try_from(ticks).unwrap_or(u64::MAX)
}

#[path = "../../src/emu/test_env.rs"]
pub mod test_env;
