//! The console's mini UART: the board crate's driver
//! (`raspi3b::mini_uart`), set up the way the hypervisor's console wants it.
//!
//! The hypervisor owns the physical mini UART. It runs it at [`BAUD_RATE`]
//! from the core clock the firmware reports, with the receive interrupt on
//! (the main loop drains the FIFO into the receive ring), and keeps what
//! the receive FIFO already holds when it starts: keys typed while the
//! firmware loaded the image, or while `./scripts/demo.sh` was still
//! building, are the shell's first input.

use core::ops::Deref;
use raspi3b::PhysAddr;

pub use raspi3b::map::BAUD_RATE;
pub use raspi3b::mini_uart::baud_divisor;

/// The console UART: the board crate's mini UART driver, which it derefs to.
pub struct MiniUart(raspi3b::mini_uart::MiniUart);

impl MiniUart {
    /// The mini UART in the AUX block at `base`.
    ///
    /// # Safety
    ///
    /// `base` must be the AUX block, mapped as device memory.
    pub const unsafe fn new(base: PhysAddr) -> Self {
        // SAFETY: passed on from the caller.
        Self(unsafe { raspi3b::mini_uart::MiniUart::new(base) })
    }

    // ANCHOR: init
    /// Set 8N1 at [`BAUD_RATE`] for a core clock of `core_clock_hz`, with
    /// the receive interrupt on; bytes already received stay in the FIFO.
    /// The GPIO pins are routed separately.
    pub fn init(&self, core_clock_hz: u32) {
        self.0.init(core_clock_hz, BAUD_RATE);
        self.0.enable_receive_interrupt();
    }
    // ANCHOR_END: init
}

impl Deref for MiniUart {
    type Target = raspi3b::mini_uart::MiniUart;

    fn deref(&self) -> &Self::Target {
        &self.0
    }
}
