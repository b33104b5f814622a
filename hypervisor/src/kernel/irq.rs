//! Routing a physical IRQ taken at EL2 to the driver that asked for it.
//!
//! The BCM2837 has no GIC: the ARM local interrupt controller says which
//! source raised the core's IRQ line, and for peripheral ("GPU")
//! interrupts the BCM2835 controller says which peripheral.

use crate::arch::aarch64::timer;
use crate::board::IRQ_AUX;
use crate::console::input;
use crate::platform::{INTERRUPT_CONTROLLER, LOCAL_INTC, UART};

// ANCHOR: dispatch
/// Handle every pending IRQ source on core 0. The main loop calls this
/// after a guest exits on an interrupt and after the idle WFI.
pub fn handle() {
    if LOCAL_INTC.hyp_timer_pending(0) {
        // A deadline passed; the main loop sees which one. Silence the
        // level-triggered line until the loop sets the next deadline.
        timer::stop_hyp_timer();
    }
    if LOCAL_INTC.gpu_irq_pending(0)
        && INTERRUPT_CONTROLLER.is_pending(IRQ_AUX)
        && UART.interrupt_pending()
    {
        input::on_receive_interrupt();
    }
}
// ANCHOR_END: dispatch
