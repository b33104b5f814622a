//! The ARM local peripherals of the BCM2836/7 (the "QA7" document, ARM
//! Quad A7 core): per-core interrupt routing for the generic timers, the
//! mailboxes and the peripheral ("GPU") interrupt, and each core's IRQ and
//! FIQ source registers.
//!
//! The VM has one vCPU, core 0 ([`VCPU_CORE`]). Its timer inputs are the
//! VM's virtual timer (CNTVIRQ) and, later, a physical-timer-style CNTPNS
//! condition; cores 1-3 have no timers. The GPU interrupt is the BCM2835
//! controller's IRQ (FIQ) output, delivered to the core GPU_INTERRUPTS_ROUTING
//! names. For every source, "the FIQ bit takes precedence": if both the FIQ
//! and the IRQ enable of a source are set, it raises the FIQ only.
//! CORE0_IRQ_SOURCE is computed from all of that on every read; the VM's IRQ
//! line is "CORE0_IRQ_SOURCE != 0" (and its FIQ line likewise).
//!
//! All sixteen mailboxes (four per core) are kept, write-set and
//! read/write-high-to-clear; only core 0's can interrupt the vCPU.
//!
//! Register files only, with no behaviour behind them: CONTROL and
//! PRESCALER (the VM's counter runs at CNTFRQ whatever they say), the PMU
//! interrupt routing (there is no PMU interrupt source), LOCAL_INTERRUPT_ROUTING,
//! the AXI counters and the local timer (LOCAL_TIMER_CONTROL_STATUS keeps
//! what is written but the timer never runs, so its interrupt flag stays
//! clear; LOCAL_TIMER_WRITE_FLAGS does nothing). CORE_TIMER_LS/MS read the
//! VM's counter (a read of LS latches MS, as the QA7 describes) and ignore
//! writes: the VM's time is the hypervisor's to keep.
//!
//! At power-on PRESCALER holds 0x8000_0000 (divide by one), the value the
//! Pi 3 firmware's ARM stub leaves for the kernel; the rest is zero.

use super::{register_offsets, Device, Reg, VmEnv};
use crate::board::{CORES, LOCAL_PERIPHERAL_BASE};
use core::mem::offset_of;
use raspi3b::local_intc::{Registers as LocalRegisters, CORE_IRQ_SOURCE, GPU_INTERRUPTS_ROUTING};
use tock_registers::fields::Field;

/// The local peripherals' registers.
pub const BASE: u64 = LOCAL_PERIPHERAL_BASE.as_u64();
/// Bytes of registers: Control register to the last mailbox.
pub const SIZE: u64 = 0x100;
/// The core the VM's one vCPU is.
pub const VCPU_CORE: usize = 0;

register_offsets! {
    /// Control register.
    CONTROL = offset_of!(LocalRegisters, CONTROL) as u32,
    /// Core timer prescaler.
    PRESCALER = offset_of!(LocalRegisters, PRESCALER) as u32,
    /// GPU interrupts routing.
    GPU_INTERRUPTS_ROUTING = offset_of!(LocalRegisters, GPU_INTERRUPTS_ROUTING) as u32,
    /// Performance Monitor Interrupts routing-set.
    PMU_INTERRUPT_ROUTING_SET = offset_of!(LocalRegisters, PMU_INTERRUPT_ROUTING_SET) as u32,
    /// Performance Monitor Interrupts routing-clear.
    PMU_INTERRUPT_ROUTING_CLEAR = offset_of!(LocalRegisters, PMU_INTERRUPT_ROUTING_CLEAR) as u32,
    /// Core timer access LS 32 bits.
    CORE_TIMER_LS = offset_of!(LocalRegisters, CORE_TIMER_LS) as u32,
    /// Core timer access MS 32 bits.
    CORE_TIMER_MS = offset_of!(LocalRegisters, CORE_TIMER_MS) as u32,
    /// Local Interrupt 0 [1-7] routing.
    LOCAL_INTERRUPT_ROUTING = offset_of!(LocalRegisters, LOCAL_INTERRUPT_ROUTING) as u32,
    /// Axi outstanding counters.
    AXI_OUTSTANDING_COUNTERS = offset_of!(LocalRegisters, AXI_OUTSTANDING_COUNTERS) as u32,
    /// Axi outstanding IRQ.
    AXI_OUTSTANDING_IRQ = offset_of!(LocalRegisters, AXI_OUTSTANDING_IRQ) as u32,
    /// Local timer control & status.
    LOCAL_TIMER_CONTROL_STATUS = offset_of!(LocalRegisters, LOCAL_TIMER_CONTROL_STATUS) as u32,
    /// Local timer write flags.
    LOCAL_TIMER_WRITE_FLAGS = offset_of!(LocalRegisters, LOCAL_TIMER_WRITE_FLAGS) as u32,
}

