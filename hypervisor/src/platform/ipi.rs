//! Inter-processor interrupts between the hypervisor's cores, through the
//! mailboxes of the ARM local interrupt controller.
//!
//! The hypervisor keeps mailbox [`IPI_MAILBOX`] of every core for itself:
//! setting a bit of it raises that core's IRQ line until the core clears
//! it. A core that gets one leaves its guest (HCR_EL2.IMO routes physical
//! IRQs to EL2) or wakes from WFI, clears the mailbox, and its loop looks
//! at whatever was published for it: the IPI carries no message, it only
//! makes the core look. The guests' mailboxes are the emulated ones of
//! their virtual board, never these.

use super::LOCAL_INTC;

/// The local controller mailbox each core's IPIs come through.
pub const IPI_MAILBOX: usize = 0;

/// Let this core's IPI mailbox raise its IRQ line (each core at boot).
pub fn enable(core: usize) {
    LOCAL_INTC.enable_mailbox_irq(core, IPI_MAILBOX);
}

// ANCHOR: kick
/// Make core `core` leave its guest (or its WFI) and look at what was
/// published for it.
pub fn kick(core: usize) {
    LOCAL_INTC.set_mailbox(core, IPI_MAILBOX, 1);
}

/// Clear this core's IPI, if one came (its IRQ handler calls it);
/// whether one had.
pub fn take(core: usize) -> bool {
    let came = LOCAL_INTC.mailbox_pending(core, IPI_MAILBOX);
    if came {
        LOCAL_INTC.take_mailbox(core, IPI_MAILBOX);
    }
    came
}
// ANCHOR_END: kick
