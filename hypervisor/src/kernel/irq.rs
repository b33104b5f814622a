//! Routing a physical IRQ taken at EL2 to the driver that asked for it.
//!
//! The BCM2837 has no GIC: the ARM local interrupt controller says which
//! source raised the core's IRQ line, and for peripheral ("GPU")
//! interrupts the BCM2835 controller says which peripheral.

use super::{INTERRUPT_CONTROLLER, LOCAL_INTC, UART};
use crate::board::IRQ_AUX;
use crate::console::input;

// ANCHOR: dispatch
/// Handle every pending IRQ source on core 0.
pub fn handle() {
    if LOCAL_INTC.gpu_irq_pending(0)
        && INTERRUPT_CONTROLLER.is_pending(IRQ_AUX)
        && UART.interrupt_pending()
    {
        input::on_receive_interrupt();
    }
}
// ANCHOR_END: dispatch