/// Core0 timers Interrupt control; cores 1-3 follow, 4 bytes apart.
const CORE_TIMERS_INTERRUPT_CONTROL: u32 =
    offset_of!(LocalRegisters, CORE_TIMERS_INTERRUPT_CONTROL) as u32;
/// Core0 Mailboxes Interrupt control.
const CORE_MAILBOXES_INTERRUPT_CONTROL: u32 =
    offset_of!(LocalRegisters, CORE_MAILBOXES_INTERRUPT_CONTROL) as u32;
/// Core0 IRQ Source.
const CORE_IRQ_SOURCE: u32 = offset_of!(LocalRegisters, CORE_IRQ_SOURCE) as u32;
/// Core0 FIQ Source.
const CORE_FIQ_SOURCE: u32 = offset_of!(LocalRegisters, CORE_FIQ_SOURCE) as u32;
/// Core 0 Mailbox 0 write-set; then mailboxes 1-3, then cores 1-3.
const CORE_MAILBOX_WRITE_SET: u32 = offset_of!(LocalRegisters, CORE_MAILBOX_WRITE_SET) as u32;
/// Core 0 Mailbox 0 read & write-high-to-clear.
const CORE_MAILBOX_READ_CLEAR: u32 = offset_of!(LocalRegisters, CORE_MAILBOX_READ_CLEAR) as u32;

/// Mailboxes per core.
const MAILBOXES_PER_CORE: usize = raspi3b::local_intc::MAILBOXES_PER_CORE;
/// All mailboxes.
const MAILBOXES: usize = raspi3b::local_intc::MAILBOXES;

const CORE_TIMERS_INTERRUPT_CONTROL_NAMES: [&str; CORES] = [
    "CORE0_TIMERS_INTERRUPT_CONTROL",
    "CORE1_TIMERS_INTERRUPT_CONTROL",
    "CORE2_TIMERS_INTERRUPT_CONTROL",
    "CORE3_TIMERS_INTERRUPT_CONTROL",
];
const CORE_MAILBOXES_INTERRUPT_CONTROL_NAMES: [&str; CORES] = [
    "CORE0_MAILBOXES_INTERRUPT_CONTROL",
    "CORE1_MAILBOXES_INTERRUPT_CONTROL",
    "CORE2_MAILBOXES_INTERRUPT_CONTROL",
    "CORE3_MAILBOXES_INTERRUPT_CONTROL",
];
const CORE_IRQ_SOURCE_NAMES: [&str; CORES] = [
    "CORE0_IRQ_SOURCE",
    "CORE1_IRQ_SOURCE",
    "CORE2_IRQ_SOURCE",
    "CORE3_IRQ_SOURCE",
];
const CORE_FIQ_SOURCE_NAMES: [&str; CORES] = [
    "CORE0_FIQ_SOURCE",
    "CORE1_FIQ_SOURCE",
    "CORE2_FIQ_SOURCE",
    "CORE3_FIQ_SOURCE",
];
const CORE_MAILBOX_WRITE_SET_NAMES: [&str; MAILBOXES] = [
    "CORE0_MAILBOX0_WRITE_SET",
    "CORE0_MAILBOX1_WRITE_SET",
    "CORE0_MAILBOX2_WRITE_SET",
    "CORE0_MAILBOX3_WRITE_SET",
    "CORE1_MAILBOX0_WRITE_SET",
    "CORE1_MAILBOX1_WRITE_SET",
    "CORE1_MAILBOX2_WRITE_SET",
    "CORE1_MAILBOX3_WRITE_SET",
    "CORE2_MAILBOX0_WRITE_SET",
    "CORE2_MAILBOX1_WRITE_SET",
    "CORE2_MAILBOX2_WRITE_SET",
    "CORE2_MAILBOX3_WRITE_SET",
    "CORE3_MAILBOX0_WRITE_SET",
    "CORE3_MAILBOX1_WRITE_SET",
    "CORE3_MAILBOX2_WRITE_SET",
    "CORE3_MAILBOX3_WRITE_SET",
];
const CORE_MAILBOX_READ_CLEAR_NAMES: [&str; MAILBOXES] = [
    "CORE0_MAILBOX0_READ_CLEAR",
    "CORE0_MAILBOX1_READ_CLEAR",
    "CORE0_MAILBOX2_READ_CLEAR",
    "CORE0_MAILBOX3_READ_CLEAR",
    "CORE1_MAILBOX0_READ_CLEAR",
    "CORE1_MAILBOX1_READ_CLEAR",
    "CORE1_MAILBOX2_READ_CLEAR",
    "CORE1_MAILBOX3_READ_CLEAR",
    "CORE2_MAILBOX0_READ_CLEAR",
    "CORE2_MAILBOX1_READ_CLEAR",
    "CORE2_MAILBOX2_READ_CLEAR",
    "CORE2_MAILBOX3_READ_CLEAR",
    "CORE3_MAILBOX0_READ_CLEAR",
    "CORE3_MAILBOX1_READ_CLEAR",
    "CORE3_MAILBOX2_READ_CLEAR",
    "CORE3_MAILBOX3_READ_CLEAR",
];

