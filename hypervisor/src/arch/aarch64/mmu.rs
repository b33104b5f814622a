//! The hypervisor's own MMU (the EL2 stage-1 translation regime).
//!
//! ferrovisor maps the board 1:1: the ARM's RAM as normal cacheable
//! memory, the peripheral windows as device memory, and nothing else (the
//! RAM the firmware keeps for the VideoCore is not mapped). With the MMU on, data and
//! instruction caches can be enabled, and atomic instructions (used by the
//! locks) are allowed on RAM.

use super::paging::{self, MemoryKind, Region, Table};
use crate::board;
use aarch64_cpu::asm::barrier;
use aarch64_cpu::registers::{MAIR_EL2, SCTLR_EL2, TCR_EL2, TTBR0_EL2};
use tock_registers::interfaces::{Readable, Writeable};

/// Virtual addresses are 32 bits wide: 4 GiB, enough for RAM and MMIO.
const VA_BITS: u64 = 32;
/// TCR_EL2 bits 31 and 23 are RES1 (the register crate has no field for them).
const TCR_EL2_RES1: u64 = (1 << 31) | (1 << 23);
/// Level-2 tables: one per GiB up to the local peripherals.
const L2_TABLES: usize = 2;

// ANCHOR: map
/// The physical memory map of the BCM2837 as the hypervisor maps it at
/// first: all of RAM up to the peripherals, until [`end_ram_at`] knows
/// where the ARM's part ends.
const REGIONS: [Region; 3] = [
    Region {
        start: 0,
        end: board::PERIPHERAL_BASE.as_u64(),
        kind: MemoryKind::Normal,
    },
    Region {
        start: board::PERIPHERAL_BASE.as_u64(),
        end: board::PERIPHERAL_END.as_u64(),
        kind: MemoryKind::Device,
    },
    Region {
        start: board::LOCAL_PERIPHERAL_BASE.as_u64(),
        end: board::LOCAL_PERIPHERAL_END.as_u64(),
        kind: MemoryKind::Device,
    },
];
// ANCHOR_END: map

struct Tables {
    l1: Table,
    l2: [Table; L2_TABLES],
}

static mut TABLES: Tables = Tables {
    l1: Table::empty(),
    l2: [Table::empty(), Table::empty()],
};

// ANCHOR: enable
/// Build the tables and turn on the MMU and caches at EL2.
///
/// # Safety
///
/// Call once, on the boot core, before anything else uses the tables; the
/// identity map keeps the running code and stack at the same addresses.
pub unsafe fn enable() {
    // SAFETY: the caller guarantees exclusive access to TABLES.
    let tables = unsafe { &mut *core::ptr::addr_of_mut!(TABLES) };
    paging::map_identity(&mut tables.l1, &mut tables.l2, &REGIONS, |t| {
        t as *const Table as u64
    })
    .expect("the built-in memory map is 2 MiB aligned");

    // SAFETY: the tables are built; the caller vouches for the rest.
    unsafe { turn_on(&tables.l1) };
}
// ANCHOR_END: enable

// ANCHOR: enable_secondary
/// Turn on the MMU and caches at EL2 on a secondary core, over the tables
/// core 0 built: the same registers, the same tables, nothing rebuilt.
///
/// # Safety
///
/// After [`enable`] ran on core 0, on a core whose MMU is still off.
pub unsafe fn enable_secondary() {
    // SAFETY: core 0 built the tables and changes them no more.
    let tables = unsafe { &*core::ptr::addr_of!(TABLES) };
    // SAFETY: as the caller promises.
    unsafe { turn_on(&tables.l1) };
}

/// SCTLR_EL2 bits that are RES1 in ARMv8.0 without VHE: 29, 28, 23, 22,
/// 18, 16, 11, 5 and 4 (the register crate has no fields for them).
const SCTLR_EL2_RES1: u64 = (1 << 29)
    | (1 << 28)
    | (1 << 23)
    | (1 << 22)
    | (1 << 18)
    | (1 << 16)
    | (1 << 11)
    | (1 << 5)
    | (1 << 4);

