//! The ferrovisor binary. All the code lives in the library; on the board
//! the linker keeps `_start` (from `arch/aarch64/boot.s`) as the entry point.
#![cfg_attr(target_os = "none", no_std)]
#![cfg_attr(target_os = "none", no_main)]

#[cfg(target_os = "none")]
use ferrovisor as _;

/// Built for the host, there is nothing to run.
#[cfg(not(target_os = "none"))]
fn main() {
    eprintln!(
        "ferrovisor {} is a bare-metal AArch64 program: run ./scripts/demo.sh",
        ferrovisor::VERSION
    );
    std::process::exit(1);
}
