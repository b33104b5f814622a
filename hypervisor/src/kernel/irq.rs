//! Serving the physical IRQs taken at EL2: the EL2 timer and the console's
//! mini UART (its receiver, and its transmitter while the transmit ring
//! holds bytes), the only sources the hypervisor enables.
//!
//! Under QEMU every device access takes QEMU's global lock, which its main
//! loop needs to deliver the next received byte, so the sources are looked
//! at with as few device accesses as possible: the EL2 timer through its
//! own control register (a system register, not a device), and the mini
//! UART by draining it directly, without first asking the ARM local
//! interrupt controller, the BCM2835 controller and AUX_IRQ who raised the
//! line (the mini UART's is the only peripheral interrupt enabled, draining
//! an empty receiver costs one read, and an empty transmit ring none).

use crate::arch::aarch64::timer;
use crate::console::{input, output};
use crate::platform::ipi;

// ANCHOR: dispatch
/// Handle every pending IRQ source of `core`. The main loop calls this
/// after a guest exits on an interrupt and after the idle WFI. Whether the
/// EL2 timer had fired and whether an IPI came. Core 0 drains the console's
/// receiver (the peripheral interrupt is routed to it alone); cores 1-3
/// clear their IPI, whose cause their loop looks at anyway.
pub fn handle(core: usize) -> Served {
    let fired = timer::hyp_timer_fired();
    if fired {
        // A deadline passed; the main loop sees which one. Silence the
        // level-triggered line until the loop sets the next deadline.
        timer::stop_hyp_timer();
    }
    let mut ipi = false;
    if core == super::BOOT_CORE {
        input::on_receive_interrupt();
        output::on_transmit_interrupt();
    } else {
        ipi = ipi::take(core);
    }
    Served {
        hyp_timer: fired,
        ipi,
    }
}

/// What [`handle`] found.
pub struct Served {
    /// The EL2 timer had fired (and is now stopped).
    pub hyp_timer: bool,
    /// An IPI had come (and is now cleared).
    pub ipi: bool,
}
// ANCHOR_END: dispatch
