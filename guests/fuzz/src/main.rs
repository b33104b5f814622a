//! fuzz: a bare-metal AArch64 guest for the Raspberry Pi 3 that, from a
//! seed, throws a stream of random operations at the hypervisor under it
//! for as long as it runs: loads and stores of every form to every device
//! window and past its RAM, writes to the device models' registers, the
//! system registers the hypervisor traps, HVC and SMC calls, the virtual
//! timer, WFI and WFE, mailbox messages and console bursts (the mix is in
//! [`fuzz::op`]). It takes its own exceptions and goes on; it prints a
//! heartbeat with the operations done, and announces the rare operation a
//! VM cannot survive before running it. `scripts/fuzz.sh` runs it next to
//! echo and lrtos and checks that the hypervisor and the others survive.
//!
//! It asks for its seed at start (`fuzz: seed? `, see [`fuzz::seed`]) and
//! otherwise takes one from the system timer, so a run can be replayed.
//!
//! It is an ordinary BCM2837 program on the guest runtime (`guests/rt`:
//! boot code, EL2 to EL1 drop, core parking, EL1 vectors, panic) and the
//! board crate (`boards/raspi3b`).
//!
//! Built for the host, only a stub `main` is compiled.
#![cfg_attr(target_os = "none", no_std)]
#![cfg_attr(target_os = "none", no_main)]
#![deny(missing_docs)]

#[cfg(target_os = "none")]
mod exception;
#[cfg(target_os = "none")]
mod exec;
#[cfg(target_os = "none")]
mod run;

#[cfg(target_os = "none")]
rt::entry!("fuzz", run::start);
#[cfg(target_os = "none")]
rt::exception_handler!(exception::handle);

/// Built for the host, there is nothing to run.
#[cfg(not(target_os = "none"))]
fn main() {
    eprintln!("fuzz is a bare-metal AArch64 program for the Raspberry Pi 3: build it for aarch64-unknown-none-softfloat");
    std::process::exit(1);
}
