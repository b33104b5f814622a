//! The machine ferrovisor runs on, as the rest of the hypervisor reaches
//! it: the one instance of each real device it drives, what the firmware
//! said at boot, and the writer of last resort for crash reports.
//!
//! This is the leaf of the hypervisor's import graph above `arch` and the
//! board: it imports only those, and everything else (console, log, vm,
//! the shell, the kernel) imports it, never the other way round.

pub mod fatal;
pub mod ipi;
pub mod storage;

use crate::board::{self, Revision};
use crate::drivers::bcm2835_ic::InterruptController;
use crate::drivers::gpio::Gpio;
use crate::drivers::local_intc::LocalIntc;
use crate::drivers::mailbox::Mailbox;
use crate::drivers::mini_uart::MiniUart;
use core::sync::atomic::{AtomicBool, Ordering};
use spin::Once;

// ANCHOR: devices
// The addresses below are the BCM2837's own register blocks, which the
// hypervisor's MMU maps as device memory.

/// The console UART.
// SAFETY: AUX_BASE is the AUX block holding the mini UART.
pub static UART: MiniUart = unsafe { MiniUart::new(board::AUX_BASE) };
/// The GPIO block.
// SAFETY: GPIO_BASE is the GPIO block.
pub static GPIO: Gpio = unsafe { Gpio::new(board::GPIO_BASE) };
/// The VideoCore mailbox.
// SAFETY: MAILBOX_BASE is the VideoCore mailbox.
pub static MAILBOX: Mailbox = unsafe { Mailbox::new(board::MAILBOX_BASE) };
/// The peripheral interrupt controller.
pub static INTERRUPT_CONTROLLER: InterruptController =
    // SAFETY: INTERRUPT_CONTROLLER_BASE is the BCM2835 interrupt controller.
    unsafe { InterruptController::new(board::INTERRUPT_CONTROLLER_BASE) };
/// The ARM local interrupt controller.
// SAFETY: LOCAL_PERIPHERAL_BASE is the ARM local peripherals block.
pub static LOCAL_INTC: LocalIntc = unsafe { LocalIntc::new(board::LOCAL_PERIPHERAL_BASE) };
// ANCHOR_END: devices

/// What the firmware told us at boot.
#[derive(Debug, Clone, Copy)]
pub struct BootInfo {
    /// The board revision code.
    pub revision: Revision,
    /// Bytes of RAM the ARM owns (the rest belongs to the VideoCore).
    pub arm_memory_bytes: u32,
    /// The core clock that drives the mini UART.
    pub core_clock_hz: u32,
}

/// Facts gathered at boot, for `info`.
pub static BOOT_INFO: Once<BootInfo> = Once::new();

/// Set once the mini UART is initialised; before that, output is dropped
/// rather than waiting forever on a transmitter that is switched off.
static UART_READY: AtomicBool = AtomicBool::new(false);

/// Mark the UART as initialised.
pub fn mark_uart_ready() {
    UART_READY.store(true, Ordering::Release);
}

/// Whether the UART is initialised.
pub fn uart_ready() -> bool {
    UART_READY.load(Ordering::Acquire)
}
