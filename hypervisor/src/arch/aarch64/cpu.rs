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
/// CTR_EL0.DminLine (bits 19:16): log2 of the words in the smallest data
/// cache line of any cache this core's maintenance by VA reaches.
const CTR_DMINLINE_SHIFT: u64 = 16;
const CTR_DMINLINE_MASK: u64 = 0b1111;
/// Bytes in a word, as CTR_EL0 counts line sizes.
const WORD_BYTES: usize = 4;

/// The data cache line, in bytes, that maintenance by VA steps over: the
/// smallest of every level (CTR_EL0.DminLine; 64 on the Cortex-A53).
/// Stepping by a larger guess would skip lines of a smaller cache.
pub fn dcache_line() -> usize {
    let ctr: u64;
    // SAFETY: reading CTR_EL0 has no side effect.
    unsafe { core::arch::asm!("mrs {}, ctr_el0", out(reg) ctr, options(nomem, nostack)) };
    WORD_BYTES << ((ctr >> CTR_DMINLINE_SHIFT) & CTR_DMINLINE_MASK)
}

/// Write the data cache lines of `[start, start + len)` back to RAM (to the
/// Point of Coherency), for a reader that does not look in the cache: a
/// guest running with its MMU off. The lines stay in the cache, clean.
pub fn clean_dcache_range(start: usize, len: usize) {
    let step = dcache_line();
    let mut line = start & !(step - 1);
    while line < start + len {
        // SAFETY: cleaning a cache line changes no memory contents.
        unsafe { core::arch::asm!("dc cvac, {}", in(reg) line, options(nostack)) };
        line += step;
    }
    // SAFETY: a barrier only orders memory accesses.
    unsafe { core::arch::asm!("dsb sy", options(nostack)) };
}

/// Clean and invalidate the data cache lines of `[start, start + len)` to
/// the Point of Coherency, in every core's cache (maintenance by VA is
/// broadcast to the inner-shareable domain): what was written is in RAM,
/// and no line of the range is left in any cache, so the next read by
/// anyone comes from RAM.
pub fn clean_invalidate_range(start: usize, len: usize) {
    let step = dcache_line();
    let mut line = start & !(step - 1);
    while line < start + len {
        // SAFETY: clean and invalidate changes no memory contents.
        unsafe { core::arch::asm!("dc civac, {}", in(reg) line, options(nostack)) };
        line += step;
    }
    // SAFETY: a barrier only orders memory accesses.
    unsafe { core::arch::asm!("dsb sy", options(nostack)) };
}

/// Drop every instruction cache line of every core in the inner-shareable
/// domain (IC IALLUIS), so freshly copied code is fetched from RAM
/// wherever it runs next.
pub fn invalidate_icache() {
    // SAFETY: invalidating the instruction caches has no visible effect
    // but a refetch.
    unsafe { core::arch::asm!("ic ialluis", "dsb ish", "isb", options(nostack)) };
}
// ANCHOR_END: cache

// ANCHOR: guest_word
// The hypervisor maps every VM's RAM as Normal write-back memory, and a
// guest may run with its caches off, its accesses then going straight to
// RAM: the same bytes seen with two sets of attributes, which the Arm ARM
// calls mismatched memory attributes (B2.8 in DDI 0487). Coherence between
// the two views is then software's job: a line the hypervisor's view holds
// may be stale (the guest wrote RAM behind it) or, once written, may later
// be evicted over what the guest wrote since. Cleaning and invalidating the
// word's line before and after each access keeps no line of guest RAM in
// any cache between two exits, so each access meets RAM as the guest left
// it, whether the guest's caches are on (its dirty line is cleaned first)
// or off. A non-cacheable alias of guest RAM would not do: it reads RAM
// under a guest's dirty line when the guest's caches are on, and the
// cacheable identity map would still let the core fetch lines of the same
// RAM speculatively.

/// Read a word of guest RAM as RAM holds it, leaving no line of it cached.
///
/// # Safety
///
/// `host` must be an aligned word of a VM's RAM, and no vCPU of that VM
/// may run meanwhile.
pub unsafe fn read_guest_word(host: u64) -> u32 {
    let line = host as usize;
    // A line from before (a read in an earlier exit, a speculative fill)
    // may be stale: push out what is dirty, drop the rest.
    clean_invalidate_range(line, WORD);
    // SAFETY: the caller gives an aligned word of guest RAM.
    let value = unsafe { core::ptr::read_volatile(host as *const u32) };
    // The read filled a line: drop it, or a later write would merge into
    // it and write stale neighbours back over what the guest stores.
    clean_invalidate_range(line, WORD);
    value
}

/// Write a word of guest RAM to RAM, leaving no line of it cached.
///
/// # Safety
///
/// As for [`read_guest_word`].
pub unsafe fn write_guest_word(host: u64, value: u32) {
    let line = host as usize;
    // The store merges into the word's line: it must be RAM's, not a
    // stale copy whose other words would be written back with it.
    clean_invalidate_range(line, WORD);
    // SAFETY: as for `read_guest_word`.
    unsafe { core::ptr::write_volatile(host as *mut u32, value) };
    // Push it to RAM, where a guest with its caches off will look.
    clean_invalidate_range(line, WORD);
}

/// Bytes of a guest RAM word.
const WORD: usize = 4;
// ANCHOR_END: guest_word

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
