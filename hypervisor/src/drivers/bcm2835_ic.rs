//! The BCM2835 ARM interrupt controller (BCM2835 ARM Peripherals,
//! chapter 7): which of the 64 "GPU" peripheral interrupts are enabled and
//! pending.

use super::mmio::Mmio;
use tock_registers::interfaces::{Readable, Writeable};
use tock_registers::register_structs;
use tock_registers::registers::{ReadOnly, ReadWrite};

register_structs! {
    /// The interrupt controller at `INTERRUPT_CONTROLLER_BASE` (0x7E00B200 on the bus).
    #[allow(non_snake_case)]
    pub Registers {
        (0x00 => IRQ_BASIC_PENDING: ReadOnly<u32>),
        (0x04 => IRQ_PENDING_1: ReadOnly<u32>),
        (0x08 => IRQ_PENDING_2: ReadOnly<u32>),
        (0x0c => FIQ_CONTROL: ReadWrite<u32>),
        (0x10 => ENABLE_IRQS_1: ReadWrite<u32>),
        (0x14 => ENABLE_IRQS_2: ReadWrite<u32>),
        (0x18 => ENABLE_BASIC_IRQS: ReadWrite<u32>),
        (0x1c => DISABLE_IRQS_1: ReadWrite<u32>),
        (0x20 => DISABLE_IRQS_2: ReadWrite<u32>),
        (0x24 => DISABLE_BASIC_IRQS: ReadWrite<u32>),
        (0x28 => @END),
    }
}

/// Interrupts per pending/enable register.
const IRQS_PER_REGISTER: u32 = 32;

/// The interrupt controller.
pub struct InterruptController {
    regs: Mmio<Registers>,
}

impl InterruptController {
    /// The controller at `base`.
    ///
    /// # Safety
    ///
    /// `base` must be the BCM2835 interrupt controller, mapped as device memory.
    pub const unsafe fn new(base: usize) -> Self {
        // SAFETY: passed on from the caller.
        let regs = unsafe { Mmio::new(base) };
        Self { regs }
    }

    // ANCHOR: pending
    /// Mask every peripheral interrupt.
    pub fn disable_all(&self) {
        self.regs.DISABLE_IRQS_1.set(u32::MAX);
        self.regs.DISABLE_IRQS_2.set(u32::MAX);
        self.regs.DISABLE_BASIC_IRQS.set(u32::MAX);
    }

    /// Let peripheral interrupt `irq` (0-63) through. Writing a 1 enables;
    /// zeros leave the other interrupts as they are.
    pub fn enable(&self, irq: u32) {
        let bit = 1 << (irq % IRQS_PER_REGISTER);
        if irq < IRQS_PER_REGISTER {
            self.regs.ENABLE_IRQS_1.set(bit);
        } else {
            self.regs.ENABLE_IRQS_2.set(bit);
        }
    }

    /// Whether peripheral interrupt `irq` (0-63) is pending.
    pub fn is_pending(&self, irq: u32) -> bool {
        let bit = 1 << (irq % IRQS_PER_REGISTER);
        let pending = if irq < IRQS_PER_REGISTER {
            self.regs.IRQ_PENDING_1.get()
        } else {
            self.regs.IRQ_PENDING_2.get()
        };
        pending & bit != 0
    }
    // ANCHOR_END: pending
}
