//! The ARM local peripherals of the BCM2836/7 (the "QA7" document): the
//! per-core interrupt routing the BCM2837 has instead of a GIC.
//!
//! Each core's four generic-timer interrupt outputs and four mailboxes come
//! here, as does the peripheral ("GPU") interrupt of the BCM2835
//! controller, routed to one core. The enabled ones raise the core's IRQ
//! (or FIQ) line, and the core's IRQ source register says which.

use crate::{Mmio, PhysAddr};
use tock_registers::interfaces::{Readable, Writeable};
use tock_registers::registers::{ReadOnly, ReadWrite, WriteOnly};
use tock_registers::{register_bitfields, register_structs};

register_bitfields! {u32,
    /// Control register.
    #[allow(missing_docs)] // the generated Register type and field values
    pub CONTROL [
        /// Timer increment: 1 steps the core timer by 2, 0 by 1.
        TIMER_INCREMENT OFFSET(9) NUMBITS(1) [],
        /// Core timer clock source: 1 the APB clock, 0 the crystal.
        CORE_TIMER_CLOCK_SOURCE OFFSET(8) NUMBITS(1) []
    ],
    /// GPU interrupts routing.
    #[allow(missing_docs)] // the generated Register type and field values
    pub GPU_INTERRUPTS_ROUTING [
        /// The core that receives the GPU FIQ.
        GPU_FIQ_ROUTING OFFSET(2) NUMBITS(2) [],
        /// The core that receives the GPU IRQ.
        GPU_IRQ_ROUTING OFFSET(0) NUMBITS(2) []
    ],
    /// Core n timers interrupt control: which timers raise IRQ on core n
    /// (the FIQ bits 7:4 take precedence).
    #[allow(missing_docs)] // the generated Register type and field values
    pub CORE_TIMERS_INTERRUPT_CONTROL [
        /// nCNTVIRQ FIQ control.
        CNTVIRQ_FIQ OFFSET(7) NUMBITS(1) [],
        /// nCNTHPIRQ FIQ control.
        CNTHPIRQ_FIQ OFFSET(6) NUMBITS(1) [],
        /// nCNTPNSIRQ FIQ control.
        CNTPNSIRQ_FIQ OFFSET(5) NUMBITS(1) [],
        /// nCNTPSIRQ FIQ control.
        CNTPSIRQ_FIQ OFFSET(4) NUMBITS(1) [],
        /// nCNTVIRQ IRQ control: the virtual generic timer.
        CNTVIRQ_IRQ OFFSET(3) NUMBITS(1) [],
        /// nCNTHPIRQ IRQ control: the EL2 physical timer.
        CNTHPIRQ_IRQ OFFSET(2) NUMBITS(1) [],
        /// nCNTPNSIRQ IRQ control: the non-secure physical timer.
        CNTPNSIRQ_IRQ OFFSET(1) NUMBITS(1) [],
        /// nCNTPSIRQ IRQ control: the secure physical timer.
        CNTPSIRQ_IRQ OFFSET(0) NUMBITS(1) []
    ],
    /// Core n interrupt source (the IRQ and the FIQ source registers share
    /// the layout): why the line is raised.
    #[allow(missing_docs)] // the generated Register type and field values
    pub CORE_IRQ_SOURCE [
        /// The local timer.
        LOCAL_TIMER OFFSET(11) NUMBITS(1) [],
        /// AXI-outstanding (core 0 only).
        AXI_OUTSTANDING OFFSET(10) NUMBITS(1) [],
        /// The PMU.
        PMU OFFSET(9) NUMBITS(1) [],
        /// The GPU (peripheral) interrupt, when routed to this core.
        GPU OFFSET(8) NUMBITS(1) [],
        /// The four mailboxes, one bit each.
        MAILBOX OFFSET(4) NUMBITS(4) [],
        /// Mailbox 3.
        MAILBOX3 OFFSET(7) NUMBITS(1) [],
        /// Mailbox 2.
        MAILBOX2 OFFSET(6) NUMBITS(1) [],
        /// Mailbox 1.
        MAILBOX1 OFFSET(5) NUMBITS(1) [],
        /// Mailbox 0.
        MAILBOX0 OFFSET(4) NUMBITS(1) [],
        /// CNTVIRQ: the virtual generic timer.
        CNTVIRQ OFFSET(3) NUMBITS(1) [],
        /// CNTHPIRQ: the EL2 physical generic timer.
        CNTHPIRQ OFFSET(2) NUMBITS(1) [],
        /// CNTPNSIRQ: the non-secure physical generic timer.
        CNTPNSIRQ OFFSET(1) NUMBITS(1) [],
        /// CNTPSIRQ: the secure physical generic timer.
        CNTPSIRQ OFFSET(0) NUMBITS(1) []
    ],
    /// Local timer control & status.
    #[allow(missing_docs)] // the generated Register type and field values
    pub LOCAL_TIMER_CONTROL_STATUS [
        /// Interrupt flag (write 1 to LOCAL_TIMER_WRITE_FLAGS bit 31 to clear).
        INTERRUPT_FLAG OFFSET(31) NUMBITS(1) [],
        /// Interrupt enable.
        INTERRUPT_ENABLE OFFSET(29) NUMBITS(1) [],
        /// Timer enable.
        TIMER_ENABLE OFFSET(28) NUMBITS(1) [],
        /// Reload value.
        RELOAD_VALUE OFFSET(0) NUMBITS(28) []
    ]
}

