//! Translation-table descriptors for the hypervisor's own (EL2, stage-1)
//! address space, built as plain data so they are tested on the host.
//!
//! The hypervisor maps the board 1:1 (virtual = physical) with 2 MiB blocks
//! and a 4 KiB granule: a level-1 table whose entries each cover 1 GiB point
//! to level-2 tables of 512 blocks of 2 MiB. Field positions follow the Arm
//! ARM (DDI 0487) section D8.3, "Translation table descriptor formats".

/// Entries in one 4 KiB translation table.
pub const ENTRIES: usize = 512;
/// Bytes covered by one level-2 block.
pub const L2_BLOCK: u64 = 2 << 20;
/// Bytes covered by one level-1 entry.
pub const L1_SPAN: u64 = 1 << 30;

/// MAIR_EL2 attribute index of normal, write-back cacheable memory.
pub const MAIR_INDEX_NORMAL: u64 = 0;
/// MAIR_EL2 attribute index of Device-nGnRE memory (MMIO).
pub const MAIR_INDEX_DEVICE: u64 = 1;

const DESC_VALID: u64 = 1 << 0;
const DESC_TABLE: u64 = 1 << 1;
const ATTR_INDEX_SHIFT: u32 = 2;
/// AP[1]: RES1 in a translation regime with a single privilege level.
const AP_RES1: u64 = 1 << 6;
const SH_INNER: u64 = 0b11 << 8;
const SH_OUTER: u64 = 0b10 << 8;
/// Access Flag: set, so the first access does not fault.
const AF: u64 = 1 << 10;
/// Execute-never for the EL2 regime.
const XN: u64 = 1 << 54;
const OUTPUT_ADDRESS_MASK: u64 = 0x0000_ffff_ffff_f000;

/// A 4 KiB-aligned translation table.
#[repr(C, align(4096))]
pub struct Table(pub [u64; ENTRIES]);

impl Table {
    /// A table of invalid entries.
    pub const fn empty() -> Self {
        Self([0; ENTRIES])
    }
}

/// How a region of the address space behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemoryKind {
    /// RAM: cacheable, executable.
    Normal,
    /// Memory-mapped I/O: uncached, never executed.
    Device,
}

/// A physical range and its kind, in whole 2 MiB blocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Region {
    /// First byte.
    pub start: u64,
    /// One past the last byte.
    pub end: u64,
    /// How it is mapped.
    pub kind: MemoryKind,
}

// ANCHOR: block
/// A level-2 block descriptor mapping 2 MiB at `pa`.
pub fn block_descriptor(pa: u64, kind: MemoryKind) -> u64 {
    let attrs = match kind {
        MemoryKind::Normal => (MAIR_INDEX_NORMAL << ATTR_INDEX_SHIFT) | SH_INNER,
        MemoryKind::Device => (MAIR_INDEX_DEVICE << ATTR_INDEX_SHIFT) | SH_OUTER | XN,
    };
    (pa & OUTPUT_ADDRESS_MASK & !(L2_BLOCK - 1)) | attrs | AF | AP_RES1 | DESC_VALID
}

/// A descriptor pointing to a next-level table at `pa`.
pub fn table_descriptor(pa: u64) -> u64 {
    (pa & OUTPUT_ADDRESS_MASK) | DESC_TABLE | DESC_VALID
}
// ANCHOR_END: block

// ANCHOR: stage2
/// Stage-2 MemAttr[5:2] for normal memory, outer and inner write-back: the
/// guest's own stage-1 attributes then decide (the stricter one wins).
const S2_MEMATTR_NORMAL_WB: u64 = 0b1111 << 2;
/// Stage-2 S2AP[7:6]: the guest may read and write.
const S2AP_READ_WRITE: u64 = 0b11 << 6;

/// A stage-2 level-2 block descriptor: 2 MiB of guest RAM at host
/// physical address `pa`, readable, writable and executable by the guest.
pub fn stage2_block_descriptor(pa: u64) -> u64 {
    (pa & OUTPUT_ADDRESS_MASK & !(L2_BLOCK - 1))
        | S2_MEMATTR_NORMAL_WB
        | S2AP_READ_WRITE
        | SH_INNER
        | AF
        | DESC_VALID
}

/// Bytes of a level-3 page.
pub const PAGE_BYTES: u64 = 4096;
/// Descriptor bits 1:0 of a level-3 page (the same pattern as a table).
const DESC_PAGE: u64 = DESC_VALID | DESC_TABLE;
/// Stage-2 MemAttr[5:2] for Device-nGnRE memory: whatever the guest's
/// stage 1 says, its accesses stay device accesses (uncached, in order).
const S2_MEMATTR_DEVICE_NGNRE: u64 = 0b0001 << 2;
/// Stage-2 S2AP[7:6]: the guest may read, a write faults.
const S2AP_READ_ONLY: u64 = 0b01 << 6;
/// Stage-2 XN (bit 54): the guest may not execute from it.
const S2_XN: u64 = 1 << 54;

