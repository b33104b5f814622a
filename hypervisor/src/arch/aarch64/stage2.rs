//! Stage-2 translation and the EL2 controls that make a VM: VTCR_EL2 and
//! VTTBR_EL2 (the guest-physical to host-physical map), and the trap and
//! routing bits of HCR_EL2, CPTR_EL2 and CNTHCTL_EL2.

use super::paging::{self, Table, L1_SPAN, L2_BLOCK, PAGE_BYTES};
use crate::board::AUX_BASE;
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
/// (2 MiB blocks), a level-3 table for the 2 MiB of peripherals that hold
/// the mini UART, and the VM's console shadow page. The caller keeps them,
/// one set per VM, where they never move while the VM exists.
pub struct Stage2Tables {
    l1: Table,
    l2: Table,
    l3: Table,
    shadow: ShadowPage,
}

/// What a VM reads from its mini UART's page while nothing there has a
/// read side effect: kept by the hypervisor equal to what the emulated
/// registers would answer, and mapped read-only in the page's place, so a
/// status read costs the guest no trap (`vm::machine` decides when).
#[repr(C, align(4096))]
pub struct ShadowPage([u32; SHADOW_PAGE_WORDS]);

/// 32-bit words in a 4 KiB page.
pub const SHADOW_PAGE_WORDS: usize = (PAGE_BYTES / 4) as usize;
/// The guest-physical page the shadow stands in for: the AUX block's.
pub const SHADOW_IPA: u64 = AUX_BASE.as_u64();
/// The level-2 entry of the 2 MiB that holds it.
const SHADOW_L2_INDEX: usize = (SHADOW_IPA % L1_SPAN / L2_BLOCK) as usize;
/// Its entry in that level-3 table.
const SHADOW_L3_INDEX: usize = (SHADOW_IPA % L2_BLOCK / PAGE_BYTES) as usize;
/// Where TLBI IPAS2E1 wants the IPA: bits 35:0 are IPA[47:12].
const TLBI_IPA_SHIFT: u32 = 12;

