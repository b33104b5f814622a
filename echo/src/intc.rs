//! The two interrupt controllers between the mini UART and the core: the
//! BCM2835 ARM interrupt controller (BCM2835 ARM Peripherals, chapter 7),
//! which collects the peripheral ("GPU") interrupts, and the BCM2836/7 ARM
//! local peripherals ("QA7" document), which route that collected interrupt
//! to one core's IRQ line.

use crate::mmio::Mmio;
use tock_registers::interfaces::{Readable, Writeable};
use tock_registers::registers::{ReadOnly, ReadWrite};
use tock_registers::{register_bitfields, register_structs};

register_bitfields! {u32,
    /// Peripheral interrupts 0-31, as in the datasheet's "ARM peripherals
    /// interrupts table" (same layout in IRQ pending 1 and Enable IRQs 1).
    IRQS_1 [
        /// Interrupt 29: the auxiliary peripherals (mini UART, SPI1/2).
        AUX_INT OFFSET(29) NUMBITS(1) []
    ],
    /// GPU interrupts routing.
    GPU_INTERRUPTS_ROUTING [
        /// The core that receives the GPU IRQ.
        GPU_IRQ_ROUTING OFFSET(0) NUMBITS(2) []
    ]
}

register_structs! {
    /// The BCM2835 interrupt controller (0x7E00B200 on the bus).
    #[allow(non_snake_case)]
    pub IcRegisters {
        (0x00 => _irq_basic_pending),
        (0x04 => IRQ_PENDING_1: ReadOnly<u32, IRQS_1::Register>),
        (0x08 => _irq_pending_2_to_enable_basic),
        (0x10 => ENABLE_IRQS_1: ReadWrite<u32, IRQS_1::Register>),
        (0x14 => @END),
    },

    /// The start of the ARM local peripherals.
    #[allow(non_snake_case)]
    pub LocalRegisters {
        (0x00 => _control_to_prescaler),
        (0x0c => GPU_INTERRUPTS_ROUTING: ReadWrite<u32, GPU_INTERRUPTS_ROUTING::Register>),
        (0x10 => @END),
    }
}

/// The BCM2835 interrupt controller.
pub struct InterruptController {
    regs: Mmio<IcRegisters>,
}

impl InterruptController {
    /// The controller at `base`.
    ///
    /// # Safety
    ///
    /// `base` must be the BCM2835 interrupt controller.
    pub const unsafe fn new(base: usize) -> Self {
        Self {
            // SAFETY: passed on from the caller.
            regs: unsafe { Mmio::new(base) },
        }
    }

    /// Let the AUX interrupt through. Writing a 1 enables; the zeros leave
    /// the other interrupts as they are.
    pub fn enable_aux(&self) {
        self.regs.ENABLE_IRQS_1.write(IRQS_1::AUX_INT::SET);
    }

    /// Whether the AUX interrupt is pending.
    pub fn aux_pending(&self) -> bool {
        self.regs.IRQ_PENDING_1.is_set(IRQS_1::AUX_INT)
    }
}

/// The ARM local interrupt controller.
pub struct LocalIntc {
    regs: Mmio<LocalRegisters>,
}

impl LocalIntc {
    /// The local peripherals at `base`.
    ///
    /// # Safety
    ///
    /// `base` must be the ARM local peripherals.
    pub const unsafe fn new(base: usize) -> Self {
        Self {
            // SAFETY: passed on from the caller.
            regs: unsafe { Mmio::new(base) },
        }
    }

    /// Send the peripheral interrupt (GPU IRQ) to `core`'s IRQ line.
    pub fn route_gpu_irq_to(&self, core: u32) {
        self.regs
            .GPU_INTERRUPTS_ROUTING
            .write(GPU_INTERRUPTS_ROUTING::GPU_IRQ_ROUTING.val(core));
    }
}
