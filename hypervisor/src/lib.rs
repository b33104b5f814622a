//! ferrovisor: a teaching hypervisor for the Raspberry Pi 3.
//!
//! It runs at EL2 on the BCM2837's Cortex-A53 (or QEMU's `raspi3b`) and
//! gives a serial console shell. The modules follow the data, and each
//! imports only those below it: `arch` (boot, exceptions, MMU) and the
//! board (`board`, `drivers`); `platform` (the device instances, boot
//! facts, the crash writer); console input/output and `log`; `emu` (the
//! virtual BCM2837); `vm` (the VMs, the run loop and exit handling); the
//! shell (`console::shell`, `console::lifecycle`); and last `kernel`, which
//! owns the main loop. `scripts/check-imports.sh` keeps it so. Everything
//! that does not touch the hardware also builds on the host, where it is
//! unit-tested, the run loop included (against a fake CPU).
#![cfg_attr(not(test), no_std)]
#![deny(missing_docs)]
#![deny(clippy::undocumented_unsafe_blocks)]

pub mod arch;
pub mod board;
pub mod console;
pub mod drivers;
pub mod emu;
pub mod log;
pub mod sync;
pub mod vm;

#[cfg(target_os = "none")]
pub mod kernel;
#[cfg(all(target_os = "none", not(test)))]
mod panic;
#[cfg(target_os = "none")]
pub mod platform;

/// ferrovisor's version, from Cargo.toml.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
