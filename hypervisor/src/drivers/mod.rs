//! The real BCM2837 devices the hypervisor itself drives.
//!
//! Their register blocks and most drivers are the board crate's (`raspi3b`),
//! the same ones every guest uses; they are re-exported here under the
//! names the rest of the hypervisor imports. The hypervisor's own: a thin
//! layer over the mini UART (the console's line speed and its receive
//! interrupt, [`mini_uart`]), and the SD card: the host controller
//! ([`sdhci`]), the card's protocol ([`sdcard`]) and its FAT file system
//! ([`fat`]).

pub use raspi3b::{bcm2835_ic, gpio, local_intc, mailbox};

pub mod fat;
pub mod mini_uart;
pub mod sdcard;
pub mod sdhci;

#[cfg(test)]
mod fat_tests;
#[cfg(test)]
mod sd_model;
#[cfg(test)]
mod sd_tests;
