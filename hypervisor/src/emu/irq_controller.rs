//! The BCM2835 ARM interrupt controller (BCM2835 ARM Peripherals, chapter
//! 7): 64 "GPU" peripheral interrupts and 8 ARM-side ("basic") interrupts,
//! each enabled with a write-1-to-set and disabled with a write-1-to-clear
//! register, one of them selectable as the FIQ.
//!
//! The inputs are the raw line levels of the peripherals
//! ([`PeripheralLines`]), set by the board before every access. The pending
//! registers show what those lines *and the enables* make of them: an
//! interrupt appears in IRQ_PENDING_1/2 (and in IRQ_BASIC_PENDING) only
//! while it is enabled. The datasheet does not spell this out, but it is
//! what the hardware does and what drivers rely on: Linux's `irq-bcm2835`
//! takes the lowest set bit of a pending register as the interrupt to
//! handle without masking it with the enables, and QEMU's `bcm2835_ic`
//! reads pending as raw & enabled.
//!
//! IRQ_BASIC_PENDING follows the datasheet: bits 0-7 are the ARM interrupts,
//! bits 10-20 repeat the GPU interrupts 7, 9, 10, 18, 19, 53-57 and 62
//! ("shortcuts"), and bit 8 (bit 9) says that pending register 1 (2) holds a
//! pending interrupt that is *not* one of the shortcuts. (QEMU sets bits 8/9
//! for any pending interrupt; drivers that check the shortcuts first, like
//! Linux, work with both.)
//!
//! FIQ_CONTROL selects one source, GPU interrupts 0-63 or ARM interrupts
//! 64-71, by its raw line: the enable registers do not gate the FIQ. Sources
//! 72-127 ("do not use") never assert it.
//!
//! The DISABLE registers are write-only in effect; reading them returns the
//! current enables, like the ENABLE registers (the datasheet does not say;
//! QEMU returns the complement).

use super::{register_offsets, Device, Reg, VmEnv};
use crate::board::INTERRUPT_CONTROLLER_BASE;
use core::mem::offset_of;
use raspi3b::bcm2835_ic::{Registers as IcRegisters, FIQ_CONTROL, IRQ_BASIC_PENDING};

/// The controller's registers: offset 0x200 of the ARM block at bus address
/// 0x7E00_B000.
pub const BASE: u64 = INTERRUPT_CONTROLLER_BASE.as_u64();
/// Bytes of registers: IRQ basic pending to Disable Basic IRQs.
pub const SIZE: u64 = 0x28;

register_offsets! {
    /// IRQ basic pending.
    IRQ_BASIC_PENDING = offset_of!(IcRegisters, IRQ_BASIC_PENDING) as u32,
    /// IRQ pending 1 (GPU interrupts 0-31).
    IRQ_PENDING_1 = offset_of!(IcRegisters, IRQ_PENDING_1) as u32,
    /// IRQ pending 2 (GPU interrupts 32-63).
    IRQ_PENDING_2 = offset_of!(IcRegisters, IRQ_PENDING_2) as u32,
    /// FIQ control.
    FIQ_CONTROL = offset_of!(IcRegisters, FIQ_CONTROL) as u32,
    /// Enable IRQs 1.
    ENABLE_IRQS_1 = offset_of!(IcRegisters, ENABLE_IRQS_1) as u32,
    /// Enable IRQs 2.
    ENABLE_IRQS_2 = offset_of!(IcRegisters, ENABLE_IRQS_2) as u32,
    /// Enable Basic IRQs.
    ENABLE_BASIC_IRQS = offset_of!(IcRegisters, ENABLE_BASIC_IRQS) as u32,
    /// Disable IRQs 1.
    DISABLE_IRQS_1 = offset_of!(IcRegisters, DISABLE_IRQS_1) as u32,
    /// Disable IRQs 2.
    DISABLE_IRQS_2 = offset_of!(IcRegisters, DISABLE_IRQS_2) as u32,
    /// Disable Basic IRQs.
    DISABLE_BASIC_IRQS = offset_of!(IcRegisters, DISABLE_BASIC_IRQS) as u32,
}

/// The GPU interrupts that have their own bit in IRQ_BASIC_PENDING, from
/// bit 10 up.
const SHORTCUTS: [u32; 11] = [7, 9, 10, 18, 19, 53, 54, 55, 56, 57, 62];
/// GPU interrupts per pending/enable register.
const IRQS_PER_REGISTER: u32 = raspi3b::irq::IRQS_PER_REGISTER;
/// The ARM (basic) interrupts: 8 bits.
const ARM_IRQ_MASK: u32 = (1 << 8) - 1;
/// The first FIQ source that is an ARM interrupt.
const FIQ_SOURCE_ARM_FIRST: u32 = 64;
/// One past the last valid FIQ source.
const FIQ_SOURCE_END: u32 = 72;
/// The bits of FIQ_CONTROL that hold state.
const FIQ_CONTROL_MASK: u32 = 0xff;

