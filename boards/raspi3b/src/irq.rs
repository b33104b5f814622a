//! Interrupt numbers of the BCM2835 ARM interrupt controller (datasheet
//! chapter 7, "ARM peripherals interrupts table"): the 64 peripheral
//! ("GPU") interrupts, IRQ pending 1 holding 0-31 and IRQ pending 2 32-63,
//! and the ARM-side sources of the basic pending register.

/// System timer compare 1 (C1): the first compare the ARM may use.
pub const SYSTEM_TIMER_MATCH_1: u32 = 1;
/// System timer compare 3 (C3): the other compare the ARM may use.
pub const SYSTEM_TIMER_MATCH_3: u32 = 3;
/// The auxiliary peripherals: the mini UART and SPI1/2.
pub const AUX: u32 = 29;
/// Peripheral interrupts in all (two registers of 32).
pub const PERIPHERAL_IRQS: u32 = 64;
/// Peripheral interrupts per pending/enable register.
pub const IRQS_PER_REGISTER: u32 = 32;

/// Basic pending bit 0: the ARM timer (SP804).
pub const BASIC_ARM_TIMER: u32 = 0;
/// Basic pending bit 1: the ARM mailbox.
pub const BASIC_ARM_MAILBOX: u32 = 1;
