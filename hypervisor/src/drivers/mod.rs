//! The real BCM2837 devices the hypervisor itself drives.
//!
//! Their register blocks and drivers are the board crate's (`raspi3b`), the
//! same ones every guest uses; they are re-exported here under the names
//! the rest of the hypervisor imports. Only the mini UART has a thin layer
//! of the hypervisor's own: the console's line speed and its receive
//! interrupt ([`mini_uart`]).

pub use raspi3b::{bcm2835_ic, gpio, local_intc, mailbox};

pub mod mini_uart;
