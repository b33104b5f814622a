//! Translation tables for lrtos's address space (the EL1&0 stage-1 regime),
//! built as plain data so they are tested on the host.
//!
//! The map is an identity map (virtual = physical) with a 4 KiB granule
//! and 32-bit virtual addresses: one level-1 table whose entries each cover
//! 1 GiB, level-2 tables of 512 blocks of 2 MiB, and one level-3 table of
//! 512 pages of 4 KiB for the first 2 MiB of RAM. That first block is where
//! `lrtos.bin` lives, kernel and user program together, so it needs
//! page-sized permissions; everything else is mapped with 2 MiB blocks.
//!
//! Field positions follow the Arm ARM (DDI 0487), section D8.3
//! "Translation table descriptor formats", and the access permissions
//! section D8.4 "Memory access control".

/// Entries in one 4 KiB translation table.
pub const ENTRIES: usize = 512;
/// Bytes covered by one level-3 page.
pub const PAGE_SIZE: u64 = 4 << 10;
/// Bytes covered by one level-2 block.
pub const BLOCK_SIZE: u64 = 2 << 20;
/// Bytes covered by one level-1 entry.
pub const L1_SPAN: u64 = 1 << 30;
/// Level-2 tables: one per GiB up to the end of the local peripherals.
pub const L2_TABLES: usize = 2;
/// Addresses below this are mapped with the level-3 table, in pages.
pub const PAGED_END: u64 = BLOCK_SIZE;

/// MAIR_EL1 attribute index of normal, write-back cacheable memory.
pub const MAIR_INDEX_NORMAL: u64 = 0;
/// MAIR_EL1 attribute index of Device-nGnRE memory (MMIO).
pub const MAIR_INDEX_DEVICE: u64 = 1;

// ANCHOR: descriptor_bits
/// Descriptor bit 0: the entry is valid.
const DESC_VALID: u64 = 1 << 0;
/// Descriptor bit 1: at levels 1 and 2 a table (not a block); at level 3
/// it must be set for a page.
const DESC_TABLE_OR_PAGE: u64 = 1 << 1;
/// `AttrIndx[2:0]`, bits `[4:2]`: which MAIR_EL1 attribute applies.
const ATTR_INDEX_SHIFT: u32 = 2;
/// `AP[1]`, bit 6: EL0 may access the memory.
const AP_EL0: u64 = 1 << 6;
/// `AP[2]`, bit 7: the memory is read-only (at every level that may access it).
const AP_READ_ONLY: u64 = 1 << 7;
/// `SH[1:0]`, bits `[9:8]` = 0b11: inner shareable.
const SH_INNER: u64 = 0b11 << 8;
/// `SH[1:0]` = 0b10: outer shareable (what device memory is treated as).
const SH_OUTER: u64 = 0b10 << 8;
/// AF, bit 10: the Access Flag is set, so the first access does not fault.
const AF: u64 = 1 << 10;
/// PXN, bit 53: EL1 may not execute from here.
const PXN: u64 = 1 << 53;
/// UXN, bit 54: EL0 may not execute from here.
const UXN: u64 = 1 << 54;
/// Bits `[47:12]` of a descriptor hold the output (physical) address.
const OUTPUT_ADDRESS_MASK: u64 = 0x0000_ffff_ffff_f000;
// ANCHOR_END: descriptor_bits

/// A 4 KiB-aligned translation table.
#[repr(C, align(4096))]
pub struct Table(pub [u64; ENTRIES]);

impl Table {
    /// A table of invalid entries.
    pub const fn empty() -> Self {
        Self([0; ENTRIES])
    }
}

/// All the tables of lrtos's address space.
#[repr(C)]
pub struct Tables {
    /// Level 1: entry n covers GiB n.
    pub l1: Table,
    /// Level 2: `l2[n]` covers GiB n in 2 MiB blocks.
    pub l2: [Table; L2_TABLES],
    /// Level 3: the first 2 MiB in 4 KiB pages.
    pub l3: Table,
}

impl Tables {
    /// Tables of invalid entries.
    pub const fn empty() -> Self {
        Self {
            l1: Table::empty(),
            l2: [Table::empty(), Table::empty()],
            l3: Table::empty(),
        }
    }
}

