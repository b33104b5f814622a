//! The lrtos kernel binary: `kernel8.img` for the Raspberry Pi 3.
//!
//! `kernel/` is the EL1 kernel (boot, exceptions, MMU, drivers, scheduler,
//! system calls) and `user/` the program its EL0 tasks run. On the board
//! the linker keeps `_start` (the guest runtime's `boot.s`) as the entry point. The
//! pure logic both use is the `lrtos` library (`src/lib.rs`).
#![cfg_attr(target_os = "none", no_std)]
#![cfg_attr(target_os = "none", no_main)]
#![deny(missing_docs)]
#![deny(clippy::undocumented_unsafe_blocks)]

#[cfg(target_os = "none")]
mod kernel;
#[cfg(target_os = "none")]
mod user;

/// Built for the host, there is nothing to run.
#[cfg(not(target_os = "none"))]
fn main() {
    eprintln!(
        "lrtos {} is a bare-metal AArch64 program: boot target/images/lrtos.bin in QEMU raspi3b",
        lrtos::VERSION
    );
    std::process::exit(1);
}
