//! The receive path: from a key press to a byte in the receive ring.
//!
//! The mini UART raises the AUX interrupt (peripheral interrupt 29) while
//! its receive FIFO holds data; the BCM2835 interrupt controller passes it
//! on as the "GPU" interrupt, which the ARM local interrupt controller
//! routes to core 0's IRQ line. The handler here drains the FIFO into
//! [`Ring`], and the main loop (the only consumer) takes bytes out with
//! [`take_byte`].
//!
//! If the ring fills up, the handler switches the receive interrupt off
//! and leaves the rest in the UART's FIFO; the main loop switches it back
//! on once it has made room ([`resume_receive`]). On QEMU, and under
//! ferrovisor, input then simply waits: nothing is lost.

use crate::ring::Ring;
use core::sync::atomic::{AtomicBool, Ordering};
use raspi3b::irq::AUX;
use rt::board::{BOOT_CORE, INTERRUPT_CONTROLLER, LOCAL_INTC, UART};

/// Bytes received but not yet echoed.
const RECEIVE_RING_SIZE: usize = 256;

/// The bytes the handler has taken from the UART.
static RECEIVED: Ring<RECEIVE_RING_SIZE> = Ring::new();

/// The handler found the ring full and switched the receive interrupt off.
static RECEIVE_PAUSED: AtomicBool = AtomicBool::new(false);

// ANCHOR: enable
/// Let the mini UART's receive interrupt reach this core. IRQs must still
/// be masked at the CPU (PSTATE.I) until the vectors are installed.
pub fn enable_receive_interrupt() {
    LOCAL_INTC.route_gpu_irq_to(BOOT_CORE);
    INTERRUPT_CONTROLLER.enable(AUX);
    UART.enable_receive_interrupt();
}
// ANCHOR_END: enable

// ANCHOR: irq_handler
/// The IRQ handler, called from the vector table with IRQs masked.
///
/// Only the AUX interrupt is enabled, but an IRQ whose source is not the
/// mini UART (or that went away meanwhile) is simply ignored.
pub fn handle() {
    if !INTERRUPT_CONTROLLER.is_pending(AUX) || !UART.interrupt_pending() {
        return;
    }
    loop {
        if RECEIVED.is_full() {
            // No room: leave the rest in the UART's FIFO, and stop the
            // interrupt (it would fire again at once) until there is room.
            RECEIVE_PAUSED.store(true, Ordering::Release);
            UART.disable_interrupts();
            return;
        }
        let Some(byte) = UART.read_byte() else {
            return; // FIFO empty: the interrupt is deasserted
        };
        // SAFETY: the handler is the ring's only producer, and it never
        // runs twice at once (IRQs are masked while it runs).
        let pushed = unsafe { RECEIVED.push(byte) };
        debug_assert!(pushed.is_ok(), "the ring was not full");
    }
}
// ANCHOR_END: irq_handler

/// The oldest received byte, if any.
///
/// # Safety
///
/// Only the main loop may call this (it is the ring's only consumer).
pub unsafe fn take_byte() -> Option<u8> {
    // SAFETY: passed on from the caller.
    unsafe { RECEIVED.pop() }
}

/// Whether no received byte is waiting.
pub fn nothing_received() -> bool {
    RECEIVED.is_empty()
}

/// Switch the receive interrupt back on if the handler paused it and the
/// ring has room again.
pub fn resume_receive() {
    if RECEIVE_PAUSED.load(Ordering::Acquire) && !RECEIVED.is_full() {
        // While paused the interrupt is off, so the handler cannot run
        // for the UART between these two steps.
        RECEIVE_PAUSED.store(false, Ordering::Release);
        UART.enable_receive_interrupt();
    }
}
