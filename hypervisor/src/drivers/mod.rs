//! Drivers for the real BCM2837 devices the hypervisor itself uses. Each
//! declares its registers with tock-registers, in the datasheet's words.

pub mod bcm2835_ic;
pub mod gpio;
pub mod local_intc;
pub mod mailbox;
pub mod mini_uart;
pub mod mmio;