/// Mailboxes of each core.
pub const MAILBOXES_PER_CORE: usize = 4;
/// Mailboxes in all.
pub const MAILBOXES: usize = crate::map::CORES * MAILBOXES_PER_CORE;

// ANCHOR: registers
register_structs! {
    /// The local peripherals at [`crate::map::LOCAL_PERIPHERAL_BASE`].
    // The fields are the registers, named as in the datasheet and
    // described by their bitfields above.
    #[allow(non_snake_case, missing_docs)]
    pub Registers {
        (0x00 => pub CONTROL: ReadWrite<u32, CONTROL::Register>),
        (0x04 => _reserved0),
        (0x08 => pub PRESCALER: ReadWrite<u32>),
        (0x0c => pub GPU_INTERRUPTS_ROUTING: ReadWrite<u32, GPU_INTERRUPTS_ROUTING::Register>),
        (0x10 => pub PMU_INTERRUPT_ROUTING_SET: WriteOnly<u32>),
        (0x14 => pub PMU_INTERRUPT_ROUTING_CLEAR: WriteOnly<u32>),
        (0x18 => _reserved1),
        (0x1c => pub CORE_TIMER_LS: ReadWrite<u32>),
        (0x20 => pub CORE_TIMER_MS: ReadWrite<u32>),
        (0x24 => pub LOCAL_INTERRUPT_ROUTING: ReadWrite<u32>),
        (0x28 => _reserved2),
        (0x2c => pub AXI_OUTSTANDING_COUNTERS: ReadWrite<u32>),
        (0x30 => pub AXI_OUTSTANDING_IRQ: ReadWrite<u32>),
        (0x34 => pub LOCAL_TIMER_CONTROL_STATUS: ReadWrite<u32, LOCAL_TIMER_CONTROL_STATUS::Register>),
        (0x38 => pub LOCAL_TIMER_WRITE_FLAGS: WriteOnly<u32>),
        (0x3c => _reserved3),
        (0x40 => pub CORE_TIMERS_INTERRUPT_CONTROL:
            [ReadWrite<u32, CORE_TIMERS_INTERRUPT_CONTROL::Register>; crate::map::CORES]),
        (0x50 => pub CORE_MAILBOXES_INTERRUPT_CONTROL: [ReadWrite<u32>; crate::map::CORES]),
        (0x60 => pub CORE_IRQ_SOURCE: [ReadOnly<u32, CORE_IRQ_SOURCE::Register>; crate::map::CORES]),
        (0x70 => pub CORE_FIQ_SOURCE: [ReadOnly<u32, CORE_IRQ_SOURCE::Register>; crate::map::CORES]),
        (0x80 => pub CORE_MAILBOX_WRITE_SET: [WriteOnly<u32>; MAILBOXES]),
        (0xc0 => pub CORE_MAILBOX_READ_CLEAR: [ReadWrite<u32>; MAILBOXES]),
        (0x100 => @END),
    }
}
// ANCHOR_END: registers

/// The local interrupt controller.
pub struct LocalIntc {
    regs: Mmio<Registers>,
}

impl LocalIntc {
    /// The local peripherals at `base`.
    ///
    /// # Safety
    ///
    /// `base` must be the ARM local peripherals
    /// ([`crate::map::LOCAL_PERIPHERAL_BASE`]), accessible as device memory.
    pub const unsafe fn new(base: PhysAddr) -> Self {
        Self {
            // SAFETY: passed on from the caller.
            regs: unsafe { Mmio::new(base) },
        }
    }

    // ANCHOR: route
    /// Send the peripheral interrupt (GPU IRQ) to `core`.
    pub fn route_gpu_irq_to(&self, core: usize) {
        self.regs
            .GPU_INTERRUPTS_ROUTING
            .write(GPU_INTERRUPTS_ROUTING::GPU_IRQ_ROUTING.val(core as u32));
    }