/// The GPU interrupts that are shortcuts, as a 64-bit mask.
const fn shortcut_mask() -> u64 {
    let mut mask = 0;
    let mut i = 0;
    while i < SHORTCUTS.len() {
        mask |= 1 << SHORTCUTS[i];
        i += 1;
    }
    mask
}
/// GPU interrupts that appear in IRQ_BASIC_PENDING bits 10-20.
const SHORTCUT_MASK: u64 = shortcut_mask();

/// The raw interrupt lines coming into the controller.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PeripheralLines {
    /// GPU (peripheral) interrupts 0-63, bit n = interrupt n.
    pub gpu: u64,
    /// ARM interrupts 0-7 (ARM Timer, ARM Mailbox, ...), bit n = basic bit n.
    pub arm: u32,
}

/// The BCM2835 interrupt controller.
pub struct IrqController {
    /// Enable IRQs 1 and 2: GPU interrupts 0-63.
    enable_gpu: u64,
    /// Enable Basic IRQs: ARM interrupts 0-7.
    enable_basic: u32,
    /// FIQ control.
    fiq_control: u32,
    /// The input lines.
    lines: PeripheralLines,
}

impl IrqController {
    /// The controller at reset: everything disabled, no FIQ.
    pub const fn new() -> Self {
        Self {
            enable_gpu: 0,
            enable_basic: 0,
            fiq_control: 0,
            lines: PeripheralLines { gpu: 0, arm: 0 },
        }
    }

    /// Present the peripherals' line levels.
    pub fn set_lines(&mut self, lines: PeripheralLines) {
        self.lines = lines;
    }

    // ANCHOR: pending
    /// GPU interrupts that are both raised and enabled.
    fn pending_gpu(&self) -> u64 {
        self.lines.gpu & self.enable_gpu
    }

    /// IRQ basic pending, built as the datasheet describes it.
    fn basic_pending(&self) -> u32 {
        let gpu = self.pending_gpu();
        let mut basic = self.lines.arm & self.enable_basic & ARM_IRQ_MASK;
        let plain = gpu & !SHORTCUT_MASK;
        let bank_1 = (1 << IRQS_PER_REGISTER) - 1;
        if plain & bank_1 != 0 {
            basic |= IRQ_BASIC_PENDING::PENDING_REGISTER_1::SET.value;
        }
        if plain & !bank_1 != 0 {
            basic |= IRQ_BASIC_PENDING::PENDING_REGISTER_2::SET.value;
        }
        for (i, &irq) in SHORTCUTS.iter().enumerate() {
            if gpu & (1 << irq) != 0 {
                basic |= 1 << (IRQ_BASIC_PENDING::GPU_IRQ_SHORTCUTS.shift + i);
            }
        }
        basic
    }

    /// The IRQ output (to the local controller's GPU interrupt).
    pub fn irq(&self) -> bool {
        self.pending_gpu() != 0 || self.lines.arm & self.enable_basic & ARM_IRQ_MASK != 0
    }

    /// The FIQ output: the raw level of the one selected source.
    pub fn fiq(&self) -> bool {
        if !FIQ_CONTROL::FIQ_ENABLE.is_set(self.fiq_control) {
            return false;
        }
        let source = FIQ_CONTROL::SELECT_FIQ_SOURCE.read(self.fiq_control);
        match source {
            0..FIQ_SOURCE_ARM_FIRST => self.lines.gpu & (1 << source) != 0,
            FIQ_SOURCE_ARM_FIRST..FIQ_SOURCE_END => {
                self.lines.arm & (1 << (source - FIQ_SOURCE_ARM_FIRST)) != 0
            }
            _ => false,
        }
    }
    // ANCHOR_END: pending
}

impl Default for IrqController {
    fn default() -> Self {
        Self::new()
    }
}

// ANCHOR: access
impl Device for IrqController {
    fn read(&mut self, offset: u32, _env: &mut dyn VmEnv) -> Reg {
        let value = match offset {
            IRQ_BASIC_PENDING => self.basic_pending(),
            IRQ_PENDING_1 => self.pending_gpu() as u32,
            IRQ_PENDING_2 => (self.pending_gpu() >> IRQS_PER_REGISTER) as u32,
            FIQ_CONTROL => self.fiq_control,
            ENABLE_IRQS_1 | DISABLE_IRQS_1 => self.enable_gpu as u32,
            ENABLE_IRQS_2 | DISABLE_IRQS_2 => (self.enable_gpu >> IRQS_PER_REGISTER) as u32,
            ENABLE_BASIC_IRQS | DISABLE_BASIC_IRQS => self.enable_basic,
            _ => 0,
        };
        Reg {
            name: register_name(offset),
            value,
        }
    }