// ANCHOR: access
/// Who may do what with a region of memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Kernel code: EL1 reads and executes, EL0 has no access.
    KernelCode,
    /// Kernel constants: EL1 reads.
    KernelReadOnly,
    /// Kernel variables, stack and page tables: EL1 reads and writes.
    KernelData,
    /// User code: EL0 and EL1 read, only EL0 executes.
    UserCode,
    /// User constants: EL0 and EL1 read.
    UserReadOnly,
    /// User variables and stacks: EL0 and EL1 read and write.
    UserData,
    /// Memory-mapped I/O: EL1 only, uncached, never executed.
    Device,
}

impl Access {
    /// The attribute and permission bits of a block or page descriptor.
    ///
    /// Note the rule the layout is built around (Arm ARM D8.4.1.1): memory
    /// that EL0 can write is never executable at EL1, whatever PXN says. So
    /// user data must not share a page with kernel code.
    pub const fn descriptor_bits(self) -> u64 {
        let normal = (MAIR_INDEX_NORMAL << ATTR_INDEX_SHIFT) | SH_INNER;
        match self {
            Access::KernelCode => normal | AP_READ_ONLY | UXN,
            Access::KernelReadOnly => normal | AP_READ_ONLY | PXN | UXN,
            Access::KernelData => normal | PXN | UXN,
            Access::UserCode => normal | AP_EL0 | AP_READ_ONLY | PXN,
            Access::UserReadOnly => normal | AP_EL0 | AP_READ_ONLY | PXN | UXN,
            Access::UserData => normal | AP_EL0 | PXN | UXN,
            Access::Device => (MAIR_INDEX_DEVICE << ATTR_INDEX_SHIFT) | SH_OUTER | PXN | UXN,
        }
    }

    /// Whether a task at EL0 may read this memory.
    pub const fn el0_readable(self) -> bool {
        self.descriptor_bits() & AP_EL0 != 0
    }
}
// ANCHOR_END: access

// ANCHOR: descriptors
/// A level-2 block descriptor mapping 2 MiB at `pa`.
pub const fn block_descriptor(pa: u64, access: Access) -> u64 {
    (pa & OUTPUT_ADDRESS_MASK & !(BLOCK_SIZE - 1)) | access.descriptor_bits() | AF | DESC_VALID
}

/// A level-3 page descriptor mapping 4 KiB at `pa`.
pub const fn page_descriptor(pa: u64, access: Access) -> u64 {
    (pa & OUTPUT_ADDRESS_MASK) | access.descriptor_bits() | AF | DESC_TABLE_OR_PAGE | DESC_VALID
}

/// A descriptor pointing to a next-level table at `pa`.
pub const fn table_descriptor(pa: u64) -> u64 {
    (pa & OUTPUT_ADDRESS_MASK) | DESC_TABLE_OR_PAGE | DESC_VALID
}
// ANCHOR_END: descriptors

/// A physical range and who may access it. Regions are mapped 1:1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Region {
    /// First byte.
    pub start: u64,
    /// One past the last byte.
    pub end: u64,
    /// Its permissions and memory type.
    pub access: Access,
}

/// Errors from [`map`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MapError {
    /// A region is not page aligned, or not 2 MiB aligned above [`PAGED_END`].
    Unaligned(Region),
    /// A region lies beyond what the level-2 tables cover.
    OutOfRange(Region),
    /// Two regions claim the same page or block.
    Overlap(Region),
}

// ANCHOR: map
/// Fill `tables` so each region is mapped 1:1 with its access rights.
/// Memory in no region stays unmapped, so touching it faults: page 0
/// (null pointers), for instance. `table_pa` gives a table's physical
/// address (its own address, with an identity map or with the MMU off).
pub fn map(
    tables: &mut Tables,
    regions: &[Region],
    table_pa: impl Fn(&Table) -> u64,
) -> Result<(), MapError> {
    for region in regions {
        if region.start % PAGE_SIZE != 0 || region.end % PAGE_SIZE != 0 {
            return Err(MapError::Unaligned(*region));
        }
        if region.end > L2_TABLES as u64 * L1_SPAN {
            return Err(MapError::OutOfRange(*region));
        }
        let mut pa = region.start;
        while pa < region.end {
            let (entry, descriptor, size) = if pa < PAGED_END {
                let index = (pa / PAGE_SIZE) as usize;
                let entry = &mut tables.l3.0[index];
                (entry, page_descriptor(pa, region.access), PAGE_SIZE)
            } else {
                if pa % BLOCK_SIZE != 0 || region.end - pa < BLOCK_SIZE {
                    return Err(MapError::Unaligned(*region));
                }
                let gib = (pa / L1_SPAN) as usize;
                let index = ((pa % L1_SPAN) / BLOCK_SIZE) as usize;
                let entry = &mut tables.l2[gib].0[index];
                (entry, block_descriptor(pa, region.access), BLOCK_SIZE)
            };
            if *entry != 0 {
                return Err(MapError::Overlap(*region));
            }
            *entry = descriptor;
            pa += size;
        }
    }
    tables.l2[0].0[0] = table_descriptor(table_pa(&tables.l3));
    for gib in 0..L2_TABLES {
        tables.l1.0[gib] = table_descriptor(table_pa(&tables.l2[gib]));
    }
    Ok(())
}
// ANCHOR_END: map

