//! Interrupts from tasks: the timer tick that drives preemption.
//!
//! Only one interrupt is enabled: the virtual timer's (CNTVIRQ), routed to
//! core 0's IRQ by the local interrupt controller. Every tick wakes the
//! tasks whose sleep is over and ends the running task's time slice.
//!
//! The tick is periodic: a task that gets the CPU between two ticks (after
//! another task slept or yielded) runs until the next tick, the rest of
//! that period. Sleeps end on a tick too, so they are rounded up to it.

use super::{scheduler, timer, LOCAL_INTC};
use core::sync::atomic::{AtomicBool, Ordering};
use lrtos::context::TrapFrame;

/// Set once an unexpected interrupt has been reported, so a stuck one
/// does not flood the console.
static REPORTED_UNEXPECTED: AtomicBool = AtomicBool::new(false);

// ANCHOR: tick
/// Handle an IRQ taken from a task whose registers are in `frame`.
pub fn handle(frame: &mut TrapFrame) {
    if LOCAL_INTC.virtual_timer_pending() {
        // Set the next tick (which also lowers this one's interrupt), then
        // let the scheduler wake sleepers and preempt the running task.
        timer::rearm();
        scheduler::tick(frame, timer::now());
    } else if !REPORTED_UNEXPECTED.swap(true, Ordering::Relaxed) {
        crate::kprintln!(
            "lrtos: unexpected IRQ (core 0 IRQ source {:#x}), ignored",
            LOCAL_INTC.irq_source()
        );
    }
}
// ANCHOR_END: tick
