//! Interrupts from tasks: the timer tick that drives preemption.
//!
//! Only one interrupt is enabled: the virtual timer's (CNTVIRQ), routed to
//! core 0's IRQ by the local interrupt controller. Every tick wakes the
//! tasks whose sleep is over and ends the running task's time slice.
//!
//! The tick is periodic: a task that gets the CPU between two ticks (after
//! another task slept or yielded) runs until the next tick, the rest of
//! that period. Sleeps end on a tick too, so they are rounded up to it.

use super::{scheduler, timer};
use core::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use lrtos::context::TrapFrame;
use rt::board::{BOOT_CORE, LOCAL_INTC};

/// Set once an unexpected interrupt has been reported, so a stuck one
/// does not flood the console.
static REPORTED_UNEXPECTED: AtomicBool = AtomicBool::new(false);

/// Interrupts that had gone again by the time the handler looked.
static SPURIOUS: AtomicUsize = AtomicUsize::new(0);

// ANCHOR: tick
/// Handle an IRQ taken from a task whose registers are in `frame`.
pub fn handle(frame: &mut TrapFrame) {
    // One read of the source register decides: the timer may fire between
    // two reads (a slow core, or a hypervisor that runs other work between
    // this core's instructions), and a second look could see a cause the
    // first did not.
    let source = LOCAL_INTC.irq_source(BOOT_CORE);
    if LOCAL_INTC.virtual_timer_in(source) {
        // Set the next tick (which also lowers this one's interrupt), then
        // let the scheduler wake sleepers and preempt the running task.
        timer::rearm();
        scheduler::tick(frame, timer::now());
    } else if source == 0 {
        // Spurious: the line was withdrawn before the handler looked (a
        // level-triggered line can do that, on hardware and in a VM whose
        // hypervisor updates the virtual line only when the guest traps).
        SPURIOUS.fetch_add(1, Ordering::Relaxed);
    } else if !REPORTED_UNEXPECTED.swap(true, Ordering::Relaxed) {
        crate::kprintln!(
            "lrtos: unexpected IRQ (core 0 IRQ source {:#x}), ignored",
            source
        );
    }
}
// ANCHOR_END: tick