    fn write(&mut self, offset: u32, value: u32, _env: &mut dyn VmEnv) -> &'static str {
        let low = u64::from(value);
        let high = low << IRQS_PER_REGISTER;
        match offset {
            FIQ_CONTROL => self.fiq_control = value & FIQ_CONTROL_MASK,
            // Writing a 1 sets (clears) the enable; a 0 leaves it.
            ENABLE_IRQS_1 => self.enable_gpu |= low,
            ENABLE_IRQS_2 => self.enable_gpu |= high,
            ENABLE_BASIC_IRQS => self.enable_basic |= value & ARM_IRQ_MASK,
            DISABLE_IRQS_1 => self.enable_gpu &= !low,
            DISABLE_IRQS_2 => self.enable_gpu &= !high,
            DISABLE_BASIC_IRQS => self.enable_basic &= !value,
            // The pending registers are read-only.
            _ => {}
        }
        register_name(offset)
    }
}
// ANCHOR_END: access

#[cfg(test)]
mod tests {
    use super::super::test_env::{exercise, op_strategy, FakeEnv};
    use super::*;
    use proptest::prelude::*;

    const SYSTEM_TIMER_MATCH_1: u32 = 1;
    const AUX: u32 = 29;
    const ARM_MAILBOX: u32 = 1;

    fn read(ic: &mut IrqController, offset: u32) -> u32 {
        ic.read(offset, &mut FakeEnv::new()).value
    }

    fn write(ic: &mut IrqController, offset: u32, value: u32) {
        ic.write(offset, value, &mut FakeEnv::new());
    }

    fn raise_gpu(ic: &mut IrqController, irqs: &[u32]) {
        let gpu = irqs.iter().fold(0, |m, &i| m | 1u64 << i);
        ic.set_lines(PeripheralLines { gpu, arm: 0 });
    }

    #[test]
    fn reset_values() {
        let mut ic = IrqController::new();
        for offset in (0..SIZE as u32).step_by(4) {
            assert_eq!(read(&mut ic, offset), 0, "{}", register_name(offset));
        }
        assert!(!ic.irq() && !ic.fiq());
    }

    #[test]
    fn enable_and_disable_are_write_one_to_set_and_clear() {
        let mut ic = IrqController::new();
        write(&mut ic, ENABLE_IRQS_1, 0b0101);
        write(&mut ic, ENABLE_IRQS_1, 0b0010);
        assert_eq!(
            read(&mut ic, ENABLE_IRQS_1),
            0b0111,
            "zeros leave enables alone"
        );
        write(&mut ic, DISABLE_IRQS_1, 0b0100);
        assert_eq!(read(&mut ic, ENABLE_IRQS_1), 0b0011);
        assert_eq!(read(&mut ic, DISABLE_IRQS_1), 0b0011);
        write(&mut ic, ENABLE_IRQS_2, 1 << 25);
        assert_eq!(read(&mut ic, ENABLE_IRQS_2), 1 << 25);
        assert_eq!(read(&mut ic, ENABLE_IRQS_1), 0b0011, "bank 1 untouched");
        write(&mut ic, ENABLE_BASIC_IRQS, u32::MAX);
        assert_eq!(read(&mut ic, ENABLE_BASIC_IRQS), 0xff, "8 ARM interrupts");
        write(&mut ic, DISABLE_BASIC_IRQS, 1 << 3);
        assert_eq!(read(&mut ic, ENABLE_BASIC_IRQS), 0xf7);
    }

    #[test]
    fn pending_shows_only_enabled_interrupts() {
        let mut ic = IrqController::new();
        raise_gpu(&mut ic, &[SYSTEM_TIMER_MATCH_1, AUX]);
        assert_eq!(read(&mut ic, IRQ_PENDING_1), 0);
        assert!(!ic.irq());
        write(&mut ic, ENABLE_IRQS_1, 1 << AUX);
        assert_eq!(read(&mut ic, IRQ_PENDING_1), 1 << AUX);
        assert_eq!(read(&mut ic, IRQ_BASIC_PENDING), 1 << 8);
        assert!(ic.irq());
    }

