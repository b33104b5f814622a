//! The board as a guest sees it: one instance of each driver of the board
//! crate, at the addresses of `raspi3b::map`, and the console every guest
//! sets up first.
//!
//! The guests run with the MMU off or identity-mapped, so physical
//! addresses are the ones to use. Under ferrovisor they reach the virtual
//! Raspberry Pi 3's emulated devices at the same addresses.

use raspi3b::bcm2835_ic::InterruptController;
use raspi3b::delay::CounterDelay;
use raspi3b::gpio::Gpio;
use raspi3b::local_intc::LocalIntc;
use raspi3b::mailbox::Mailbox;
use raspi3b::map;
use raspi3b::mini_uart::{MiniUart, Terminal};

pub use raspi3b::map::BOOT_CORE;

/// The console UART.
// SAFETY: AUX_BASE is the AUX block holding the mini UART.
pub static UART: MiniUart = unsafe { MiniUart::new(map::AUX_BASE) };
/// The GPIO block.
// SAFETY: GPIO_BASE is the GPIO block.
pub static GPIO: Gpio = unsafe { Gpio::new(map::GPIO_BASE) };
/// The peripheral interrupt controller.
pub static INTERRUPT_CONTROLLER: InterruptController =
    // SAFETY: INTERRUPT_CONTROLLER_BASE is the BCM2835 interrupt controller.
    unsafe { InterruptController::new(map::INTERRUPT_CONTROLLER_BASE) };
/// The ARM local interrupt controller.
// SAFETY: LOCAL_PERIPHERAL_BASE is the ARM local peripherals block.
pub static LOCAL_INTC: LocalIntc = unsafe { LocalIntc::new(map::LOCAL_PERIPHERAL_BASE) };
/// The VideoCore mailbox.
// SAFETY: MAILBOX_BASE is the VideoCore mailbox block.
pub static MAILBOX: Mailbox = unsafe { Mailbox::new(map::MAILBOX_BASE) };

// ANCHOR: console
/// Bring up the console: GPIO14/15 to the mini UART, pulls off, 8N1 at
/// 115200 baud from the default core clock (`core_freq=250`; the guests do
/// not ask the firmware). Bytes typed before keep waiting in the FIFO.
pub fn init_console() {
    GPIO.map_mini_uart(&mut CounterDelay);
    UART.init(map::DEFAULT_CORE_CLOCK_HZ, map::BAUD_RATE);
}
// ANCHOR_END: console

/// A `ufmt` writer on the console that sends `\n` as `\r\n`.
pub fn console() -> Terminal<'static> {
    Terminal(&UART)
}
