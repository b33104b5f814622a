//! The two interrupt controllers on the way to the core: the BCM2835 ARM
//! interrupt controller (peripheral interrupts; BCM2835 ARM Peripherals,
//! chapter 7) and the ARM local peripherals of the BCM2836/7 (routing to a
//! core, and the core timers' interrupt control; "QA7" document).

use crate::mmio::Mmio;
use tock_registers::interfaces::Writeable;
use tock_registers::registers::WriteOnly;
use tock_registers::{register_bitfields, register_structs};

register_bitfields! {u32,
    /// Peripheral interrupts 0-31 (Enable/Disable IRQs 1).
    IRQS_1 [
        /// Interrupt 29: the auxiliary peripherals (mini UART).
        AUX_INT OFFSET(29) NUMBITS(1) []
    ],
    /// GPU interrupts routing.
    GPU_INTERRUPTS_ROUTING [
        /// The core that receives the GPU IRQ.
        GPU_IRQ_ROUTING OFFSET(0) NUMBITS(2) []
    ],
    /// Core timers interrupt control.
    CORE_TIMERS_INTERRUPT_CONTROL [
        /// nCNTVIRQ (the virtual generic timer) raises the core's IRQ.
        NCNTVIRQ_IRQ OFFSET(3) NUMBITS(1) []
    ]
}

register_structs! {
    /// The BCM2835 interrupt controller (0x7E00B200 on the bus).
    #[allow(non_snake_case)]
    pub IcRegisters {
        (0x00 => _pending),
        (0x10 => ENABLE_IRQS_1: WriteOnly<u32, IRQS_1::Register>),
        (0x14 => _enable_irqs_2_to_basic),
        (0x1c => DISABLE_IRQS_1: WriteOnly<u32, IRQS_1::Register>),
        (0x20 => @END),
    },

    /// The ARM local peripherals, up to core 0's timer interrupt control.
    #[allow(non_snake_case)]
    pub LocalRegisters {
        (0x00 => _control_to_prescaler),
        (0x0c => GPU_INTERRUPTS_ROUTING: WriteOnly<u32, GPU_INTERRUPTS_ROUTING::Register>),
        (0x10 => _pmu_to_local_timer),
        (0x40 => CORE0_TIMERS_INTERRUPT_CONTROL:
            WriteOnly<u32, CORE_TIMERS_INTERRUPT_CONTROL::Register>),
        (0x44 => @END),
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

    /// Let the AUX interrupt through.
    pub fn enable_aux(&self) {
        self.regs.ENABLE_IRQS_1.write(IRQS_1::AUX_INT::SET);
    }

    /// Stop the AUX interrupt.
    pub fn disable_aux(&self) {
        self.regs.DISABLE_IRQS_1.write(IRQS_1::AUX_INT::SET);
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

    /// Send the peripheral interrupt (GPU IRQ) to `core`.
    pub fn route_gpu_irq_to(&self, core: u32) {
        self.regs
            .GPU_INTERRUPTS_ROUTING
            .write(GPU_INTERRUPTS_ROUTING::GPU_IRQ_ROUTING.val(core));
    }

    /// Let core 0's virtual timer raise its IRQ line.
    pub fn route_virtual_timer_irq(&self) {
        self.regs
            .CORE0_TIMERS_INTERRUPT_CONTROL
            .write(CORE_TIMERS_INTERRUPT_CONTROL::NCNTVIRQ_IRQ::SET);
    }
}
