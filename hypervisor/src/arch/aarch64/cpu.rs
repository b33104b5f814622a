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

/// Stop this core for good, with interrupts masked.
pub fn halt() -> ! {
    DAIF.write(DAIF::D::Masked + DAIF::A::Masked + DAIF::I::Masked + DAIF::F::Masked);
    loop {
        asm::wfe();
    }
}

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

/// Drop every instruction cache line, so freshly copied code is fetched.
pub fn invalidate_icache() {
    // SAFETY: invalidating the instruction cache has no visible effect but
    // a refetch.
    unsafe { core::arch::asm!("ic iallu", "dsb sy", "isb", options(nostack)) };
}

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
pub fn disable_vtimer() {
    // SAFETY: the vCPU's timer state was saved by the caller.
    unsafe { core::arch::asm!("msr cntv_ctl_el0, xzr", "isb", options(nostack)) };
}

/// Set CNTVOFF_EL2: the guest's virtual counter is the physical one minus this.
pub fn set_cntvoff(offset: u64) {
    // SAFETY: only guests read the virtual counter; the hypervisor uses
    // the physical one.
    unsafe { core::arch::asm!("msr cntvoff_el2, {}", "isb", in(reg) offset, options(nostack)) };
}

/// DC CISW: clean and invalidate one data cache line by set/way, with the
/// operand a guest gave (level and set/way fields).
pub fn clean_invalidate_by_set_way(set_way: u64) {
    // SAFETY: cleaning before invalidating loses no data.
    unsafe { core::arch::asm!("dc cisw, {}", in(reg) set_way, options(nostack)) };
}
