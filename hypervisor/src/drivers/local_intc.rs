//! The ARM local peripherals of the BCM2836/7 ("QA7" document): per-core
//! interrupt sources, the generic-timer interrupt routing and the routing of
//! the peripheral (GPU) interrupt to a core.

use super::mmio::Mmio;
use tock_registers::interfaces::{Readable, Writeable};
use tock_registers::registers::{ReadOnly, ReadWrite};
use tock_registers::{register_bitfields, register_structs};

register_bitfields! {u32,
    /// Core n interrupt source: why core n's IRQ line is raised.
    CORE_IRQ_SOURCE [
        /// The peripheral interrupt controller (routed to this core).
        GPU OFFSET(8) NUMBITS(1) [],
        /// CNTVIRQ: the virtual generic timer.
        CNTVIRQ OFFSET(3) NUMBITS(1) [],
        /// CNTHPIRQ: the EL2 physical generic timer.
        CNTHPIRQ OFFSET(2) NUMBITS(1) [],
        /// CNTPNSIRQ: the non-secure physical generic timer.
        CNTPNSIRQ OFFSET(1) NUMBITS(1) []
    ],
    /// Core n timers interrupt control: which timers raise IRQ on core n.
    CORE_TIMERS_INTERRUPT_CONTROL [
        /// CNTVIRQ IRQ enable.
        CNTVIRQ_IRQ OFFSET(3) NUMBITS(1) [],
        /// CNTHPIRQ IRQ enable.
        CNTHPIRQ_IRQ OFFSET(2) NUMBITS(1) []
    ]
}

register_structs! {
    /// The local peripherals at `LOCAL_PERIPHERAL_BASE`.
    #[allow(non_snake_case)]
    pub Registers {
        (0x00 => CONTROL: ReadWrite<u32>),
        (0x04 => _reserved0),
        (0x0c => GPU_INTERRUPTS_ROUTING: ReadWrite<u32>),
        (0x10 => _reserved1),
        (0x40 => CORE_TIMERS_INTERRUPT_CONTROL: [ReadWrite<u32, CORE_TIMERS_INTERRUPT_CONTROL::Register>; 4]),
        (0x50 => _reserved2),
        (0x60 => CORE_IRQ_SOURCE: [ReadOnly<u32, CORE_IRQ_SOURCE::Register>; 4]),
        (0x70 => @END),
    }
}

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
        // SAFETY: passed on from the caller.
        let regs = unsafe { Mmio::new(base) };
        Self { regs }
    }

    // ANCHOR: route
    /// Send the peripheral interrupt (GPU IRQ) to `core`.
    pub fn route_gpu_irq_to(&self, core: usize) {
        self.regs.GPU_INTERRUPTS_ROUTING.set(core as u32);
    }

    /// Choose which generic timers raise `core`'s IRQ line: the EL2 timer
    /// (CNTHP) and the virtual timer (CNTV).
    pub fn route_core_timers(&self, core: usize, hyp_timer: bool, virtual_timer: bool) {
        let hp = if hyp_timer {
            CORE_TIMERS_INTERRUPT_CONTROL::CNTHPIRQ_IRQ::SET
        } else {
            CORE_TIMERS_INTERRUPT_CONTROL::CNTHPIRQ_IRQ::CLEAR
        };
        let v = if virtual_timer {
            CORE_TIMERS_INTERRUPT_CONTROL::CNTVIRQ_IRQ::SET
        } else {
            CORE_TIMERS_INTERRUPT_CONTROL::CNTVIRQ_IRQ::CLEAR
        };
        self.regs.CORE_TIMERS_INTERRUPT_CONTROL[core].write(hp + v);
    }

    /// Whether the EL2 timer is raising `core`'s IRQ.
    pub fn hyp_timer_pending(&self, core: usize) -> bool {
        self.regs.CORE_IRQ_SOURCE[core].is_set(CORE_IRQ_SOURCE::CNTHPIRQ)
    }

    /// Whether the peripheral interrupt controller is raising `core`'s IRQ.
    pub fn gpu_irq_pending(&self, core: usize) -> bool {
        self.regs.CORE_IRQ_SOURCE[core].is_set(CORE_IRQ_SOURCE::GPU)
    }
    // ANCHOR_END: route
}