/// Program this core's EL2 translation registers for the tables at `l1`
/// and switch on translation with both caches.
///
/// # Safety
///
/// `l1` must be the identity map, so the running code and stack stay where
/// they are.
unsafe fn turn_on(l1: &Table) {
    MAIR_EL2.write(
        MAIR_EL2::Attr0_Normal_Outer::WriteBack_NonTransient_ReadWriteAlloc
            + MAIR_EL2::Attr0_Normal_Inner::WriteBack_NonTransient_ReadWriteAlloc
            + MAIR_EL2::Attr1_Device::nonGathering_nonReordering_EarlyWriteAck,
    );
    TCR_EL2.write(
        TCR_EL2::PS::Bits_32
            + TCR_EL2::TG0::KiB_4
            + TCR_EL2::SH0::Inner
            + TCR_EL2::ORGN0::WriteBack_ReadAlloc_WriteAlloc_Cacheable
            + TCR_EL2::IRGN0::WriteBack_ReadAlloc_WriteAlloc_Cacheable
            + TCR_EL2::T0SZ.val(64 - VA_BITS),
    );
    TCR_EL2.set(TCR_EL2.get() | TCR_EL2_RES1);
    TTBR0_EL2.set_baddr(l1 as *const Table as u64);

    // Make the table writes visible to the walker, drop stale TLB entries,
    // then switch on translation with both caches. SCTLR_EL2 is written
    // whole, nothing inherited from the firmware: little-endian (EE = 0),
    // no write-implies-execute-never (WXN = 0), alignment checks off
    // (A = 0), stack alignment checked (SA = 1).
    barrier::dsb(barrier::ISH);
    // SAFETY: invalidating all EL2 TLB entries has no other effect.
    unsafe { core::arch::asm!("tlbi alle2", options(nostack)) };
    barrier::dsb(barrier::ISH);
    barrier::isb(barrier::SY);
    let on = SCTLR_EL2::M::Enable
        + SCTLR_EL2::A::Disable
        + SCTLR_EL2::SA::Enable
        + SCTLR_EL2::C::Cacheable
        + SCTLR_EL2::I::Cacheable;
    SCTLR_EL2.set(SCTLR_EL2_RES1 | on.value);
    barrier::isb(barrier::SY);
}
// ANCHOR_END: enable_secondary

// ANCHOR: end_ram
/// Unmap the RAM above `arm_ram_end` (the end of the ARM's memory, as the
/// firmware's mailbox says), rounded down to a whole 2 MiB block: the rest
/// up to the peripherals is the VideoCore's, and a cacheable mapping of it
/// would let any core fetch from it speculatively, or keep lines of it. The
/// end of what stays mapped; with no answer from the firmware (0) the map
/// is left as it is and 0 returned, so no VM's RAM is taken for the ARM's.
///
/// # Safety
///
/// Once, after [`enable`], before anything uses memory above the ARM's
/// (nothing of the hypervisor lives there).
pub unsafe fn end_ram_at(arm_ram_end: u64) -> u64 {
    if arm_ram_end == 0 {
        return 0;
    }
    let ram = REGIONS[0];
    let end = paging::whole_blocks_below(arm_ram_end, ram.end);
    // SAFETY: the caller guarantees exclusive access to TABLES.
    let tables = unsafe { &mut *core::ptr::addr_of_mut!(TABLES) };
    paging::unmap_blocks(&mut tables.l2, end, ram.end);
    // The walker must see the invalid entries before the TLBs forget the
    // old ones, on every core that may have cached them.
    barrier::dsb(barrier::ISHST);
    // SAFETY: invalidating EL2 TLB entries has no other effect.
    unsafe { core::arch::asm!("tlbi alle2is", options(nostack)) };
    barrier::dsb(barrier::ISH);
    barrier::isb(barrier::SY);
    end
}
// ANCHOR_END: end_ram
