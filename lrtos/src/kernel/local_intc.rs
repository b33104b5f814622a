//! The ARM local peripherals of the BCM2836/7 (the "QA7" document): which
//! of a core's generic-timer interrupts reach its IRQ line, and why its IRQ
//! line is raised.
//!
//! The BCM2837 has no GIC. Each core's four generic-timer interrupt outputs
//! go to this block, which sends the enabled ones to the core's IRQ (or
//! FIQ) input and shows the pending sources in the core's IRQ source
//! register.

use super::mmio::Mmio;
use tock_registers::interfaces::{Readable, Writeable};
use tock_registers::registers::{ReadOnly, ReadWrite};
use tock_registers::{register_bitfields, register_structs};

register_bitfields! {u32,
    /// Core n timers interrupt control: which timers raise IRQ on core n.
    CORE_TIMERS_INTERRUPT_CONTROL [
        /// CNTVIRQ IRQ enable: the virtual generic timer.
        CNTVIRQ_IRQ OFFSET(3) NUMBITS(1) []
    ],
    /// Core n interrupt source: why core n's IRQ line is raised.
    CORE_IRQ_SOURCE [
        /// CNTVIRQ: the virtual generic timer.
        CNTVIRQ OFFSET(3) NUMBITS(1) []
    ]
}

register_structs! {
    /// The local peripherals at `LOCAL_PERIPHERAL_BASE`.
    #[allow(non_snake_case)]
    pub Registers {
        (0x00 => _control_to_mailbox_set),
        (0x40 => CORE_TIMERS_INTERRUPT_CONTROL: [ReadWrite<u32, CORE_TIMERS_INTERRUPT_CONTROL::Register>; 4]),
        (0x50 => _mailbox_interrupt_control),
        (0x60 => CORE_IRQ_SOURCE: [ReadOnly<u32, CORE_IRQ_SOURCE::Register>; 4]),
        (0x70 => @END),
    }
}

/// The core lrtos runs on.
const BOOT_CORE: usize = 0;

/// The local interrupt controller.
pub struct LocalIntc {
    regs: Mmio<Registers>,
}

impl LocalIntc {
    /// The local peripherals at `base`.
    ///
    /// # Safety
    ///
    /// `base` must be the ARM local peripherals, mapped as device memory.
    pub const unsafe fn new(base: usize) -> Self {
        Self {
            // SAFETY: passed on from the caller.
            regs: unsafe { Mmio::new(base) },
        }
    }

    // ANCHOR: route
    /// Let the virtual timer's interrupt (CNTVIRQ) raise core 0's IRQ.
    pub fn route_virtual_timer_irq_to_core0(&self) {
        self.regs.CORE_TIMERS_INTERRUPT_CONTROL[BOOT_CORE]
            .write(CORE_TIMERS_INTERRUPT_CONTROL::CNTVIRQ_IRQ::SET);
    }

    /// Whether the virtual timer is why core 0's IRQ line is raised.
    pub fn virtual_timer_pending(&self) -> bool {
        self.regs.CORE_IRQ_SOURCE[BOOT_CORE].is_set(CORE_IRQ_SOURCE::CNTVIRQ)
    }
    // ANCHOR_END: route

    /// Core 0's raw interrupt source register, for reports.
    pub fn irq_source(&self) -> u32 {
        self.regs.CORE_IRQ_SOURCE[BOOT_CORE].get()
    }
}
