//! Stage-2 translation and the EL2 controls that make a VM: VTCR_EL2 and
//! VTTBR_EL2 (the guest-physical to host-physical map), and the trap and
//! routing bits of HCR_EL2, CPTR_EL2 and CNTHCTL_EL2.

use super::paging::{self, Table};
use aarch64_cpu::asm::barrier;
use aarch64_cpu::registers::{CNTHCTL_EL2, HCR_EL2, MIDR_EL1, VMPIDR_EL2};
use tock_registers::interfaces::{Readable, Writeable};

// ANCHOR: vtcr
/// VTCR_EL2: 32-bit IPA space (T0SZ = 32) starting at level 1 (SL0 = 1),
/// 4 KiB granule, inner-shareable write-back walks, 32-bit PA; bit 31 is RES1.
const VTCR_EL2_VALUE: u64 =
    32 | (0b01 << 6) | (0b01 << 8) | (0b01 << 10) | (0b11 << 12) | (1 << 31);
// ANCHOR_END: vtcr
/// CPTR_EL2 with nothing trapped: FP/SIMD belongs to the guest (TFP = 0);
/// bits 13:12 and 9:0 are RES1.
const CPTR_EL2_NO_TRAPS: u64 = 0x33ff;
/// VMPIDR_EL2 for a single-core VM: core 0, bit 31 RES1.
const VMPIDR_CORE0: u64 = 1 << 31;
/// Where VMIDs sit in VTTBR_EL2.
const VTTBR_VMID_SHIFT: u32 = 48;

// ANCHOR: tables
/// One VM's stage-2 tables: a level-1 table and the level-2 table under it
/// (2 MiB blocks). The caller keeps them, one pair per VM, where they never
/// move while the VM exists.
pub struct Stage2Tables {
    l1: Table,
    l2: Table,
}

impl Stage2Tables {
    /// Empty tables.
    pub const fn new() -> Self {
        Self {
            l1: Table::empty(),
            l2: Table::empty(),
        }
    }
}

impl Default for Stage2Tables {
    fn default() -> Self {
        Self::new()
    }
}
// ANCHOR_END: tables

// ANCHOR: init
/// Set the EL2 controls shared by all VMs. Call once at boot.
pub fn init() {
    // SAFETY: VTCR_EL2 and CPTR_EL2 only affect guests, none runs yet.
    unsafe {
        core::arch::asm!("msr vtcr_el2, {}", in(reg) VTCR_EL2_VALUE, options(nostack));
        core::arch::asm!("msr cptr_el2, {}", in(reg) CPTR_EL2_NO_TRAPS, options(nostack));
    }
    // SAFETY: VPIDR_EL2 is what guests read as MIDR_EL1: the real one.
    unsafe { core::arch::asm!("msr vpidr_el2, {}", in(reg) MIDR_EL1.get(), options(nostack)) };
    VMPIDR_EL2.set(VMPIDR_CORE0);
    // Guests read the virtual counter directly; the physical counter and
    // timer trap, so each VM's view of time is its own (CNTVOFF).
    CNTHCTL_EL2.write(CNTHCTL_EL2::EL1PCTEN::CLEAR + CNTHCTL_EL2::EL1PCEN::CLEAR);
    barrier::isb(barrier::SY);
}
// ANCHOR_END: init

// ANCHOR: hcr
/// HCR_EL2 while a guest runs: stage 2 on (VM), physical interrupts to EL2
/// (IMO, FMO, AMO), WFI/WFE, SMC, ACTLR, implementation-defined registers
/// and set/way cache maintenance trapped, EL1 in AArch64 (RW), and the
/// virtual IRQ/FIQ lines as the VM's interrupt controller says.
pub fn guest_hcr(virtual_irq: bool, virtual_fiq: bool) {
    let mut hcr = HCR_EL2::VM::SET
        + HCR_EL2::SWIO::SET
        + HCR_EL2::FMO::SET
        + HCR_EL2::IMO::SET
        + HCR_EL2::AMO::SET
        + HCR_EL2::TWI::SET
        + HCR_EL2::TWE::SET
        + HCR_EL2::TSC::SET
        + HCR_EL2::TACR::SET
        + HCR_EL2::TIDCP::SET
        + HCR_EL2::TSW::SET
        + HCR_EL2::RW::EL1IsAarch64;
    if virtual_irq {
        hcr += HCR_EL2::VI::SET;
    }
    if virtual_fiq {
        hcr += HCR_EL2::VF::SET;
    }
    HCR_EL2.write(hcr);
}
// ANCHOR_END: hcr

// ANCHOR: build
/// Build a VM's stage-2 tables in `tables` for `ram` bytes at `host_base`
/// and return its VTTBR_EL2 value, tagged with `vmid`.
///
/// # Safety
///
/// Before the VM first runs, and with `tables` used by no VM now: the CPU
/// walks them behind the compiler's back. `[host_base, host_base + ram)`
/// must be RAM that belongs to this VM alone, or it sees what it should not.
pub unsafe fn build(tables: &'static mut Stage2Tables, vmid: u16, host_base: u64, ram: u64) -> u64 {
    let l2_pa = &tables.l2 as *const Table as u64;
    paging::map_guest_ram(&mut tables.l1, &mut tables.l2, l2_pa, host_base, ram);
    barrier::dsb(barrier::ISH);
    ((vmid as u64) << VTTBR_VMID_SHIFT) | (&tables.l1 as *const Table as u64)
}

/// Switch to a VM's stage-2 map (and VMID).
///
/// # Safety
///
/// `vttbr` must come from [`build`], whose tables stay where they are; no
/// guest runs at EL1 until this returns.
pub unsafe fn load(vttbr: u64) {
    // SAFETY: the caller vouches for the tables behind `vttbr`.
    unsafe { core::arch::asm!("msr vttbr_el2, {}", "isb", in(reg) vttbr, options(nostack)) };
}

/// Forget a VM's cached stage-1+2 translations (after its RAM is reloaded).
/// TLBI VMALLS12E1 acts on the VMID in VTTBR_EL2, so this switches to the
/// VM's map for the flush and then back: the VM that was loaded (maybe
/// another one, when the shell resets a VM) keeps running on its own map.
///
/// # Safety
///
/// As for [`load`]: `vttbr` must come from [`build`].
pub unsafe fn flush_vm_tlb(vttbr: u64) {
    let loaded: u64;
    // SAFETY: reading VTTBR_EL2 has no side effect.
    unsafe { core::arch::asm!("mrs {}, vttbr_el2", out(reg) loaded, options(nostack)) };
    // SAFETY: the caller vouches for `vttbr`; `loaded` was in use already
    // (or is 0, before any VM ran, which no guest uses: none runs here).
    unsafe {
        load(vttbr);
        core::arch::asm!("tlbi vmalls12e1", "dsb ish", "isb", options(nostack));
        load(loaded);
    }
}
// ANCHOR_END: build