/// A stage-2 level-3 page descriptor: 4 KiB at host physical `pa` that
/// the guest may read as Device-nGnRE memory, and not write or execute.
/// The console's shadow page (`stage2::ConsoleShadow`) is mapped so.
pub fn stage2_read_only_device_page(pa: u64) -> u64 {
    (pa & OUTPUT_ADDRESS_MASK) | S2_MEMATTR_DEVICE_NGNRE | S2AP_READ_ONLY | AF | S2_XN | DESC_PAGE
}

/// Fill a VM's stage-2 tables: IPA `0..ram` maps to host physical
/// `host_base..host_base + ram`; everything else (including the peripheral
/// windows, which are emulated) stays invalid, so any access to it traps.
pub fn map_guest_ram(l1: &mut Table, l2: &mut Table, l2_pa: u64, host_base: u64, ram: u64) {
    l1.0.fill(0);
    l2.0.fill(0);
    let blocks = (ram.min(L1_SPAN) / L2_BLOCK) as usize;
    for (i, entry) in l2.0.iter_mut().take(blocks).enumerate() {
        *entry = stage2_block_descriptor(host_base + i as u64 * L2_BLOCK);
    }
    l1.0[0] = table_descriptor(l2_pa);
}
// ANCHOR_END: stage2

/// Errors from [`map_identity`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MapError {
    /// A region does not start and end on a 2 MiB boundary.
    Unaligned(Region),
    /// A region lies beyond what the level-2 tables given cover.
    OutOfRange(Region),
}

// ANCHOR: identity
/// Fill `l1` and `l2` so each region is mapped 1:1. `l2[i]` covers the
/// `i`-th GiB; `table_pa` gives a table's physical address (its own address
/// when the caller runs with an identity map or with the MMU off).
pub fn map_identity(
    l1: &mut Table,
    l2: &mut [Table],
    regions: &[Region],
    table_pa: impl Fn(&Table) -> u64,
) -> Result<(), MapError> {
    for region in regions {
        if !region.start.is_multiple_of(L2_BLOCK) || !region.end.is_multiple_of(L2_BLOCK) {
            return Err(MapError::Unaligned(*region));
        }
        if region.end > l2.len() as u64 * L1_SPAN {
            return Err(MapError::OutOfRange(*region));
        }
        let mut pa = region.start;
        while pa < region.end {
            let gib = (pa / L1_SPAN) as usize;
            let index = ((pa % L1_SPAN) / L2_BLOCK) as usize;
            l2[gib].0[index] = block_descriptor(pa, region.kind);
            pa += L2_BLOCK;
        }
    }
    for (gib, table) in l2.iter().enumerate() {
        l1.0[gib] = table_descriptor(table_pa(table));
    }
    Ok(())
}
// ANCHOR_END: identity

// ANCHOR: unmap
/// Where a 1:1 map of RAM that ends at `ram_end` stops, with 2 MiB blocks:
/// the last whole block below it (a block reaching past `ram_end` would map
/// memory that is not the ARM's). At most `limit`, where the map ended.
pub fn whole_blocks_below(ram_end: u64, limit: u64) -> u64 {
    ram_end.min(limit) & !(L2_BLOCK - 1)
}

