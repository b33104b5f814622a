//! ferrovisor: a teaching hypervisor for the Raspberry Pi 3.
//!
//! It runs at EL2 on the BCM2837's Cortex-A53 (or QEMU's `raspi3b`) and
//! gives a serial console shell. The modules follow the data: `arch` (boot,
//! exceptions, MMU), `drivers` (the real devices), `console` (rings, line
//! editor, shell) and `log` (the `dmesg` ring). Everything that does not
//! touch the hardware also builds on the host, where it is unit-tested.
#![cfg_attr(not(test), no_std)]
#![deny(missing_docs)]
#![deny(clippy::undocumented_unsafe_blocks)]

pub mod arch;
pub mod board;
pub mod console;
pub mod drivers;
pub mod emu;
pub mod log;
pub mod vm;

#[cfg(target_os = "none")]
pub mod kernel;
#[cfg(all(target_os = "none", not(test)))]
mod panic;

/// ferrovisor's version, from Cargo.toml.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
