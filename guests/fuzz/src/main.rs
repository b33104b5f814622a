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
//! It is an ordinary BCM2837 program built like hostile (same board,
//! linker script, boot code, EL2 to EL1 drop and EL1 vector table, shared
//! from `guests/hostile/src/` until the guest runtime crate replaces them).
//!
//! Built for the host, only a stub `main` is compiled.
#![cfg_attr(target_os = "none", no_std)]
#![cfg_attr(target_os = "none", no_main)]
#![deny(missing_docs)]

#[cfg(target_os = "none")]
#[allow(dead_code)]
#[path = "../../hostile/src/board.rs"]
mod board;
#[cfg(target_os = "none")]
#[path = "../../hostile/src/boot.rs"]
mod boot;
#[cfg(target_os = "none")]
#[allow(dead_code)]
#[path = "../../hostile/src/cpu.rs"]
mod cpu;
#[cfg(target_os = "none")]
mod exception;
#[cfg(target_os = "none")]
mod exec;
#[cfg(target_os = "none")]
#[allow(dead_code)]
#[path = "../../hostile/src/intc.rs"]
mod intc;
#[cfg(target_os = "none")]
#[path = "../../hostile/src/mailbox.rs"]
mod mailbox;
#[cfg(target_os = "none")]
#[path = "../../hostile/src/mmio.rs"]
mod mmio;
#[cfg(target_os = "none")]
mod run;
#[cfg(target_os = "none")]
#[allow(dead_code)]
#[path = "../../hostile/src/uart.rs"]
mod uart;

/// The entry point at EL1 ([`boot`] calls it).
#[cfg(target_os = "none")]
fn start() -> ! {
    run::start()
}

/// What happens when the fuzzer panics: say where, then stop.
#[cfg(target_os = "none")]
#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    let mut w = &board::UART;
    let message = info.message().as_str().unwrap_or("(formatted message)");
    let _ = match info.location() {
        Some(at) => ufmt::uwrite!(
            w,
            "\nfuzz: panic at {}:{}: {}\n",
            at.file(),
            at.line(),
            message
        ),
        None => ufmt::uwrite!(w, "\nfuzz: panic: {}\n", message),
    };
    cpu::halt()
}

/// Built for the host, there is nothing to run.
#[cfg(not(target_os = "none"))]
fn main() {
    eprintln!("fuzz is a bare-metal AArch64 program for the Raspberry Pi 3: build it for aarch64-unknown-none-softfloat");
    std::process::exit(1);
}