    /// Choose which generic timers raise `core`'s IRQ line: the EL2 timer
    /// (CNTHP) and the virtual timer (CNTV); the others stay off.
    pub fn route_core_timers(&self, core: usize, hyp_timer: bool, virtual_timer: bool) {
        self.regs.CORE_TIMERS_INTERRUPT_CONTROL[core].write(
            CORE_TIMERS_INTERRUPT_CONTROL::CNTHPIRQ_IRQ.val(u32::from(hyp_timer))
                + CORE_TIMERS_INTERRUPT_CONTROL::CNTVIRQ_IRQ.val(u32::from(virtual_timer)),
        );
    }

    /// Let the virtual timer (CNTV) raise `core`'s IRQ line, and no other
    /// timer: what an EL1 program that keeps time with it wants.
    pub fn route_virtual_timer_to(&self, core: usize) {
        self.route_core_timers(core, false, true);
    }

    /// `core`'s IRQ source register as it reads.
    pub fn irq_source(&self, core: usize) -> u32 {
        self.regs.CORE_IRQ_SOURCE[core].get()
    }

    /// Whether `source`, a value [`irq_source`](Self::irq_source) read,
    /// has the virtual timer's bit: for a handler that reads the register
    /// once and decides from that one value.
    pub fn virtual_timer_in(&self, source: u32) -> bool {
        CORE_IRQ_SOURCE::CNTVIRQ.is_set(source)
    }

    /// Whether the EL2 timer is raising `core`'s IRQ.
    pub fn hyp_timer_pending(&self, core: usize) -> bool {
        self.regs.CORE_IRQ_SOURCE[core].is_set(CORE_IRQ_SOURCE::CNTHPIRQ)
    }

    /// Whether the virtual timer is raising `core`'s IRQ.
    pub fn virtual_timer_pending(&self, core: usize) -> bool {
        self.regs.CORE_IRQ_SOURCE[core].is_set(CORE_IRQ_SOURCE::CNTVIRQ)
    }

    /// Whether the peripheral interrupt controller is raising `core`'s IRQ.
    pub fn gpu_irq_pending(&self, core: usize) -> bool {
        self.regs.CORE_IRQ_SOURCE[core].is_set(CORE_IRQ_SOURCE::GPU)
    }
    // ANCHOR_END: route

    // ANCHOR: mailboxes
    /// Let mailbox `mailbox` of `core` raise that core's IRQ line when a
    /// bit of it is set (the core's mailbox interrupt control register,
    /// one IRQ enable bit per mailbox); the core's other mailboxes are left
    /// as they were.
    pub fn enable_mailbox_irq(&self, core: usize, mailbox: usize) {
        let control = &self.regs.CORE_MAILBOXES_INTERRUPT_CONTROL[core];
        control.set(control.get() | (1 << mailbox));
    }

    /// Set `bits` in mailbox `mailbox` of `core` (its write-set register):
    /// an inter-processor interrupt, if that mailbox's IRQ is enabled.
    pub fn set_mailbox(&self, core: usize, mailbox: usize, bits: u32) {
        self.regs.CORE_MAILBOX_WRITE_SET[core * MAILBOXES_PER_CORE + mailbox].set(bits);
    }

    /// Read mailbox `mailbox` of `core` and clear the bits read (its
    /// read/write-clear register): what was set since the last time.
    pub fn take_mailbox(&self, core: usize, mailbox: usize) -> u32 {
        let register = &self.regs.CORE_MAILBOX_READ_CLEAR[core * MAILBOXES_PER_CORE + mailbox];
        let bits = register.get();
        register.set(bits);
        bits
    }

    /// Whether mailbox `mailbox` of `core` is raising its IRQ.
    pub fn mailbox_pending(&self, core: usize, mailbox: usize) -> bool {
        self.regs.CORE_IRQ_SOURCE[core].read(CORE_IRQ_SOURCE::MAILBOX) & (1 << mailbox) != 0
    }
    // ANCHOR_END: mailboxes
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::mem::offset_of;

    #[test]
    fn offsets_are_the_qa7_documents() {
        assert_eq!(offset_of!(Registers, GPU_INTERRUPTS_ROUTING), 0x0c);
        assert_eq!(offset_of!(Registers, LOCAL_TIMER_CONTROL_STATUS), 0x34);
        assert_eq!(offset_of!(Registers, CORE_TIMERS_INTERRUPT_CONTROL), 0x40);
        assert_eq!(
            offset_of!(Registers, CORE_MAILBOXES_INTERRUPT_CONTROL),
            0x50
        );
        assert_eq!(offset_of!(Registers, CORE_IRQ_SOURCE), 0x60);
        assert_eq!(offset_of!(Registers, CORE_FIQ_SOURCE), 0x70);
        assert_eq!(offset_of!(Registers, CORE_MAILBOX_WRITE_SET), 0x80);
        assert_eq!(offset_of!(Registers, CORE_MAILBOX_READ_CLEAR), 0xc0);
        assert_eq!(core::mem::size_of::<Registers>(), 0x100);
    }
}
