//! Board support for the Raspberry Pi 3 Model B (BCM2837, four Cortex-A53
//! cores): the one place in ferrovisor that knows where the board's devices
//! are and what their registers mean.
//!
//! # What lives here, and what does not (a design decision)
//!
// ANCHOR: design
//! This crate holds what a bare-metal program for the real board needs,
//! whoever runs it: the physical memory map ([`map`], with one address type,
//! [`PhysAddr`]), the typed register pointer ([`Mmio`]), every register
//! block the project touches, declared once with tock-registers in the words
//! of the BCM2835 ARM Peripherals datasheet and the BCM2836 "QA7" document
//! ([`aux`], [`gpio`], [`bcm2835_ic`], [`local_intc`], [`system_timer`],
//! [`mailbox`], [`watchdog`], and the SD and USB hosts [`emmc`], [`sdhost`],
//! [`usb`], which ferrovisor's emulated devices use, and the EMMC also its SD card driver), the interrupt numbers ([`irq`]), the
//! mailbox's tag ids, and the drivers both the hypervisor and the guests use
//! ([`mini_uart`], [`gpio::Gpio`], [`mailbox::Mailbox`], both interrupt
//! controllers, [`system_timer::SystemTimer`], [`spin_table`]), behind the
//! embedded-hal / embedded-io traits where they fit.
//!
//! It holds nothing about virtualization and nothing about a particular
//! program: no exception levels, no vector tables, no device statics, no
//! policy. The hypervisor (`hypervisor/`) owns its statics, its EL2 code,
//! its console and the *emulated* devices (`hypervisor/src/emu/`), which
//! take their register offsets and bit names from the blocks declared here
//! so that the model and the real device cannot disagree. The guests' boot
//! code, EL drop, vectors and panic handler are the guest runtime
//! (`guests/rt/`), which builds on this crate. A guest that links this
//! crate is still an ordinary BCM2837 program: the same binary runs on the
//! real board, on QEMU's `raspi3b`, and inside ferrovisor.
// ANCHOR_END: design
//!
//! Everything compiles on the host, where the unit tests check the register
//! layouts against the datasheet offsets and the drivers' arithmetic; only
//! the few instructions that must be AArch64 (cache maintenance, `sev`,
//! `nop`) are left out there.
#![no_std]

pub mod addr;
pub mod aux;
pub mod bcm2835_ic;
pub mod delay;
pub mod emmc;
pub mod gpio;
pub mod irq;
pub mod local_intc;
pub mod mailbox;
pub mod map;
pub mod mini_uart;
pub mod mmio;
pub mod revision;
pub mod sdhost;
pub mod spin_table;
pub mod system_timer;
pub mod usb;
pub mod watchdog;

pub use addr::PhysAddr;
pub use mmio::Mmio;

/// The board's own linker script (`boards/raspi3b/link.ld`): a
/// `kernel8.img` loaded at 0x80000. Build scripts pass it to the linker.
pub const LINK_SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/link.ld");
