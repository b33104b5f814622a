//! hostile: a bare-metal AArch64 guest for the Raspberry Pi 3 that
//! misbehaves on request, to test and to teach ferrovisor's isolation.
//!
//! Its console shows a menu; each key makes it do one bad thing: touch
//! memory outside its RAM, reach for the hypervisor's image, use devices
//! the virtual board does not have, make MMIO accesses the exception
//! syndrome cannot describe (which ferrovisor decodes), execute undefined instructions and system
//! registers it may not use, make unknown HVC and SMC calls, sleep or spin
//! for ever with interrupts masked, flood the console, or storm itself with
//! timer interrupts. Under ferrovisor each must stop this VM alone (with a
//! one-line report), or be contained, while the hypervisor and the other
//! VMs carry on; `tests/isolation.rs` in the harness checks each, and
//! `book/src/isolation.md` explains them.
//!
//! It is built like echo, on the board crate (`raspi3b`) and the guest
//! runtime (`rt`: linker script, boot code, EL2 to EL1 drop, vectors,
//! panic), and also boots natively as `kernel8.img`, where the probes hit
//! the real machine: there nothing contains them.
//!
//! The flow: the runtime's boot → [`start`] (vectors, UART, the RAM size
//! from the firmware, menu) → one probe per key.
//!
//! Built for the host, only a stub `main` is compiled.
#![cfg_attr(target_os = "none", no_std)]
#![cfg_attr(target_os = "none", no_main)]
#![deny(missing_docs)]

/// Print one line on the console, prefixed with `hostile: `.
#[cfg(target_os = "none")]
#[macro_export]
macro_rules! say {
    ($($arg:tt)*) => {{
        let mut w = rt::board::console();
        let _ = ufmt::uwrite!(w, "hostile: ");
        let _ = ufmt::uwriteln!(w, $($arg)*);
    }};
}

#[cfg(target_os = "none")]
mod exception;
#[cfg(target_os = "none")]
mod probes;
#[cfg(target_os = "none")]
mod targets;

#[cfg(target_os = "none")]
use {
    raspi3b::irq::AUX,
    rt::board::{console, BOOT_CORE, INTERRUPT_CONTROLLER, LOCAL_INTC, MAILBOX, UART},
    rt::cpu,
    ufmt::uwrite,
};

#[cfg(target_os = "none")]
rt::entry!("hostile", start);
#[cfg(target_os = "none")]
rt::exception_handler!(exception::handle);

/// The RAM size to assume if the firmware does not answer: ferrovisor's
/// VM list gives hostile 16 MiB.
#[cfg(target_os = "none")]
const DEFAULT_RAM_END: u64 = 16 << 20;

