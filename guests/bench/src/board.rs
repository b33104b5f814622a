//! The Raspberry Pi 3 (BCM2837) as bench sees it: where its devices are,
//! and the one instance of each driver. The addresses are those of the
//! BCM2835 ARM Peripherals datasheet (bus 0x7Exx_xxxx at 0x3Fxx_xxxx) and
//! of the BCM2836 "ARM local peripherals" document; under ferrovisor they
//! reach the emulated devices of the virtual Raspberry Pi 3.

use crate::gpio::Gpio;
use crate::intc::{InterruptController, LocalIntc};
use crate::uart::MiniUart;

/// Start of the BCM2837 peripheral window.
const PERIPHERAL_BASE: usize = 0x3f00_0000;
/// The BCM2835 ARM interrupt controller (datasheet chapter 7).
const INTERRUPT_CONTROLLER_BASE: usize = PERIPHERAL_BASE + 0xb200;
/// GPIO (datasheet chapter 6).
const GPIO_BASE: usize = PERIPHERAL_BASE + 0x20_0000;
/// The auxiliary peripherals: mini UART and SPI1/2 (datasheet chapter 2).
const AUX_BASE: usize = PERIPHERAL_BASE + 0x21_5000;
/// The ARM local peripherals (interrupt routing to the cores).
const LOCAL_PERIPHERAL_BASE: usize = 0x4000_0000;

/// The VideoCore core clock that drives the mini UART (`core_freq=250`).
pub const CORE_CLOCK_HZ: u32 = 250_000_000;
/// The console's line speed.
pub const BAUD_RATE: u32 = 115_200;
/// The core bench runs on.
pub const BOOT_CORE: usize = 0;

/// The console UART.
// SAFETY: AUX_BASE is the AUX block holding the mini UART.
pub static UART: MiniUart = unsafe { MiniUart::new(AUX_BASE) };
/// The GPIO block.
// SAFETY: GPIO_BASE is the GPIO block.
pub static GPIO: Gpio = unsafe { Gpio::new(GPIO_BASE) };
/// The peripheral interrupt controller.
pub static INTERRUPT_CONTROLLER: InterruptController =
    // SAFETY: INTERRUPT_CONTROLLER_BASE is the BCM2835 interrupt controller.
    unsafe { InterruptController::new(INTERRUPT_CONTROLLER_BASE) };
/// The ARM local interrupt controller.
// SAFETY: LOCAL_PERIPHERAL_BASE is the ARM local peripherals block.
pub static LOCAL_INTC: LocalIntc = unsafe { LocalIntc::new(LOCAL_PERIPHERAL_BASE) };