/// Bits of CONTROL that hold state.
const CONTROL_MASK: u32 = (1 << 8) | (1 << 9);
/// Bits of GPU_INTERRUPTS_ROUTING.
const GPU_ROUTING_MASK: u32 = 0b1111;
/// Bits of the PMU routing: nPMUIRQ[0-3] IRQ (0-3) and FIQ (4-7).
const PMU_ROUTING_MASK: u32 = 0xff;
/// Bits of LOCAL_INTERRUPT_ROUTING: the local timer's core, bit 2 = FIQ.
const LOCAL_ROUTING_MASK: u32 = 0b111;
/// Bits of the per-core interrupt control registers: 4 IRQ and 4 FIQ enables.
const INTERRUPT_CONTROL_MASK: u32 = 0xff;
/// The FIQ enable of source `n` is bit `n + FIQ_ENABLES`.
const FIQ_ENABLES: u32 = 4;
/// The writable bits of LOCAL_TIMER_CONTROL_STATUS (the flag is read-only).
const LOCAL_TIMER_CONTROL_MASK: u32 = (1 << 30) - 1;
/// The prescaler the firmware's ARM stub leaves: 2^31, divide by one.
const PRESCALER_AT_BOOT: u32 = 0x8000_0000;
/// Bits in a 32-bit register (the MS half of the core timer).
const WORD_BITS: u32 = 32;
/// Bytes per register.
const REGISTER_BYTES: u32 = 4;

/// The interrupt inputs of the local controller, as the board wires them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LocalInputs {
    /// Core 0's virtual timer (CNTVIRQ).
    pub cntv: bool,
    /// Core 0's non-secure physical timer (CNTPNSIRQ).
    pub cntpns: bool,
    /// The BCM2835 controller's IRQ output.
    pub gpu_irq: bool,
    /// The BCM2835 controller's FIQ output.
    pub gpu_fiq: bool,
}

/// The ARM local interrupt controller.
pub struct LocalIntc {
    control: u32,
    prescaler: u32,
    gpu_routing: u32,
    pmu_routing: u32,
    local_routing: u32,
    axi_counters: u32,
    axi_irq: u32,
    local_timer_control: u32,
    timers_control: [u32; CORES],
    mailboxes_control: [u32; CORES],
    mailboxes: [u32; MAILBOXES],
    /// The core timer's MS half, latched by the last read of LS.
    core_timer_ms: u32,
    inputs: LocalInputs,
}

impl LocalIntc {
    /// The controller at power-on (after the firmware's ARM stub).
    pub const fn new() -> Self {
        Self {
            control: 0,
            prescaler: PRESCALER_AT_BOOT,
            gpu_routing: 0,
            pmu_routing: 0,
            local_routing: 0,
            axi_counters: 0,
            axi_irq: 0,
            local_timer_control: 0,
            timers_control: [0; CORES],
            mailboxes_control: [0; CORES],
            mailboxes: [0; MAILBOXES],
            core_timer_ms: 0,
            inputs: LocalInputs {
                cntv: false,
                cntpns: false,
                gpu_irq: false,
                gpu_fiq: false,
            },
        }
    }

    /// Present the interrupt inputs.
    pub fn set_inputs(&mut self, inputs: LocalInputs) {
        self.inputs = inputs;
    }