// ANCHOR: menu
/// The menu: one key per probe. "stops" means ferrovisor must stop this
/// VM, and only it; "goes on" that the guest carries on; "for ever" that
/// only `vmreset` ends it.
#[cfg(target_os = "none")]
const MENU: &str = "\
Each key does one bad thing. [stops]: ferrovisor must stop this VM, and only
it; [goes on]: the guest carries on; [for ever]: only vmreset ends it.
  r  load from the first address past the end of RAM              [stops]
  w  store to the first address past the end of RAM               [stops]
  h  read IPA 0x80000 (where ferrovisor's image is in host memory:
     here it is this guest's own image), then store to RAM end +
     0x80000, ferrovisor's image if host memory followed this RAM [stops]
  a  read and write devices the virtual board does not have       [goes on]
  p  load pair (ldp) from a device register: no syndrome          [goes on]
  x  pre-indexed store to a device register: no syndrome          [goes on]
  q  SIMD&FP registers to and from device registers: no syndrome  [goes on]
  j  jump into the peripheral window (fetch from MMIO)            [stops]
  t  stage-1 page tables in the peripheral window, MMU on         [stops]
  u  undefined instruction: this guest's own EL1 vector takes it  [goes on]
  v  undefined instruction with VBAR_EL1 = 0: faults at EL1       [for ever]
  s  system registers: trapped, EL2-only, implementation defined  [goes on]
  c  HVC and SMC calls: PSCI and unknown function ids             [goes on]
  d  debug and OS-lock registers: trapped, this VM's own          [goes on]
  m  PMU registers: trapped; an absent counter is UNDEFINED       [goes on]
  f  freeze: WFI with every interrupt off and masked              [for ever]
  l  tight loop with interrupts masked                            [for ever]
  o  flood the console with output                                [for ever]
  i  interrupt storm: the virtual timer interrupt is never cleared [for ever]
  ?  this menu
";
// ANCHOR_END: menu

/// The prompt.
#[cfg(target_os = "none")]
const PROMPT: &str = "hostile> ";

/// The start-up sequence at EL1, on core 0, with every exception masked.
/// Never returns: it ends in the menu loop.
#[cfg(target_os = "none")]
fn start() -> ! {
    rt::exception::install_vectors();
    rt::board::init_console();
    // The receive interrupt wakes WFI; IRQs stay masked at the CPU, so it
    // is never taken: the loop below polls the UART.
    LOCAL_INTC.route_gpu_irq_to(BOOT_CORE);
    INTERRUPT_CONTROLLER.enable(AUX);
    UART.enable_receive_interrupt();
    let ram_end = MAILBOX.arm_memory_end().unwrap_or(DEFAULT_RAM_END);
    say!("a guest that misbehaves on request, to test ferrovisor's isolation");
    say!(
        "RAM ends at {:#x} ({} MiB), as the firmware's mailbox says",
        ram_end,
        ram_end >> 20
    );
    menu();
    loop {
        let mut w = console();
        let _ = uwrite!(w, "{}", PROMPT);
        let key = read_key();
        UART.write_byte(key);
        let _ = uwrite!(w, "\n");
        run(key, ram_end);
    }
}

/// Print the menu.
#[cfg(target_os = "none")]
fn menu() {
    let mut w = console();
    let _ = uwrite!(w, "{}", MENU);
}

// ANCHOR: keys
/// Run the probe for `key`.
#[cfg(target_os = "none")]
fn run(key: u8, ram_end: u64) {
    match key {
        b'r' => probes::load_past_ram(ram_end),
        b'w' => probes::store_past_ram(ram_end),
        b'h' => probes::store_to_hypervisor(ram_end),
        b'a' => probes::absent_devices(),
        b'p' => probes::load_pair_from_device(),
        b'x' => probes::writeback_store_to_device(),
        b'q' => probes::simd_to_device(),
        b'j' => probes::jump_into_devices(),
        b't' => probes::page_tables_in_devices(),
        b'u' => probes::undefined_instruction(),
        b'v' => probes::undefined_without_vectors(),
        b's' => probes::system_registers(),
        b'c' => probes::calls(),
        b'd' => probes::debug_registers(),
        b'm' => probes::performance_monitors(),
        b'f' => probes::freeze(),
        b'l' => probes::tight_loop(),
        b'o' => probes::flood(),
        b'i' => probes::interrupt_storm(),
        b'?' => menu(),
        b'\r' | b'\n' | b' ' => {}
        _ => say!("no probe on that key; ? shows the menu"),
    }
}
// ANCHOR_END: keys

/// Wait for a key: poll the UART, sleep in WFI while there is nothing.
#[cfg(target_os = "none")]
fn read_key() -> u8 {
    loop {
        if let Some(byte) = UART.read_byte() {
            return byte;
        }
        cpu::wait_for_interrupt();
    }
}

/// Built for the host, there is nothing to run.
#[cfg(not(target_os = "none"))]
fn main() {
    eprintln!("hostile is a bare-metal AArch64 program for the Raspberry Pi 3: build it for aarch64-unknown-none-softfloat");
    std::process::exit(1);
}
