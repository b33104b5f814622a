//! The two interrupt controllers between bench's interrupt sources and
//! the core: the BCM2835 ARM interrupt controller (BCM2835 ARM
//! Peripherals, chapter 7), which collects the peripheral interrupts (the
//! mini UART's among them), and the BCM2836/7 ARM local peripherals (the
//! "QA7" document), which route that collected "GPU" interrupt and the
//! core's generic-timer interrupts to the core's IRQ line.

use crate::mmio::Mmio;
use tock_registers::interfaces::{Readable, Writeable};
use tock_registers::registers::{ReadOnly, ReadWrite};
use tock_registers::{register_bitfields, register_structs};

register_bitfields! {u32,
    /// Peripheral interrupts 0-31 (IRQ pending 1, Enable IRQs 1).
    IRQS_1 [
        /// Interrupt 29: the auxiliary peripherals (mini UART, SPI1/2).
        AUX_INT OFFSET(29) NUMBITS(1) []
    ],
    /// GPU interrupts routing.
    GPU_INTERRUPTS_ROUTING [
        /// The core that receives the GPU IRQ.
        GPU_IRQ_ROUTING OFFSET(0) NUMBITS(2) []
    ],
    /// Core n timers interrupt control.
    CORE_TIMERS_INTERRUPT_CONTROL [
        /// CNTVIRQ IRQ enable: the virtual generic timer.
        CNTVIRQ_IRQ OFFSET(3) NUMBITS(1) []
    ],
    /// Core n interrupt source.
    CORE_IRQ_SOURCE [
        /// The GPU (peripheral) interrupt.
        GPU_INTERRUPT OFFSET(8) NUMBITS(1) [],
        /// CNTVIRQ: the virtual generic timer.
        CNTVIRQ OFFSET(3) NUMBITS(1) []
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

    /// The ARM local peripherals, up to core 0's IRQ source.
    #[allow(non_snake_case)]
    pub LocalRegisters {
        (0x00 => _control_to_prescaler),
        (0x0c => GPU_INTERRUPTS_ROUTING: ReadWrite<u32, GPU_INTERRUPTS_ROUTING::Register>),
        (0x10 => _pmu_to_local_timer),
        (0x40 => CORE_TIMERS_INTERRUPT_CONTROL: [ReadWrite<u32, CORE_TIMERS_INTERRUPT_CONTROL::Register>; 4]),
        (0x50 => _mailbox_interrupt_control),
        (0x60 => CORE_IRQ_SOURCE: [ReadOnly<u32, CORE_IRQ_SOURCE::Register>; 4]),
        (0x70 => @END),
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

    /// Let the AUX interrupt through (writing 0s changes nothing else).
    pub fn enable_aux(&self) {
        self.regs.ENABLE_IRQS_1.write(IRQS_1::AUX_INT::SET);
    }

    /// Whether the AUX interrupt is pending.
    pub fn aux_pending(&self) -> bool {
        self.regs.IRQ_PENDING_1.is_set(IRQS_1::AUX_INT)
    }
}

/// Why core `n`'s IRQ line is raised, as far as bench cares.
pub struct IrqSource {
    /// The peripheral interrupt (here: the mini UART).
    pub gpu: bool,
    /// The virtual generic timer.
    pub virtual_timer: bool,
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

    /// Send the peripheral interrupt and the virtual timer's interrupt to
    /// `core`'s IRQ line.
    pub fn route_to(&self, core: usize) {
        self.regs
            .GPU_INTERRUPTS_ROUTING
            .write(GPU_INTERRUPTS_ROUTING::GPU_IRQ_ROUTING.val(core as u32));
        self.regs.CORE_TIMERS_INTERRUPT_CONTROL[core]
            .write(CORE_TIMERS_INTERRUPT_CONTROL::CNTVIRQ_IRQ::SET);
    }

    /// Why `core`'s IRQ line is raised.
    pub fn irq_source(&self, core: usize) -> IrqSource {
        let source = self.regs.CORE_IRQ_SOURCE[core].extract();
        IrqSource {
            gpu: source.is_set(CORE_IRQ_SOURCE::GPU_INTERRUPT),
            virtual_timer: source.is_set(CORE_IRQ_SOURCE::CNTVIRQ),
        }
    }
}