    // ANCHOR: sources
    /// COREn_IRQ_SOURCE and COREn_FIQ_SOURCE.
    fn sources(&self, core: usize) -> (u32, u32) {
        let (mut irq, mut fiq) = (0, 0);
        // Route `source` by enable `index` of `control`: FIQ wins over IRQ.
        let mut deliver = |control: u32, index: u32, source: u32| {
            if control & (1 << (index + FIQ_ENABLES)) != 0 {
                fiq |= source;
            } else if control & (1 << index) != 0 {
                irq |= source;
            }
        };
        if core == VCPU_CORE {
            let control = self.timers_control[core];
            if self.inputs.cntpns {
                let bit = CORE_IRQ_SOURCE::CNTPNSIRQ;
                deliver(control, bit.shift as u32, bit.mask << bit.shift);
            }
            if self.inputs.cntv {
                let bit = CORE_IRQ_SOURCE::CNTVIRQ;
                deliver(control, bit.shift as u32, bit.mask << bit.shift);
            }
        }
        for mailbox in 0..MAILBOXES_PER_CORE {
            if self.mailboxes[core * MAILBOXES_PER_CORE + mailbox] != 0 {
                let source = 1 << (CORE_IRQ_SOURCE::MAILBOX.shift + mailbox);
                deliver(self.mailboxes_control[core], mailbox as u32, source);
            }
        }
        let gpu = CORE_IRQ_SOURCE::GPU::SET.value;
        let routed_to = |field: Field<u32, GPU_INTERRUPTS_ROUTING::Register>| {
            field.read(self.gpu_routing) as usize
        };
        if self.inputs.gpu_irq && routed_to(GPU_INTERRUPTS_ROUTING::GPU_IRQ_ROUTING) == core {
            irq |= gpu;
        }
        if self.inputs.gpu_fiq && routed_to(GPU_INTERRUPTS_ROUTING::GPU_FIQ_ROUTING) == core {
            fiq |= gpu;
        }
        (irq, fiq)
    }

    /// Whether `core`'s IRQ line is raised (COREn_IRQ_SOURCE != 0).
    pub fn irq(&self, core: usize) -> bool {
        self.sources(core).0 != 0
    }

    /// Whether `core`'s FIQ line is raised (COREn_FIQ_SOURCE != 0).
    pub fn fiq(&self, core: usize) -> bool {
        self.sources(core).1 != 0
    }
    // ANCHOR_END: sources
}

impl Default for LocalIntc {
    fn default() -> Self {
        Self::new()
    }
}

/// If `offset` is in the per-core (or per-mailbox) array of registers that
/// starts at `first`, with `count` entries: its index.
fn index_in(offset: u32, first: u32, count: usize) -> Option<usize> {
    let index = usize::try_from(offset.checked_sub(first)? / REGISTER_BYTES).ok()?;
    (index < count).then_some(index)
}

