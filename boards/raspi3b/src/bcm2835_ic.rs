//! The BCM2835 ARM interrupt controller (BCM2835 ARM Peripherals, chapter
//! 7): which of the 64 peripheral ("GPU") interrupts and the ARM-side basic
//! interrupts are enabled and pending. Interrupt numbers are in
//! [`crate::irq`].
//!
//! Enabling and disabling are set-only: a 1 written to an Enable or
//! Disable register changes that interrupt, a 0 changes nothing.

use crate::irq::IRQS_PER_REGISTER;
use crate::{Mmio, PhysAddr};
use tock_registers::interfaces::{Readable, Writeable};
use tock_registers::registers::ReadOnly;
use tock_registers::registers::ReadWrite;
use tock_registers::{register_bitfields, register_structs};

register_bitfields! {u32,
    /// IRQ basic pending: the ARM-side interrupts, a summary bit for each
    /// pending register, and shortcuts for some peripheral interrupts.
    #[allow(missing_docs)] // the generated Register type and field values
    pub IRQ_BASIC_PENDING [
        /// GPU IRQs 7, 9, 10, 18, 19, 53-57 and 62, one bit each.
        GPU_IRQ_SHORTCUTS OFFSET(10) NUMBITS(11) [],
        /// One or more bits are set in IRQ pending 2.
        PENDING_REGISTER_2 OFFSET(9) NUMBITS(1) [],
        /// One or more bits are set in IRQ pending 1.
        PENDING_REGISTER_1 OFFSET(8) NUMBITS(1) [],
        /// The ARM-side interrupts (timer, mailbox, doorbells, ...).
        ARM_IRQS OFFSET(0) NUMBITS(8) []
    ],
    /// FIQ control: which one source becomes the FIQ.
    #[allow(missing_docs)] // the generated Register type and field values
    pub FIQ_CONTROL [
        /// FIQ enable.
        FIQ_ENABLE OFFSET(7) NUMBITS(1) [],
        /// Select FIQ source (0-63 peripheral, 64-71 ARM).
        SELECT_FIQ_SOURCE OFFSET(0) NUMBITS(7) []
    ]
}

// ANCHOR: registers
register_structs! {
    /// The interrupt controller at [`crate::map::INTERRUPT_CONTROLLER_BASE`]
    /// (0x7E00B200 on the bus).
    // The fields are the registers, named as in the datasheet and
    // described by their bitfields above.
    #[allow(non_snake_case, missing_docs)]
    pub Registers {
        (0x00 => pub IRQ_BASIC_PENDING: ReadOnly<u32, IRQ_BASIC_PENDING::Register>),
        (0x04 => pub IRQ_PENDING_1: ReadOnly<u32>),
        (0x08 => pub IRQ_PENDING_2: ReadOnly<u32>),
        (0x0c => pub FIQ_CONTROL: ReadWrite<u32, FIQ_CONTROL::Register>),
        (0x10 => pub ENABLE_IRQS_1: ReadWrite<u32>),
        (0x14 => pub ENABLE_IRQS_2: ReadWrite<u32>),
        (0x18 => pub ENABLE_BASIC_IRQS: ReadWrite<u32>),
        (0x1c => pub DISABLE_IRQS_1: ReadWrite<u32>),
        (0x20 => pub DISABLE_IRQS_2: ReadWrite<u32>),
        (0x24 => pub DISABLE_BASIC_IRQS: ReadWrite<u32>),
        (0x28 => @END),
    }
}
// ANCHOR_END: registers

/// The register (0 for pending/enable 1, 1 for 2) and bit of peripheral
/// interrupt `irq` (0-63).
pub const fn register_and_bit(irq: u32) -> (usize, u32) {
    (
        (irq / IRQS_PER_REGISTER) as usize,
        1 << (irq % IRQS_PER_REGISTER),
    )
}

/// The interrupt controller.
pub struct InterruptController {
    regs: Mmio<Registers>,
}

impl InterruptController {
    /// The controller at `base`.
    ///
    /// # Safety
    ///
    /// `base` must be the BCM2835 interrupt controller
    /// ([`crate::map::INTERRUPT_CONTROLLER_BASE`]), accessible as device
    /// memory.
    pub const unsafe fn new(base: PhysAddr) -> Self {
        Self {
            // SAFETY: passed on from the caller.
            regs: unsafe { Mmio::new(base) },
        }
    }

    // ANCHOR: pending
    /// Mask every peripheral and basic interrupt.
    pub fn disable_all(&self) {
        self.regs.DISABLE_IRQS_1.set(u32::MAX);
        self.regs.DISABLE_IRQS_2.set(u32::MAX);
        self.regs.DISABLE_BASIC_IRQS.set(u32::MAX);
    }

    /// Let peripheral interrupt `irq` (0-63) through.
    pub fn enable(&self, irq: u32) {
        match register_and_bit(irq) {
            (0, bit) => self.regs.ENABLE_IRQS_1.set(bit),
            (_, bit) => self.regs.ENABLE_IRQS_2.set(bit),
        }
    }

    /// Stop peripheral interrupt `irq` (0-63).
    pub fn disable(&self, irq: u32) {
        match register_and_bit(irq) {
            (0, bit) => self.regs.DISABLE_IRQS_1.set(bit),
            (_, bit) => self.regs.DISABLE_IRQS_2.set(bit),
        }
    }

    /// Whether peripheral interrupt `irq` (0-63) is pending.
    pub fn is_pending(&self, irq: u32) -> bool {
        let (register, bit) = register_and_bit(irq);
        let pending = if register == 0 {
            self.regs.IRQ_PENDING_1.get()
        } else {
            self.regs.IRQ_PENDING_2.get()
        };
        pending & bit != 0
    }
    // ANCHOR_END: pending
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::mem::offset_of;

    #[test]
    fn offsets_are_the_datasheets() {
        assert_eq!(offset_of!(Registers, IRQ_PENDING_1), 0x04);
        assert_eq!(offset_of!(Registers, ENABLE_IRQS_1), 0x10);
        assert_eq!(offset_of!(Registers, DISABLE_BASIC_IRQS), 0x24);
    }

    #[test]
    fn aux_is_bit_29_of_the_first_register() {
        assert_eq!(register_and_bit(crate::irq::AUX), (0, 1 << 29));
        assert_eq!(register_and_bit(63), (1, 1 << 31));
    }
}
