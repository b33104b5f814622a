//! Small wrappers around single AArch64 instructions and PSTATE.

use aarch64_cpu::asm;
use aarch64_cpu::registers::{CurrentEL, DAIF};
use tock_registers::interfaces::{Readable, Writeable};

/// The Exception Level the CPU runs at (0-3).
pub fn current_el() -> u64 {
    CurrentEL.read(CurrentEL::EL)
}

/// Sleep until an interrupt is pending (even a masked one).
pub fn wait_for_interrupt() {
    asm::wfi();
}

/// ISR_EL1.I: an IRQ is pending. Read at EL2 it shows the physical IRQ
/// line of this core, masked or not (the virtual one only at EL1 with
/// HCR_EL2.IMO set).
const ISR_EL1_I: u64 = 1 << 7;

/// Whether a physical IRQ is pending on this core (ISR_EL1.I), without
/// touching any device: the hypervisor runs with IRQs masked and looks.
pub fn irq_pending() -> bool {
    let isr: u64;
    // SAFETY: reading ISR_EL1 has no side effect.
    unsafe { core::arch::asm!("mrs {}, isr_el1", out(reg) isr, options(nomem, nostack)) };
    isr & ISR_EL1_I != 0
}

/// Stop this core for good, with interrupts masked.
pub fn halt() -> ! {
    DAIF.write(DAIF::D::Masked + DAIF::A::Masked + DAIF::I::Masked + DAIF::F::Masked);
    loop {
        asm::wfe();
    }
}

// ANCHOR: cache
/// Cache line size of the Cortex-A53 data cache.
const CACHE_LINE: usize = 64;

/// Write the data cache lines of `[start, start + len)` back to RAM (to the
/// Point of Coherency), for a reader that does not look in the cache: a
/// guest running with its MMU off.
pub fn clean_dcache_range(start: usize, len: usize) {
    let mut line = start & !(CACHE_LINE - 1);
    while line < start + len {
        // SAFETY: cleaning a cache line changes no memory contents.
        unsafe { core::arch::asm!("dc cvac, {}", in(reg) line, options(nostack)) };
        line += CACHE_LINE;
    }
    // SAFETY: a barrier only orders memory accesses.
    unsafe { core::arch::asm!("dsb sy", options(nostack)) };
}

/// Clean and invalidate the data cache lines of `[start, start + len)`, so
/// the next read comes from RAM and what was written is in RAM.
pub fn clean_invalidate_range(start: usize, len: usize) {
    let mut line = start & !(CACHE_LINE - 1);
    while line < start + len {
        // SAFETY: clean and invalidate changes no memory contents.
        unsafe { core::arch::asm!("dc civac, {}", in(reg) line, options(nostack)) };
        line += CACHE_LINE;
    }
    // SAFETY: a barrier only orders memory accesses.
    unsafe { core::arch::asm!("dsb sy", options(nostack)) };
}

/// Drop every instruction cache line, so freshly copied code is fetched.
pub fn invalidate_icache() {
    // SAFETY: invalidating the instruction cache has no visible effect but
    // a refetch.
    unsafe { core::arch::asm!("ic iallu", "dsb sy", "isb", options(nostack)) };
}
// ANCHOR_END: cache

// ANCHOR: vtimer
/// The live virtual timer of the loaded vCPU: (CNTV_CTL_EL0, CNTV_CVAL_EL0).
pub fn read_vtimer() -> (u64, u64) {
    let (ctl, cval): (u64, u64);
    // SAFETY: reading the timer registers has no side effect.
    unsafe {
        core::arch::asm!("mrs {}, cntv_ctl_el0", "mrs {}, cntv_cval_el0", out(reg) ctl, out(reg) cval, options(nomem, nostack))
    };
    (ctl, cval)
}

/// Switch the virtual timer off (after saving a vCPU's copy of it).
///
/// # Safety
///
/// The caller must have saved the loaded vCPU's CNTV_CTL_EL0 (with its
/// EL1 state): this throws it away.
pub unsafe fn disable_vtimer() {
    // SAFETY: the caller saved the vCPU's timer state.
    unsafe { core::arch::asm!("msr cntv_ctl_el0, xzr", "isb", options(nostack)) };
}