/// The register name of any offset, per-core arrays included.
fn name(offset: u32) -> &'static str {
    let arrays: [(u32, &[&'static str]); 6] = [
        (
            CORE_TIMERS_INTERRUPT_CONTROL,
            &CORE_TIMERS_INTERRUPT_CONTROL_NAMES,
        ),
        (
            CORE_MAILBOXES_INTERRUPT_CONTROL,
            &CORE_MAILBOXES_INTERRUPT_CONTROL_NAMES,
        ),
        (CORE_IRQ_SOURCE, &CORE_IRQ_SOURCE_NAMES),
        (CORE_FIQ_SOURCE, &CORE_FIQ_SOURCE_NAMES),
        (CORE_MAILBOX_WRITE_SET, &CORE_MAILBOX_WRITE_SET_NAMES),
        (CORE_MAILBOX_READ_CLEAR, &CORE_MAILBOX_READ_CLEAR_NAMES),
    ];
    for (first, names) in arrays {
        if let Some(i) = index_in(offset, first, names.len()) {
            return names[i];
        }
    }
    register_name(offset)
}

// ANCHOR: access
impl Device for LocalIntc {
    fn read(&mut self, offset: u32, env: &mut dyn VmEnv) -> Reg {
        let value = if let Some(core) = index_in(offset, CORE_TIMERS_INTERRUPT_CONTROL, CORES) {
            self.timers_control[core]
        } else if let Some(core) = index_in(offset, CORE_MAILBOXES_INTERRUPT_CONTROL, CORES) {
            self.mailboxes_control[core]
        } else if let Some(core) = index_in(offset, CORE_IRQ_SOURCE, CORES) {
            self.sources(core).0
        } else if let Some(core) = index_in(offset, CORE_FIQ_SOURCE, CORES) {
            self.sources(core).1
        } else if let Some(mailbox) = index_in(offset, CORE_MAILBOX_READ_CLEAR, MAILBOXES) {
            self.mailboxes[mailbox]
        } else {
            match offset {
                CONTROL => self.control,
                PRESCALER => self.prescaler,
                GPU_INTERRUPTS_ROUTING => self.gpu_routing,
                PMU_INTERRUPT_ROUTING_SET | PMU_INTERRUPT_ROUTING_CLEAR => self.pmu_routing,
                CORE_TIMER_LS => {
                    let now = env.counter();
                    self.core_timer_ms = (now >> WORD_BITS) as u32;
                    now as u32
                }
                CORE_TIMER_MS => self.core_timer_ms,
                LOCAL_INTERRUPT_ROUTING => self.local_routing,
                AXI_OUTSTANDING_COUNTERS => self.axi_counters,
                AXI_OUTSTANDING_IRQ => self.axi_irq,
                LOCAL_TIMER_CONTROL_STATUS => self.local_timer_control,
                // LOCAL_TIMER_WRITE_FLAGS and the mailbox write-set
                // registers are write-only.
                _ => 0,
            }
        };
        Reg {
            name: name(offset),
            value,
        }
    }

    fn write(&mut self, offset: u32, value: u32, _env: &mut dyn VmEnv) -> &'static str {
        if let Some(core) = index_in(offset, CORE_TIMERS_INTERRUPT_CONTROL, CORES) {
            self.timers_control[core] = value & INTERRUPT_CONTROL_MASK;
        } else if let Some(core) = index_in(offset, CORE_MAILBOXES_INTERRUPT_CONTROL, CORES) {
            self.mailboxes_control[core] = value & INTERRUPT_CONTROL_MASK;
        } else if let Some(mailbox) = index_in(offset, CORE_MAILBOX_WRITE_SET, MAILBOXES) {
            self.mailboxes[mailbox] |= value;
        } else if let Some(mailbox) = index_in(offset, CORE_MAILBOX_READ_CLEAR, MAILBOXES) {
            self.mailboxes[mailbox] &= !value;
        } else {
            match offset {
                CONTROL => self.control = value & CONTROL_MASK,
                PRESCALER => self.prescaler = value,
                GPU_INTERRUPTS_ROUTING => self.gpu_routing = value & GPU_ROUTING_MASK,
                PMU_INTERRUPT_ROUTING_SET => self.pmu_routing |= value & PMU_ROUTING_MASK,
                PMU_INTERRUPT_ROUTING_CLEAR => self.pmu_routing &= !value,
                LOCAL_INTERRUPT_ROUTING => self.local_routing = value & LOCAL_ROUTING_MASK,
                AXI_OUTSTANDING_COUNTERS => self.axi_counters = value,
                AXI_OUTSTANDING_IRQ => self.axi_irq = value,
                LOCAL_TIMER_CONTROL_STATUS => {
                    self.local_timer_control = value & LOCAL_TIMER_CONTROL_MASK;
                }
                // The source registers are read-only, the core timer is the
                // VM's clock, and the local timer never runs.
                _ => {}
            }
        }
        name(offset)
    }
}
// ANCHOR_END: access

#[cfg(test)]
mod tests {
    use super::super::test_env::{exercise, op_strategy, FakeEnv};
    use super::*;
    use proptest::prelude::*;

    const CNTVIRQ: u32 = 1 << 3;
    const CNTPNSIRQ: u32 = 1 << 1;
    const GPU: u32 = 1 << 8;
    const MAILBOX0: u32 = 1 << 4;

    fn read(l: &mut LocalIntc, offset: u32) -> u32 {
        l.read(offset, &mut FakeEnv::new()).value
    }

    fn write(l: &mut LocalIntc, offset: u32, value: u32) {
        l.write(offset, value, &mut FakeEnv::new());
    }

    fn inputs(cntv: bool, gpu_irq: bool, gpu_fiq: bool) -> LocalInputs {
        LocalInputs {
            cntv,
            cntpns: false,
            gpu_irq,
            gpu_fiq,
        }
    }