/// Make the blocks of `[start, end)` in the level-2 tables `l2` (one per
/// GiB, as [`map_identity`] fills them) invalid: nothing may be accessed
/// there, not even speculatively. Both ends must be 2 MiB aligned.
pub fn unmap_blocks(l2: &mut [Table], start: u64, end: u64) {
    let mut pa = start;
    while pa < end {
        let gib = (pa / L1_SPAN) as usize;
        let index = ((pa % L1_SPAN) / L2_BLOCK) as usize;
        l2[gib].0[index] = 0;
        pa += L2_BLOCK;
    }
}
// ANCHOR_END: unmap

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::boxed::Box;
    use std::vec::Vec;

    fn tables(n: usize) -> (Box<Table>, Vec<Table>) {
        (
            Box::new(Table::empty()),
            (0..n).map(|_| Table::empty()).collect(),
        )
    }

    #[test]
    fn normal_block_is_cacheable_and_executable() {
        let d = block_descriptor(0x20_0000, MemoryKind::Normal);
        assert_eq!(d & 0b11, 0b01, "valid block");
        assert_eq!((d >> 2) & 0b111, MAIR_INDEX_NORMAL);
        assert_eq!(d & XN, 0);
        assert_ne!(d & AF, 0);
        assert_eq!(d & OUTPUT_ADDRESS_MASK, 0x20_0000);
    }

    #[test]
    fn device_block_is_never_executed() {
        let d = block_descriptor(0x3f00_0000, MemoryKind::Device);
        assert_eq!((d >> 2) & 0b111, MAIR_INDEX_DEVICE);
        assert_ne!(d & XN, 0);
    }

    #[test]
    fn maps_the_raspi3_layout() {
        let (mut l1, mut l2) = tables(2);
        let regions = [
            Region {
                start: 0,
                end: 0x3f00_0000,
                kind: MemoryKind::Normal,
            },
            Region {
                start: 0x3f00_0000,
                end: 0x4000_0000,
                kind: MemoryKind::Device,
            },
            Region {
                start: 0x4000_0000,
                end: 0x4020_0000,
                kind: MemoryKind::Device,
            },
        ];
        map_identity(&mut l1, &mut l2, &regions, |t| t as *const Table as u64).unwrap();
        assert_eq!(l1.0[0] & 0b11, 0b11, "level-1 entry 0 is a table");
        assert_eq!(l1.0[0] & OUTPUT_ADDRESS_MASK, &l2[0] as *const Table as u64);
        assert_eq!(l1.0[2], 0, "nothing above 2 GiB");
        assert_eq!(l2[0].0[0], block_descriptor(0, MemoryKind::Normal));
        assert_eq!(
            l2[0].0[503],
            block_descriptor(503 * L2_BLOCK, MemoryKind::Normal)
        );
        assert_eq!(
            l2[0].0[504],
            block_descriptor(0x3f00_0000, MemoryKind::Device)
        );
        assert_eq!(
            l2[1].0[0],
            block_descriptor(0x4000_0000, MemoryKind::Device)
        );
        assert_eq!(l2[1].0[1], 0, "the local peripherals take one block");
    }

    #[test]
    fn the_map_ends_with_the_arm_ram() {
        let (mut l1, mut l2) = tables(2);
        let ram = Region {
            start: 0,
            end: 0x3f00_0000,
            kind: MemoryKind::Normal,
        };
        map_identity(&mut l1, &mut l2, &[ram], |t| t as *const Table as u64).unwrap();
        // QEMU's 1 GiB raspi3b gives the ARM 0x3C00_0000 (64 MiB to the
        // VideoCore); a firmware split that is not a whole block rounds down.
        let end = whole_blocks_below(0x3c00_0000, ram.end);
        assert_eq!(end, 0x3c00_0000);
        assert_eq!(whole_blocks_below(0x3b4f_f000, ram.end), 0x3b40_0000);
        assert_eq!(whole_blocks_below(0x4000_0000, ram.end), ram.end);
        unmap_blocks(&mut l2, end, ram.end);
        assert_eq!(
            l2[0].0[479],
            block_descriptor(479 * L2_BLOCK, MemoryKind::Normal),
            "the last ARM block stays"
        );
        assert!(l2[0].0[480..504].iter().all(|&d| d == 0), "the VideoCore's");
        assert_eq!(l2[0].0[504], 0, "nothing was mapped there");
    }

    #[test]
    fn stage2_maps_exactly_the_vm_ram() {
        let (mut l1, mut l2) = tables(1);
        map_guest_ram(&mut l1, &mut l2[0], 0x5000, 0x1000_0000, 16 << 20);
        assert_eq!(l1.0[0], 0x5000 | 0b11);
        assert_eq!(l1.0[1], 0, "nothing above 1 GiB");
        for i in 0..8 {
            let d = l2[0].0[i];
            assert_eq!(d & OUTPUT_ADDRESS_MASK, 0x1000_0000 + i as u64 * L2_BLOCK);
            assert_eq!(d & 0b11, 0b01);
            assert_eq!((d >> 6) & 0b11, 0b11, "read/write");
        }
        assert_eq!(l2[0].0[8], 0, "IPA 16 MiB and up is not RAM");
        assert_eq!(l2[0].0[504], 0, "the peripheral window traps");
    }

    #[test]
    fn refuses_bad_regions() {
        let (mut l1, mut l2) = tables(1);
        let odd = Region {
            start: 0x1000,
            end: L2_BLOCK,
            kind: MemoryKind::Normal,
        };
        assert_eq!(
            map_identity(&mut l1, &mut l2, &[odd], |_| 0),
            Err(MapError::Unaligned(odd))
        );
        let far = Region {
            start: L1_SPAN,
            end: L1_SPAN + L2_BLOCK,
            kind: MemoryKind::Device,
        };
        assert_eq!(
            map_identity(&mut l1, &mut l2, &[far], |_| 0),
            Err(MapError::OutOfRange(far))
        );
    }
}
