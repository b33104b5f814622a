//! bench's IRQ handler: the virtual timer (the latency benchmark) and the
//! mini UART (a key at the menu).
//!
//! The handler reads the counter before anything else, so a timer sample
//! is "deadline to first instruction of the handler", plus the fixed cost
//! of `vectors.s` saving the registers. It then asks the local interrupt
//! controller why the IRQ line is up, as a real BCM2837 program must (under
//! ferrovisor that read is also what tells the hypervisor that the guest
//! has seen its interrupt).

use crate::timer;
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use raspi3b::irq::AUX;
use rt::board::{BOOT_CORE, INTERRUPT_CONTROLLER, LOCAL_INTC, UART};
use rt::cpu;

/// [`TIMER_FIRED_AT`] while the timer has not fired.
const NOT_FIRED: u64 = u64::MAX;

/// The counter when the handler saw the virtual timer's interrupt.
static TIMER_FIRED_AT: AtomicU64 = AtomicU64::new(NOT_FIRED);
/// A key arrived while the receive interrupt was on.
static KEY_ARRIVED: AtomicBool = AtomicBool::new(false);

/// Let the mini UART's and the virtual timer's interrupts reach core 0
/// (both stay off at their sources until needed).
pub fn route_interrupts() {
    LOCAL_INTC.route_gpu_irq_to(BOOT_CORE);
    LOCAL_INTC.route_virtual_timer_to(BOOT_CORE);
    INTERRUPT_CONTROLLER.enable(AUX);
}

// ANCHOR: handler
/// The IRQ handler, called from the vector table with IRQs masked.
pub fn handle() {
    let now = timer::start_stamp();
    if LOCAL_INTC.virtual_timer_pending(BOOT_CORE) && timer::fired() {
        timer::stop();
        TIMER_FIRED_AT.store(now, Ordering::Release);
    }
    if LOCAL_INTC.gpu_irq_pending(BOOT_CORE)
        && INTERRUPT_CONTROLLER.is_pending(AUX)
        && UART.interrupt_pending()
    {
        // The key stays in the FIFO for the main loop to read.
        UART.disable_interrupts();
        KEY_ARRIVED.store(true, Ordering::Release);
    }
}
// ANCHOR_END: handler

/// Forget the last timer interrupt, before arming the timer again.
pub fn clear_timer_fired() {
    TIMER_FIRED_AT.store(NOT_FIRED, Ordering::Release);
}

/// The counter when the handler took the timer's interrupt, if it has.
pub fn timer_fired_at() -> Option<u64> {
    match TIMER_FIRED_AT.load(Ordering::Acquire) {
        NOT_FIRED => None,
        at => Some(at),
    }
}

/// Sleep until a key arrives; it is left in the UART's FIFO.
pub fn wait_for_key() {
    KEY_ARRIVED.store(false, Ordering::Release);
    UART.enable_receive_interrupt();
    loop {
        // IRQs are masked from the check to the WFI, so an interrupt that
        // comes just after the check still ends the WFI.
        let arrived = cpu::without_irqs(|| {
            let arrived = KEY_ARRIVED.load(Ordering::Acquire);
            if !arrived {
                cpu::wait_for_interrupt();
            }
            arrived
        });
        if arrived {
            return;
        }
    }
}