    #[test]
    fn shortcuts_have_their_own_basic_bits_and_not_bits_8_9() {
        let mut ic = IrqController::new();
        write(&mut ic, ENABLE_IRQS_1, u32::MAX);
        write(&mut ic, ENABLE_IRQS_2, u32::MAX);
        raise_gpu(&mut ic, &[9]);
        assert_eq!(read(&mut ic, IRQ_BASIC_PENDING), 1 << 11);
        assert_eq!(read(&mut ic, IRQ_PENDING_1), 1 << 9);
        raise_gpu(&mut ic, &[62]);
        assert_eq!(read(&mut ic, IRQ_BASIC_PENDING), 1 << 20);
        assert_eq!(read(&mut ic, IRQ_PENDING_2), 1 << 30);
        raise_gpu(&mut ic, &[57, 49]);
        assert_eq!(read(&mut ic, IRQ_BASIC_PENDING), 1 << 19 | 1 << 9);
        raise_gpu(&mut ic, &[7, 10, 18, 19, 53, 54, 55, 56]);
        assert_eq!(read(&mut ic, IRQ_BASIC_PENDING), 1 << 10 | 0b111_1111 << 12);
        assert!(ic.irq());
    }

    #[test]
    fn arm_interrupts_show_in_basic_pending_when_enabled() {
        let mut ic = IrqController::new();
        ic.set_lines(PeripheralLines {
            gpu: 0,
            arm: 1 << ARM_MAILBOX,
        });
        assert!(!ic.irq());
        write(&mut ic, ENABLE_BASIC_IRQS, 1 << ARM_MAILBOX);
        assert_eq!(read(&mut ic, IRQ_BASIC_PENDING), 1 << ARM_MAILBOX);
        assert!(ic.irq());
    }

    #[test]
    fn fiq_follows_the_selected_raw_line() {
        let mut ic = IrqController::new();
        const ENABLE: u32 = 1 << 7;
        write(&mut ic, FIQ_CONTROL, ENABLE | AUX);
        assert_eq!(read(&mut ic, FIQ_CONTROL), ENABLE | AUX);
        assert!(!ic.fiq());
        raise_gpu(&mut ic, &[AUX]);
        assert!(ic.fiq(), "the IRQ enables do not gate the FIQ");
        assert!(!ic.irq());
        write(&mut ic, FIQ_CONTROL, AUX);
        assert!(!ic.fiq(), "FIQ disabled");
        write(&mut ic, FIQ_CONTROL, ENABLE | (64 + ARM_MAILBOX));
        ic.set_lines(PeripheralLines {
            gpu: 0,
            arm: 1 << ARM_MAILBOX,
        });
        assert!(ic.fiq());
        write(&mut ic, FIQ_CONTROL, ENABLE | 100);
        assert!(!ic.fiq(), "sources 72-127 are not used");
    }

    #[test]
    fn pending_registers_are_read_only() {
        let mut ic = IrqController::new();
        write(&mut ic, IRQ_PENDING_1, u32::MAX);
        write(&mut ic, IRQ_BASIC_PENDING, u32::MAX);
        assert_eq!(read(&mut ic, IRQ_PENDING_1), 0);
        assert_eq!(read(&mut ic, IRQ_BASIC_PENDING), 0);
        assert_eq!(
            ic.write(IRQ_PENDING_2, 0, &mut FakeEnv::new()),
            "IRQ_PENDING_2"
        );
    }

    proptest! {
        #[test]
        fn never_panics(ops in proptest::collection::vec(op_strategy(SIZE as u32 + 8), 0..100), gpu in any::<u64>(), arm in any::<u32>()) {
            let mut ic = IrqController::new();
            ic.set_lines(PeripheralLines { gpu, arm });
            exercise(&mut ic, &mut FakeEnv::new(), &ops);
            let _ = ic.fiq();
        }

        #[test]
        fn irq_is_any_basic_pending(gpu in any::<u64>(), arm in 0..256u32, e1 in any::<u32>(), e2 in any::<u32>(), eb in any::<u32>()) {
            let mut ic = IrqController::new();
            ic.set_lines(PeripheralLines { gpu, arm });
            write(&mut ic, ENABLE_IRQS_1, e1);
            write(&mut ic, ENABLE_IRQS_2, e2);
            write(&mut ic, ENABLE_BASIC_IRQS, eb);
            prop_assert_eq!(ic.irq(), read(&mut ic, IRQ_BASIC_PENDING) != 0);
            let pending = u64::from(read(&mut ic, IRQ_PENDING_1)) | u64::from(read(&mut ic, IRQ_PENDING_2)) << 32;
            prop_assert_eq!(pending, gpu & (u64::from(e1) | u64::from(e2) << 32));
        }
    }
}
