//! The Raspberry Pi 3 (BCM2837) as hostile sees it: where its devices are,
//! the one instance of each driver, and the addresses the probes abuse.
//!
//! Addresses are ARM physical addresses (BCM2835 ARM Peripherals datasheet,
//! bus 0x7Exx_xxxx at 0x3Fxx_xxxx; the BCM2836 "ARM local peripherals"
//! document). Under ferrovisor they are guest physical addresses (IPAs) of
//! the virtual Raspberry Pi 3.

use crate::intc::{InterruptController, LocalIntc};
use crate::mailbox::Mailbox;
use crate::uart::MiniUart;

/// Start of the BCM2837 peripheral window.
pub const PERIPHERAL_BASE: usize = 0x3f00_0000;
/// The BCM2835 ARM interrupt controller.
const INTERRUPT_CONTROLLER_BASE: usize = PERIPHERAL_BASE + 0xb200;
/// The VideoCore mailboxes.
const MAILBOX_BASE: usize = PERIPHERAL_BASE + 0xb880;
/// The auxiliary peripherals: the mini UART.
const AUX_BASE: usize = PERIPHERAL_BASE + 0x21_5000;
/// The ARM local peripherals (interrupt routing to the cores).
const LOCAL_PERIPHERAL_BASE: usize = 0x4000_0000;

/// AUX_MU_LSR_REG: a mini UART register that is harmless to read.
pub const AUX_MU_LSR_REG: usize = AUX_BASE + 0x54;
/// AUX_MU_SCRATCH: a mini UART register that is harmless to write.
pub const AUX_MU_SCRATCH: usize = AUX_BASE + 0x5c;

/// Devices inside the peripheral window that the virtual board does not
/// emulate, with their register's name on a real Pi 3 (BCM2835 ARM
/// Peripherals): the SPI0 master, the BSC1 I2C master and the PWM.
pub const ABSENT_DEVICES: [(&str, usize); 3] = [
    ("SPI0 control and status, CS", PERIPHERAL_BASE + 0x20_4000),
    ("BSC1 I2C status, S", PERIPHERAL_BASE + 0x80_4004),
    ("PWM control, CTL", PERIPHERAL_BASE + 0x20_c000),
];

/// Where the Raspberry Pi firmware (and QEMU) load a `kernel8.img`, so
/// where ferrovisor's own image sits in host physical memory.
pub const KERNEL_LOAD_ADDRESS: usize = 0x8_0000;

/// The VideoCore core clock that drives the mini UART (`core_freq=250`).
pub const CORE_CLOCK_HZ: u32 = 250_000_000;
/// The console's line speed.
pub const BAUD_RATE: u32 = 115_200;
/// The core hostile runs on, which its interrupts are routed to.
pub const BOOT_CORE: u32 = 0;

/// The console UART.
// SAFETY: AUX_BASE is the AUX block holding the mini UART.
pub static UART: MiniUart = unsafe { MiniUart::new(AUX_BASE) };
/// The peripheral interrupt controller.
pub static INTERRUPT_CONTROLLER: InterruptController =
    // SAFETY: INTERRUPT_CONTROLLER_BASE is the BCM2835 interrupt controller.
    unsafe { InterruptController::new(INTERRUPT_CONTROLLER_BASE) };
/// The ARM local interrupt controller.
// SAFETY: LOCAL_PERIPHERAL_BASE is the ARM local peripherals block.
pub static LOCAL_INTC: LocalIntc = unsafe { LocalIntc::new(LOCAL_PERIPHERAL_BASE) };
/// The VideoCore mailbox.
// SAFETY: MAILBOX_BASE is the VideoCore mailbox block.
pub static MAILBOX: Mailbox = unsafe { Mailbox::new(MAILBOX_BASE) };