    #[test]
    fn reset_values() {
        let mut l = LocalIntc::new();
        for offset in (0..SIZE as u32).step_by(4) {
            let expected = if offset == PRESCALER {
                PRESCALER_AT_BOOT
            } else {
                0
            };
            assert_eq!(read(&mut l, offset), expected, "{}", name(offset));
        }
        assert!(!l.irq(0) && !l.fiq(0));
    }

    #[test]
    fn names_follow_the_qa7_document() {
        assert_eq!(name(0x40), "CORE0_TIMERS_INTERRUPT_CONTROL");
        assert_eq!(name(0x6c), "CORE3_IRQ_SOURCE");
        assert_eq!(name(0x94), "CORE1_MAILBOX1_WRITE_SET");
        assert_eq!(name(0xfc), "CORE3_MAILBOX3_READ_CLEAR");
        assert_eq!(name(0x0c), "GPU_INTERRUPTS_ROUTING");
        assert_eq!(name(0x04), "reserved");
    }

    #[test]
    fn virtual_timer_needs_its_enable() {
        let mut l = LocalIntc::new();
        l.set_inputs(inputs(true, false, false));
        assert_eq!(read(&mut l, CORE_IRQ_SOURCE), 0);
        assert!(!l.irq(0));
        write(&mut l, CORE_TIMERS_INTERRUPT_CONTROL, CNTVIRQ);
        assert_eq!(read(&mut l, CORE_IRQ_SOURCE), CNTVIRQ);
        assert!(l.irq(0));
        assert_eq!(read(&mut l, CORE_IRQ_SOURCE + 4), 0, "core 1 has no timers");
        l.set_inputs(inputs(false, false, false));
        assert!(!l.irq(0));
    }

    #[test]
    fn fiq_enable_takes_precedence() {
        let mut l = LocalIntc::new();
        l.set_inputs(inputs(true, false, false));
        write(
            &mut l,
            CORE_TIMERS_INTERRUPT_CONTROL,
            CNTVIRQ | CNTVIRQ << 4,
        );
        assert_eq!(read(&mut l, CORE_IRQ_SOURCE), 0);
        assert_eq!(read(&mut l, CORE_FIQ_SOURCE), CNTVIRQ);
        assert!(l.fiq(0) && !l.irq(0));
    }

    #[test]
    fn cntpns_is_routed_like_the_other_timers() {
        let mut l = LocalIntc::new();
        l.set_inputs(LocalInputs {
            cntpns: true,
            ..LocalInputs::default()
        });
        write(&mut l, CORE_TIMERS_INTERRUPT_CONTROL, CNTPNSIRQ);
        assert_eq!(read(&mut l, CORE_IRQ_SOURCE), CNTPNSIRQ);
    }

    #[test]
    fn gpu_interrupt_goes_to_the_routed_core() {
        let mut l = LocalIntc::new();
        l.set_inputs(inputs(false, true, false));
        assert_eq!(
            read(&mut l, CORE_IRQ_SOURCE),
            GPU,
            "routed to core 0 at reset"
        );
        write(&mut l, GPU_INTERRUPTS_ROUTING, 2);
        assert_eq!(read(&mut l, CORE_IRQ_SOURCE), 0);
        assert_eq!(read(&mut l, CORE_IRQ_SOURCE + 8), GPU);
        assert!(!l.irq(0));
        // GPU FIQ routing, bits 3:2.
        write(&mut l, GPU_INTERRUPTS_ROUTING, 0b01_00);
        l.set_inputs(inputs(false, false, true));
        assert_eq!(read(&mut l, CORE_FIQ_SOURCE + 4), GPU);
        assert!(!l.fiq(0));
        write(&mut l, GPU_INTERRUPTS_ROUTING, 0);
        assert!(l.fiq(0));
    }

