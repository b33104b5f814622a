//! The four measurements, each timed in ticks of the guest's own virtual
//! counter: the CPU workload, the round trip of an HVC, the round trip of
//! a read of a device register, and the delay from a virtual timer
//! deadline to the interrupt handler.

use crate::{irq, timer, workload};
use core::arch::asm;
use rt::cpu;

/// Most samples one measurement takes.
pub const MAX_SAMPLES: usize = 256;

/// How much a benchmark run does.
pub struct Plan {
    /// Runs, each doing every measurement once.
    pub runs: u32,
    /// Workload units (sieves) per CPU measurement.
    pub cpu_units: u32,
    /// HVC, MMIO and counter samples per run.
    pub samples: usize,
    /// Timer samples per run, for each way of waiting.
    pub timer_samples: usize,
}

/// `b`: the full benchmark, for `scripts/bench.sh`.
pub const FULL: Plan = Plan {
    runs: 11,
    cpu_units: 16,
    samples: MAX_SAMPLES,
    timer_samples: 32,
};

/// `q`: a quick run, to check that everything works (the smoke test).
pub const QUICK: Plan = Plan {
    runs: 2,
    cpu_units: 4,
    samples: 32,
    timer_samples: 8,
};

/// `w`: workload units timed at once, a fraction of a second natively.
pub const WORK_UNITS: u32 = 64;

/// How far ahead of "now" a timer sample sets its deadline, in
/// microseconds: long enough that arming it is done well before.
const TIMER_LEAD_US: u64 = 1_000;
const US_PER_SECOND: u64 = 1_000_000;

// ANCHOR: hvc
/// A function id of the SMCCC no one here implements: a fast call to a
/// vendor-specific hypervisor service (owner 6), function 0xffff.
/// ferrovisor, and the native stub of `el2_stub.s`, answer NOT_SUPPORTED.
const UNKNOWN_FUNCTION_ID: u64 = 0x8600_ffff;
/// SMCCC's NOT_SUPPORTED, -1 in x0.
const SMCCC_NOT_SUPPORTED: u64 = u64::MAX;

/// One HVC with function id `function`; returns x0.
fn hvc(function: u64) -> u64 {
    let result;
    // SAFETY: an SMCCC call; x0-x3 may carry results, nothing else changes.
    unsafe {
        asm!(
            "hvc #0",
            inout("x0") function => result,
            lateout("x1") _, lateout("x2") _, lateout("x3") _,
            options(nostack)
        )
    };
    result
}

/// Time `samples.len()` HVCs; false if one was not answered NOT_SUPPORTED.
pub fn hvc_round_trips(samples: &mut [u64]) -> bool {
    let mut ok = true;
    for sample in samples {
        let start = timer::start_stamp();
        let answer = hvc(UNKNOWN_FUNCTION_ID);
        *sample = timer::end_stamp() - start;
        ok &= answer == SMCCC_NOT_SUPPORTED;
    }
    ok
}
// ANCHOR_END: hvc

/// AUX_MU_LSR_REG, the mini UART's line status register.
const AUX_MU_LSR: usize = raspi3b::map::AUX_BASE.as_usize()
    + core::mem::offset_of!(raspi3b::aux::Registers, AUX_MU_LSR_REG);

// ANCHOR: mmio
/// Time `samples.len()` writes to AUX_MU_LSR_REG. The register is read-only,
/// so a write changes nothing, natively or in a VM; in a VM it is a trapped
/// device access however the hypervisor serves reads (ferrovisor answers a
/// status read from a shadow page, without a trap: `output` shows that).
pub fn mmio_round_trips(samples: &mut [u64]) {
    for sample in samples {
        let start = timer::start_stamp();
        // SAFETY: the mini UART's registers are mapped as device memory,
        // and writing the read-only line status register changes nothing.
        unsafe { core::ptr::write_volatile(AUX_MU_LSR as *mut u32, 0) };
        *sample = timer::end_stamp() - start;
    }
}
// ANCHOR_END: mmio

/// Time nothing: the cost of the two counter reads themselves, which every
/// other sample includes.
pub fn counter_overhead(samples: &mut [u64]) {
    for sample in samples {
        let start = timer::start_stamp();
        *sample = timer::end_stamp() - start;
    }
}

/// How a timer sample waits for its interrupt.
#[derive(Clone, Copy)]
pub enum Wait {
    /// Busy, with IRQs on: the interrupt stops a running CPU.
    Spin,
    /// In WFI: the interrupt wakes a sleeping CPU (under ferrovisor the
    /// VM sleeps and the hypervisor must wake it).
    Sleep,
}

// ANCHOR: timer
/// Time `samples.len()` timer interrupts: arm the virtual timer a little
/// ahead, wait, and record how long after the deadline the handler ran.
pub fn timer_latencies(samples: &mut [u64], wait: Wait) {
    let lead = timer::frequency() * TIMER_LEAD_US / US_PER_SECOND;
    for sample in samples {
        irq::clear_timer_fired();
        let deadline = timer::start_stamp() + lead;
        timer::arm_at(deadline);
        let fired_at = loop {
            if let Some(at) = irq::timer_fired_at() {
                break at;
            }
            match wait {
                Wait::Spin => core::hint::spin_loop(),
                Wait::Sleep => cpu::without_irqs(|| {
                    if irq::timer_fired_at().is_none() {
                        cpu::wait_for_interrupt();
                    }
                }),
            }
        };
        *sample = fired_at.saturating_sub(deadline);
    }
}
// ANCHOR_END: timer

// ANCHOR: cpu
/// Run the workload `units` times; the ticks it took, and whether every
/// unit got the right answer.
pub fn cpu_work(units: u32) -> (u64, bool) {
    let start = timer::start_stamp();
    let ok = workload::run(units);
    (timer::end_stamp() - start, ok)
}
// ANCHOR_END: cpu