/// Set CNTVOFF_EL2: the guest's virtual counter is the physical one minus this.
///
/// # Safety
///
/// Only between guest runs, with the offset of the VM about to run: a
/// guest whose offset changed under it would see its time jump. (The
/// hypervisor itself reads the physical counter, which this leaves alone.)
pub unsafe fn set_cntvoff(offset: u64) {
    // SAFETY: the caller is between guest runs.
    unsafe { core::arch::asm!("msr cntvoff_el2, {}", "isb", in(reg) offset, options(nostack)) };
}
// ANCHOR_END: vtimer

// ANCHOR: el1_exception
/// The loaded vCPU's VBAR_EL1.
pub fn read_vbar_el1() -> u64 {
    let vbar: u64;
    // SAFETY: reading a system register has no side effect.
    unsafe { core::arch::asm!("mrs {}, vbar_el1", out(reg) vbar, options(nomem, nostack)) };
    vbar
}

/// Write ESR_EL1, ELR_EL1 and SPSR_EL1, as the CPU does when it takes an
/// exception to EL1.
///
/// # Safety
///
/// Only between guest runs: they are the loaded guest's registers, and
/// the values are what it would see after an exception.
pub unsafe fn write_el1_exception(esr: u64, elr: u64, spsr: u64) {
    // SAFETY: the caller is between guest runs; EL2 does not use them.
    unsafe {
        core::arch::asm!(
            "msr esr_el1, {}",
            "msr elr_el1, {}",
            "msr spsr_el1, {}",
            in(reg) esr,
            in(reg) elr,
            in(reg) spsr,
            options(nomem, nostack)
        )
    };
}
// ANCHOR_END: el1_exception

// ANCHOR: flush_all
/// Clean and invalidate every data cache line, level by level, by set and
/// way (the walk CLIDR_EL1 and CCSIDR_EL1 describe). Used when a VM is
/// (re)started: its RAM may still have dirty lines from its last run, which
/// would otherwise land on top of what the fresh guest writes with its MMU
/// (and so its caches) off. On the A53 this is a few thousand operations,
/// far fewer than cleaning a VM's RAM line by line.
pub fn clean_invalidate_dcache_all() {
    let (clidr, saved_csselr): (u64, u64);
    // SAFETY: reading ID registers and CSSELR has no side effect.
    unsafe {
        core::arch::asm!("mrs {}, clidr_el1", "mrs {}, csselr_el1", out(reg) clidr, out(reg) saved_csselr, options(nomem, nostack))
    };
    let level_of_coherence = (clidr >> CLIDR_LOC_SHIFT) & CLIDR_FIELD_MASK;
    for level in 0..level_of_coherence {
        let cache_type = (clidr >> (level * CLIDR_CTYPE_BITS)) & CLIDR_FIELD_MASK;
        if cache_type < CTYPE_DATA {
            continue;
        }
        let ccsidr: u64;
        // SAFETY: selecting a cache level (CSSELR is put back below) and
        // reading its geometry have no other effect.
        unsafe {
            core::arch::asm!("msr csselr_el1, {}", "isb", "mrs {}, ccsidr_el1", in(reg) level << 1, out(reg) ccsidr, options(nostack))
        };
        let line_shift = (ccsidr & 0b111) + 4;
        let ways = ((ccsidr >> 3) & 0x3ff) + 1;
        let sets = ((ccsidr >> 13) & 0x7fff) + 1;
        let way_shift = ((ways as u32) - 1).leading_zeros();
        for way in 0..ways {
            for set in 0..sets {
                let way_bits = if ways > 1 { way << way_shift } else { 0 };
                clean_invalidate_by_set_way(way_bits | (set << line_shift) | (level << 1));
            }
        }
    }
    // SAFETY: restores the guest's CSSELR and orders the maintenance.
    unsafe {
        core::arch::asm!("msr csselr_el1, {}", "dsb sy", "isb", in(reg) saved_csselr, options(nostack))
    };
}
// ANCHOR_END: flush_all

/// CLIDR_EL1: where the Level of Coherence field starts, how wide each
/// cache-type field is, the field mask, and the first type with a data cache.
const CLIDR_LOC_SHIFT: u64 = 24;
const CLIDR_CTYPE_BITS: u64 = 3;
const CLIDR_FIELD_MASK: u64 = 0b111;
const CTYPE_DATA: u64 = 0b010;

/// DC CISW: clean and invalidate one data cache line by set/way, with the
/// operand a guest gave (level and set/way fields).
pub fn clean_invalidate_by_set_way(set_way: u64) {
    // SAFETY: cleaning before invalidating loses no data.
    unsafe { core::arch::asm!("dc cisw, {}", in(reg) set_way, options(nostack)) };
}