    #[test]
    fn mailboxes_set_clear_and_interrupt() {
        let mut l = LocalIntc::new();
        write(&mut l, CORE_MAILBOX_WRITE_SET, 0b1010);
        write(&mut l, CORE_MAILBOX_WRITE_SET, 0b0101);
        assert_eq!(read(&mut l, CORE_MAILBOX_READ_CLEAR), 0b1111);
        assert_eq!(read(&mut l, CORE_MAILBOX_WRITE_SET), 0, "write-only");
        assert!(!l.irq(0), "mailbox interrupt not enabled");
        write(&mut l, CORE_MAILBOXES_INTERRUPT_CONTROL, 1);
        assert_eq!(read(&mut l, CORE_IRQ_SOURCE), MAILBOX0);
        write(&mut l, CORE_MAILBOX_READ_CLEAR, 0b0011);
        assert_eq!(read(&mut l, CORE_MAILBOX_READ_CLEAR), 0b1100);
        write(&mut l, CORE_MAILBOX_READ_CLEAR, u32::MAX);
        assert!(!l.irq(0));
        // Core 3 mailbox 2.
        write(&mut l, CORE_MAILBOX_WRITE_SET + 4 * 14, 7);
        assert_eq!(read(&mut l, CORE_MAILBOX_READ_CLEAR + 4 * 14), 7);
        write(&mut l, CORE_MAILBOXES_INTERRUPT_CONTROL + 12, 1 << 2);
        assert_eq!(read(&mut l, CORE_IRQ_SOURCE + 12), MAILBOX0 << 2);
        assert!(!l.irq(0));
    }

    #[test]
    fn source_registers_are_read_only() {
        let mut l = LocalIntc::new();
        write(&mut l, CORE_IRQ_SOURCE, u32::MAX);
        write(&mut l, CORE_FIQ_SOURCE, u32::MAX);
        assert_eq!(read(&mut l, CORE_IRQ_SOURCE), 0);
        assert_eq!(read(&mut l, CORE_FIQ_SOURCE), 0);
    }

    #[test]
    fn core_timer_reads_the_vm_counter_and_latches_ms() {
        let mut l = LocalIntc::new();
        let mut env = FakeEnv::new();
        env.now = 0x0000_0003_0000_0010;
        assert_eq!(l.read(CORE_TIMER_LS, &mut env).value, 0x10);
        env.now = 0x0000_0004_0000_0000;
        assert_eq!(
            l.read(CORE_TIMER_MS, &mut env).value,
            3,
            "latched by the LS read"
        );
        l.write(CORE_TIMER_LS, 0, &mut env);
        l.write(CORE_TIMER_MS, 0, &mut env);
        assert_eq!(l.read(CORE_TIMER_LS, &mut env).value, 0);
        assert_eq!(l.read(CORE_TIMER_MS, &mut env).value, 4, "writes ignored");
    }

    #[test]
    fn register_files_keep_their_bits() {
        let mut l = LocalIntc::new();
        write(&mut l, CONTROL, u32::MAX);
        assert_eq!(read(&mut l, CONTROL), 0x300);
        write(&mut l, PRESCALER, 0x1234_5678);
        assert_eq!(read(&mut l, PRESCALER), 0x1234_5678);
        write(&mut l, PMU_INTERRUPT_ROUTING_SET, 0x0f);
        write(&mut l, PMU_INTERRUPT_ROUTING_CLEAR, 0x03);
        assert_eq!(read(&mut l, PMU_INTERRUPT_ROUTING_SET), 0x0c);
        write(&mut l, LOCAL_INTERRUPT_ROUTING, u32::MAX);
        assert_eq!(read(&mut l, LOCAL_INTERRUPT_ROUTING), 0b111);
        write(&mut l, LOCAL_TIMER_CONTROL_STATUS, u32::MAX);
        assert_eq!(read(&mut l, LOCAL_TIMER_CONTROL_STATUS), 0x3fff_ffff);
        write(&mut l, LOCAL_TIMER_WRITE_FLAGS, u32::MAX);
        assert_eq!(read(&mut l, LOCAL_TIMER_WRITE_FLAGS), 0);
        write(&mut l, CORE_TIMERS_INTERRUPT_CONTROL, u32::MAX);
        assert_eq!(read(&mut l, CORE_TIMERS_INTERRUPT_CONTROL), 0xff);
    }

    proptest! {
        #[test]
        fn never_panics(ops in proptest::collection::vec(op_strategy(SIZE as u32 + 8), 0..100), cntv: bool, gpu_irq: bool, gpu_fiq: bool) {
            let mut l = LocalIntc::new();
            l.set_inputs(inputs(cntv, gpu_irq, gpu_fiq));
            exercise(&mut l, &mut FakeEnv::new(), &ops);
            for core in 0..CORES {
                let (irq, fiq) = l.sources(core);
                prop_assert_eq!(l.irq(core), irq != 0);
                prop_assert_eq!(l.fiq(core), fiq != 0);
            }
        }
    }
}