impl Stage2Tables {
    /// Empty tables.
    pub const fn new() -> Self {
        Self {
            l1: Table::empty(),
            l2: Table::empty(),
            l3: Table::empty(),
            shadow: ShadowPage([0; SHADOW_PAGE_WORDS]),
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
/// Set this core's EL2 controls shared by all VMs. Call once at boot on
/// every core (`kernel::smp::init_core`).
pub fn init() {
    // SAFETY: VTCR_EL2 and CPTR_EL2 only affect guests, none runs yet.
    unsafe {
        core::arch::asm!("msr vtcr_el2, {}", in(reg) VTCR_EL2_VALUE, options(nostack));
        core::arch::asm!("msr cptr_el2, {}", in(reg) CPTR_EL2_NO_TRAPS, options(nostack));
    }
    // SAFETY: VPIDR_EL2 is what guests read as MIDR_EL1: the real one.
    unsafe { core::arch::asm!("msr vpidr_el2, {}", in(reg) MIDR_EL1.get(), options(nostack)) };
    VMPIDR_EL2.set(VMPIDR_CORE0);
    // SAFETY: HSTR_EL2 = 0 traps no AArch32 CP15 access (its reset value
    // is UNKNOWN: a Linux guest's AArch32 EL0 could trap and halt the VM);
    // CNTVOFF_EL2 starts at 0 until a VM's own is loaded.
    unsafe {
        core::arch::asm!(
            "msr hstr_el2, xzr",
            "msr cntvoff_el2, xzr",
            options(nostack)
        );
    }
    // Guests read the virtual counter directly; the physical counter and
    // timer trap, so each VM's view of time is its own (CNTVOFF).
    CNTHCTL_EL2.write(CNTHCTL_EL2::EL1PCTEN::CLEAR + CNTHCTL_EL2::EL1PCEN::CLEAR);
    barrier::isb(barrier::SY);
}
// ANCHOR_END: init

// ANCHOR: hcr
/// HCR_EL2 while a guest runs: stage 2 on (VM), physical interrupts to EL2
/// (IMO, FMO, AMO), WFI/WFE, SMC, ACTLR, implementation-defined registers
/// and set/way cache maintenance trapped, EL1 in AArch64 (RW), the
/// virtual IRQ/FIQ lines as the VM's interrupt controller says, and writes
/// to the virtual memory controls trapped (TVM) while `vm::coherence`
/// watches for the guest turning its caches on or off.
pub fn guest_hcr(virtual_irq: bool, virtual_fiq: bool, watch_vm_controls: bool) {
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
    if watch_vm_controls {
        hcr += HCR_EL2::TVM::SET;
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
    // The peripherals' 2 MiB around the mini UART go through a level-3
    // table whose entries all trap, until the shadow is mapped. (RAM ends
    // below the peripherals: `VirtualBoard::claims` keeps them apart.)
    tables.l3.0.fill(0);
    tables.l2.0[SHADOW_L2_INDEX] = paging::table_descriptor(&tables.l3 as *const Table as u64);
    barrier::dsb(barrier::ISH);
    ((vmid as u64) << VTTBR_VMID_SHIFT) | (&tables.l1 as *const Table as u64)
}

// ANCHOR: shadow
/// Fill the shadow page's first `words.len()` words (the rest stay 0, as
/// the unused part of the AUX page reads) and write them to RAM: the
/// guest reads the page as device memory, which does not look in the
/// cache the hypervisor wrote through.
pub fn write_shadow(tables: &mut Stage2Tables, words: &[u32]) {
    tables.shadow.0[..words.len()].copy_from_slice(words);
    let start = tables.shadow.0.as_ptr() as usize;
    super::cpu::clean_dcache_range(start, core::mem::size_of_val(words));
}

/// Map the shadow page read-only in place of the mini UART's page, or take
/// it away so that every access to the page traps again.
///
/// Taking it away must also take it out of the TLB: TLBI IPAS2E1IS drops
/// the stage-2 entry, TLBI VMALLE1IS the combined stage-1+2 entries built
/// on it, both for the VMID in VTTBR_EL2, in every core's TLB of the
/// inner-shareable domain: a VM with several vCPUs runs on several cores,
/// and each may hold them (DSB ISH waits for all). Mapping it needs no
/// TLBI: an invalid entry is never cached.
///
/// # Safety
///
/// The VM whose tables these are must be the one loaded (its VTTBR_EL2),
/// and not running.
pub unsafe fn map_shadow(tables: &mut Stage2Tables, mapped: bool) {
    let entry = &mut tables.l3.0[SHADOW_L3_INDEX];
    if mapped {
        *entry = paging::stage2_read_only_device_page(tables.shadow.0.as_ptr() as u64);
        // SAFETY: barriers only; the walker sees the entry from here on.
        unsafe { core::arch::asm!("dsb ishst", "isb", options(nostack)) };
    } else {
        *entry = 0;
        // SAFETY: TLB maintenance for the loaded VMID, as the caller
        // promises; it only makes the next access walk the tables again.
        unsafe {
            core::arch::asm!(
                "dsb ishst",
                "tlbi ipas2e1is, {ipa}",
                "dsb ish",
                "tlbi vmalle1is",
                "dsb ish",
                "isb",
                ipa = in(reg) SHADOW_IPA >> TLBI_IPA_SHIFT,
                options(nostack)
            )
        };
    }
}
// ANCHOR_END: shadow

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

/// Forget a VM's cached stage-1+2 translations (after its RAM is reloaded),
/// in the TLB of every core of the inner-shareable domain: the VM may have
/// run on another core than the one resetting it.
/// TLBI VMALLS12E1IS acts on the VMID in VTTBR_EL2, so this switches to the
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
        core::arch::asm!("tlbi vmalls12e1is", "dsb ish", "isb", options(nostack));
        load(loaded);
    }
}
// ANCHOR_END: build