// ANCHOR: user_readable
/// Whether every byte of `[addr, addr + len)` lies in regions that EL0 may
/// read. The kernel asks this before it touches a buffer a task passed to
/// a system call: a task must not get the kernel to read memory that the
/// task itself could not read.
pub fn user_readable(regions: &[Region], addr: u64, len: u64) -> bool {
    let Some(end) = addr.checked_add(len) else {
        return false;
    };
    let mut at = addr;
    while at < end {
        let Some(region) = regions
            .iter()
            .find(|r| r.access.el0_readable() && r.start <= at && at < r.end)
        else {
            return false;
        };
        at = region.end;
    }
    true
}
// ANCHOR_END: user_readable

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::boxed::Box;

    fn pa(t: &Table) -> u64 {
        t as *const Table as u64
    }

    const AP_MASK: u64 = AP_EL0 | AP_READ_ONLY;

    #[test]
    fn kernel_code_is_executable_only_by_el1() {
        let d = page_descriptor(0x8_0000, Access::KernelCode);
        assert_eq!(d & 0b11, 0b11, "valid page");
        assert_eq!(d & AP_MASK, AP_READ_ONLY, "AP = 0b10: EL1 read-only");
        assert_eq!(d & PXN, 0);
        assert_ne!(d & UXN, 0);
        assert_ne!(d & AF, 0);
        assert_eq!(d & OUTPUT_ADDRESS_MASK, 0x8_0000);
    }

    #[test]
    fn user_code_is_executable_only_by_el0() {
        let d = page_descriptor(0x9_0000, Access::UserCode);
        assert_eq!(d & AP_MASK, AP_EL0 | AP_READ_ONLY, "AP = 0b11");
        assert_ne!(d & PXN, 0);
        assert_eq!(d & UXN, 0);
    }

    #[test]
    fn writable_memory_is_never_executable() {
        for access in [Access::KernelData, Access::UserData, Access::Device] {
            let d = access.descriptor_bits();
            assert_eq!(d & AP_READ_ONLY, 0, "{access:?} is writable");
            assert_ne!(d & PXN, 0, "{access:?}");
            assert_ne!(d & UXN, 0, "{access:?}");
        }
    }

    #[test]
    fn only_user_memory_is_readable_at_el0() {
        assert!(Access::UserCode.el0_readable());
        assert!(Access::UserReadOnly.el0_readable());
        assert!(Access::UserData.el0_readable());
        assert!(!Access::KernelCode.el0_readable());
        assert!(!Access::KernelReadOnly.el0_readable());
        assert!(!Access::KernelData.el0_readable());
        assert!(!Access::Device.el0_readable());
    }

    #[test]
    fn device_blocks_use_the_device_attribute() {
        let d = block_descriptor(0x3f00_0000, Access::Device);
        assert_eq!(d & 0b11, 0b01, "valid block");
        assert_eq!((d >> ATTR_INDEX_SHIFT) & 0b111, MAIR_INDEX_DEVICE);
        let n = block_descriptor(0x20_0000, Access::KernelData);
        assert_eq!((n >> ATTR_INDEX_SHIFT) & 0b111, MAIR_INDEX_NORMAL);
        assert_eq!(n & OUTPUT_ADDRESS_MASK, 0x20_0000);
    }

    fn layout() -> [Region; 6] {
        [
            Region {
                start: 0x8_0000,
                end: 0x8_4000,
                access: Access::KernelCode,
            },
            Region {
                start: 0x8_4000,
                end: 0x8_5000,
                access: Access::UserCode,
            },
            Region {
                start: 0x8_5000,
                end: 0x8_8000,
                access: Access::UserData,
            },
            Region {
                start: 0x8_8000,
                end: 0x9_8000,
                access: Access::KernelData,
            },
            Region {
                start: PAGED_END,
                end: 32 << 20,
                access: Access::KernelData,
            },
            Region {
                start: 0x3f00_0000,
                end: 0x4020_0000,
                access: Access::Device,
            },
        ]
    }

    #[test]
    fn maps_pages_then_blocks() {
        let mut t = Box::new(Tables::empty());
        map(&mut t, &layout(), pa).unwrap();

        assert_eq!(t.l1.0[0], table_descriptor(pa(&t.l2[0])));
        assert_eq!(t.l1.0[1], table_descriptor(pa(&t.l2[1])));
        assert_eq!(t.l1.0[2], 0, "nothing above 2 GiB");
        assert_eq!(t.l2[0].0[0], table_descriptor(pa(&t.l3)));

        assert_eq!(t.l3.0[0], 0, "page 0 stays unmapped");
        assert_eq!(t.l3.0[0x7f], 0, "below the image");
        assert_eq!(t.l3.0[0x80], page_descriptor(0x8_0000, Access::KernelCode));
        assert_eq!(t.l3.0[0x84], page_descriptor(0x8_4000, Access::UserCode));
        assert_eq!(t.l3.0[0x87], page_descriptor(0x8_7000, Access::UserData));
        assert_eq!(t.l3.0[0x97], page_descriptor(0x9_7000, Access::KernelData));
        assert_eq!(t.l3.0[0x98], 0, "after the image");

        assert_eq!(
            t.l2[0].0[1],
            block_descriptor(PAGED_END, Access::KernelData)
        );
        assert_eq!(
            t.l2[0].0[15],
            block_descriptor(30 << 20, Access::KernelData)
        );
        assert_eq!(t.l2[0].0[16], 0, "RAM above 32 MiB is not mapped");
        assert_eq!(
            t.l2[0].0[504],
            block_descriptor(0x3f00_0000, Access::Device)
        );
        assert_eq!(t.l2[1].0[0], block_descriptor(0x4000_0000, Access::Device));
        assert_eq!(t.l2[1].0[1], 0);
    }

    #[test]
    fn refuses_bad_regions() {
        let mut t = Box::new(Tables::empty());
        let odd = Region {
            start: 0x8_0100,
            end: 0x8_1000,
            access: Access::KernelCode,
        };
        assert_eq!(map(&mut t, &[odd], pa), Err(MapError::Unaligned(odd)));

        let half_block = Region {
            start: PAGED_END,
            end: PAGED_END + PAGE_SIZE,
            access: Access::KernelData,
        };
        assert_eq!(
            map(&mut t, &[half_block], pa),
            Err(MapError::Unaligned(half_block))
        );

        let far = Region {
            start: 2 * L1_SPAN,
            end: 2 * L1_SPAN + BLOCK_SIZE,
            access: Access::Device,
        };
        assert_eq!(map(&mut t, &[far], pa), Err(MapError::OutOfRange(far)));

        let mut t = Box::new(Tables::empty());
        let a = Region {
            start: 0x8_0000,
            end: 0x8_2000,
            access: Access::KernelCode,
        };
        let b = Region {
            start: 0x8_1000,
            end: 0x8_3000,
            access: Access::UserData,
        };
        assert_eq!(map(&mut t, &[a, b], pa), Err(MapError::Overlap(b)));
    }

    #[test]
    fn checks_user_buffers() {
        let regions = layout();
        // Inside user code, across the user code / user data boundary, and
        // up to the last user byte.
        assert!(user_readable(&regions, 0x8_4000, 16));
        assert!(user_readable(&regions, 0x8_4ff0, 0x20));
        assert!(user_readable(&regions, 0x8_7ff0, 0x10));
        // Kernel memory, unmapped memory, devices.
        assert!(!user_readable(&regions, 0x8_0000, 1));
        assert!(!user_readable(&regions, 0x8_7ff0, 0x11));
        assert!(!user_readable(&regions, 0, 8));
        assert!(!user_readable(&regions, 0x3f21_5040, 4));
        // Wrapping around the address space.
        assert!(!user_readable(&regions, u64::MAX - 1, 4));
        // Nothing to read is always fine.
        assert!(user_readable(&regions, 0x8_0000, 0));
    }
}
