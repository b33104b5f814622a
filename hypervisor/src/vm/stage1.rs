//! A software walk of a guest's own stage-1 translation tables: from a
//! virtual address of its EL1&0 regime to the intermediate physical address
//! (IPA) stage 2 then maps, with the attributes the guest gave that memory
//! (its type from MAIR_EL1, its access permissions), or the fault a
//! Cortex-A53 would take.
//!
//! The hypervisor needs it wherever it must see the guest's memory as the
//! guest does while the guest is not running on this core: fetching the
//! instruction of an MMIO access the syndrome cannot describe
//! (`vm::emulate`), and a debugger reading at a virtual address. `AT S1E1R`
//! would do it in hardware, but only where that vCPU's EL1 state is loaded,
//! and it overwrites the guest's PAR_EL1.
//!
//! The walk covers what the guests here use: the 4 KiB granule (Linux and
//! lrtos both), starting at level 0, 1 or 2 as TCR_EL1.T0SZ/T1SZ give,
//! table, block (level 1 and 2) and page descriptors, the hierarchical
//! APTable bits, and an MMU that is off (the address is the IPA, and data
//! accesses are to Device-nGnRnE memory, Arm ARM D8.2.11). A 16 or 64 KiB
//! granule is reported as a walk the hypervisor cannot do. Everything here
//! is pure logic over a [`GuestPhysical`] reader, tested on the host.

/// What the walk reads the guest's tables through: its physical memory.
pub trait GuestPhysical {
    /// The 64-bit little-endian word at IPA `ipa` (8-byte aligned), or
    /// `None` if that is not the guest's RAM.
    fn read_u64(&self, ipa: u64) -> Option<u64>;
}

// ANCHOR: regime
/// The EL1 system registers that say how a guest translates: a copy, taken
/// from the live registers or the vCPU's saved state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Regime {
    /// SCTLR_EL1: M (the MMU), A (alignment checks).
    pub sctlr: u64,
    /// TCR_EL1: the sizes and granules of the two address ranges.
    pub tcr: u64,
    /// TTBR0_EL1: the lower range's table (bits 47:1) and ASID.
    pub ttbr0: u64,
    /// TTBR1_EL1: the upper range's table.
    pub ttbr1: u64,
    /// MAIR_EL1: the eight memory attributes descriptors index.
    pub mair: u64,
}
// ANCHOR_END: regime

/// SCTLR_EL1.M: the stage-1 MMU is on.
const SCTLR_M: u64 = 1 << 0;
/// SCTLR_EL1.A: alignment fault checking for every data access.
const SCTLR_A: u64 = 1 << 1;

/// TCR_EL1 fields (Arm ARM D17.2.131).
const TCR_T0SZ_SHIFT: u32 = 0;
const TCR_EPD0: u64 = 1 << 7;
const TCR_TG0_SHIFT: u32 = 14;
const TCR_T1SZ_SHIFT: u32 = 16;
const TCR_EPD1: u64 = 1 << 23;
const TCR_TG1_SHIFT: u32 = 30;
const TCR_IPS_SHIFT: u32 = 32;
const TCR_TBI0: u64 = 1 << 37;
const TCR_TBI1: u64 = 1 << 38;
const TCR_TXSZ_MASK: u64 = 0x3f;
const TCR_TG_MASK: u64 = 0b11;
const TCR_IPS_MASK: u64 = 0b111;
/// TG0 = 0b00 and TG1 = 0b10 select the 4 KiB granule.
const TG0_4K: u64 = 0b00;
const TG1_4K: u64 = 0b10;
/// The smallest and largest TxSZ with the 4 KiB granule (ARMv8.0): 48-bit
/// and 25-bit ranges. Values outside are treated as the nearest limit, one
/// of the behaviours the architecture allows.
const TXSZ_MIN: u64 = 16;
const TXSZ_MAX: u64 = 39;
/// The Cortex-A53's physical address size: 40 bits (ID_AA64MMFR0_EL1.PARange
/// = 0b0010). TCR_EL1.IPS encodings 0-2 give 32, 36 and 40 bits; larger
/// ones are capped at the implemented size.
const PA_BITS_BY_IPS: [u32; 3] = [32, 36, 40];
const A53_PA_BITS: u32 = 40;
/// With the top byte ignored (TBI), bit 55 selects the range and bits 63:56
/// do not count.
const TBI_TOP_BIT: u32 = 55;

/// The 4 KiB granule: 12 offset bits, 9 bits of index per level, 8-byte
/// descriptors, levels 0 to 3.
const PAGE_SHIFT: u32 = 12;
const BITS_PER_LEVEL: u32 = 9;
const DESCRIPTOR_BYTES: u64 = 8;
const LAST_LEVEL: u8 = 3;
/// A table's or an output address's bits: 47:12 of a descriptor, 47:1 of
/// a TTBR (BADDR).
const ADDRESS_MASK: u64 = 0x0000_ffff_ffff_f000;
const TTBR_BADDR_MASK: u64 = 0x0000_ffff_ffff_fffe;

/// Descriptor bits (Arm ARM D8.3): valid, table/page (bit 1), the lower
/// attributes of a block or page, and the table attributes.
const DESC_VALID: u64 = 1 << 0;
const DESC_TABLE_OR_PAGE: u64 = 1 << 1;
const ATTR_INDX_SHIFT: u32 = 2;
const ATTR_INDX_MASK: u64 = 0b111;
/// AP[1]: EL0 may access. AP[2]: read-only.
const AP_EL0: u64 = 1 << 6;
const AP_READ_ONLY: u64 = 1 << 7;
const ACCESS_FLAG: u64 = 1 << 10;
const PXN: u64 = 1 << 53;
const UXN: u64 = 1 << 54;
/// APTable[0]: no EL0 access below. APTable[1]: no writes below.
const AP_TABLE_NO_EL0: u64 = 1 << 61;
const AP_TABLE_READ_ONLY: u64 = 1 << 62;
const PXN_TABLE: u64 = 1 << 59;
const UXN_TABLE: u64 = 1 << 60;
/// Levels at which a 4 KiB-granule block descriptor is allowed: 1 (1 GiB)
/// and 2 (2 MiB).
const FIRST_BLOCK_LEVEL: u8 = 1;

/// MAIR_EL1: one 8-bit attribute per index; Attr<n>[7:4] = 0b0000 is
/// Device memory, whose kind is in bits 3:2.
const MAIR_ATTR_BITS: u32 = 8;
const MAIR_ATTR_MASK: u64 = 0xff;
const MAIR_OUTER_SHIFT: u32 = 4;
const MAIR_DEVICE_KIND_SHIFT: u32 = 2;
const MAIR_DEVICE_KIND_MASK: u64 = 0b11;

// ANCHOR: types
/// The memory type stage 1 gives an address (MAIR_EL1's attribute).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemoryType {
    /// Device memory: nGnRnE, nGnRE, nGRE or GRE. An unaligned access to
    /// it takes an alignment fault.
    Device(DeviceKind),
    /// Normal memory, with the MAIR attribute byte it came from.
    Normal(u8),
}

/// The four kinds of Device memory, from MAIR's Attr[3:2].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceKind {
    /// Device-nGnRnE: what every data access is when the MMU is off.
    NGnRnE,
    /// Device-nGnRE: what Linux maps peripherals as.
    NGnRE,
    /// Device-nGRE.
    NGRE,
    /// Device-GRE.
    Gre,
}

/// Who accesses, and how: the permission check's question.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccessKind {
    /// A store (else a load).
    pub write: bool,
    /// From EL0 (else EL1).
    pub el0: bool,
}

/// A translated address and what stage 1 says about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Translation {
    /// The intermediate physical address.
    pub ipa: u64,
    /// The memory type.
    pub memory: MemoryType,
    /// EL0 may access it (AP[1], and no APTable[0] above).
    pub el0: bool,
    /// Stores are allowed (AP[2] clear, and no APTable[1] above).
    pub writable: bool,
    /// EL1 may execute from it (no PXN, no PXNTable above).
    pub el1_executable: bool,
    /// EL0 may execute from it (no UXN, no UXNTable above).
    pub el0_executable: bool,
    /// The level of the descriptor that mapped it (MMU off: none).
    pub level: Option<u8>,
    /// SCTLR_EL1.A: every data access must be aligned.
    pub alignment_checked: bool,
}

/// Why stage 1 does not give an address, as the fault status codes say it
/// (Arm ARM D17.2.40), with the level where the walk stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage1Fault {
    /// No valid descriptor (or a disabled range, or an address outside both).
    Translation(u8),
    /// An output or table address beyond the physical address size.
    AddressSize(u8),
    /// The descriptor's access flag is clear (the A53 does not set it).
    AccessFlag(u8),
    /// The access is not allowed by AP or APTable.
    Permission(u8),
    /// A table of the walk is not in the guest's RAM: on the CPU, a
    /// stage-2 fault on the walk.
    WalkOutsideRam(u64),
    /// A granule other than 4 KiB: not walked here.
    UnsupportedGranule,
}
// ANCHOR_END: types

impl Stage1Fault {
    /// In words, for a VM's report.
    pub fn name(self) -> &'static str {
        match self {
            Stage1Fault::Translation(_) => "stage-1 translation fault",
            Stage1Fault::AddressSize(_) => "stage-1 address size fault",
            Stage1Fault::AccessFlag(_) => "stage-1 access flag fault",
            Stage1Fault::Permission(_) => "stage-1 permission fault",
            Stage1Fault::WalkOutsideRam(_) => "stage-1 page-table walk outside the VM's RAM",
            Stage1Fault::UnsupportedGranule => "stage-1 tables with a 16 or 64 KiB granule",
        }
    }
}

impl Translation {
    /// Whether stage 1 allows `access`.
    pub fn allows(&self, access: AccessKind) -> bool {
        (!access.el0 || self.el0) && (!access.write || self.writable)
    }
}

impl Regime {
    /// Whether the stage-1 MMU is on.
    pub fn mmu_on(&self) -> bool {
        self.sctlr & SCTLR_M != 0
    }

    /// The physical (intermediate) address size stage 1 produces, in bits.
    fn output_bits(&self) -> u32 {
        let ips = ((self.tcr >> TCR_IPS_SHIFT) & TCR_IPS_MASK) as usize;
        PA_BITS_BY_IPS.get(ips).copied().unwrap_or(A53_PA_BITS)
    }
}

// ANCHOR: translate
/// Translate `va` for `access` as the guest's stage 1 would, reading its
/// tables through `memory`.
pub fn translate(
    regime: &Regime,
    memory: &impl GuestPhysical,
    va: u64,
    access: AccessKind,
) -> Result<Translation, Stage1Fault> {
    let alignment_checked = regime.sctlr & SCTLR_A != 0;
    if !regime.mmu_on() {
        // The address is the IPA; it must fit the physical address size.
        if va >> A53_PA_BITS != 0 {
            return Err(Stage1Fault::AddressSize(0));
        }
        return Ok(Translation {
            ipa: va,
            memory: MemoryType::Device(DeviceKind::NGnRnE),
            el0: true,
            writable: true,
            el1_executable: true,
            el0_executable: true,
            level: None,
            alignment_checked,
        });
    }
    let (ttbr, size) = range_of(regime, va)?;
    let input_bits = 64 - size as u32;
    // Each level resolves 9 bits above the page offset; the first level
    // resolves what is left over.
    let levels = (input_bits - PAGE_SHIFT).div_ceil(BITS_PER_LEVEL);
    let mut level = (4 - levels) as u8;
    let first_bits = input_bits - PAGE_SHIFT - BITS_PER_LEVEL * (levels - 1);
    let first_table_bytes = DESCRIPTOR_BYTES << first_bits;
    let mut table = ttbr & TTBR_BADDR_MASK & !(first_table_bytes - 1);
    let output_limit = 1u64 << regime.output_bits();
    // What the table descriptors on the way take away.
    let (mut no_el0, mut read_only, mut pxn, mut uxn) = (false, false, false, false);
    loop {
        if table >= output_limit {
            return Err(Stage1Fault::AddressSize(level));
        }
        let shift = PAGE_SHIFT + BITS_PER_LEVEL * u32::from(LAST_LEVEL - level);
        let index_bits = if u32::from(level) == 4 - levels {
            first_bits
        } else {
            BITS_PER_LEVEL
        };
        let index = (va >> shift) & ((1 << index_bits) - 1);
        let at = table + index * DESCRIPTOR_BYTES;
        let descriptor = memory.read_u64(at).ok_or(Stage1Fault::WalkOutsideRam(at))?;
        if descriptor & DESC_VALID == 0 {
            return Err(Stage1Fault::Translation(level));
        }
        let is_table_or_page = descriptor & DESC_TABLE_OR_PAGE != 0;
        if level < LAST_LEVEL && is_table_or_page {
            no_el0 |= descriptor & AP_TABLE_NO_EL0 != 0;
            read_only |= descriptor & AP_TABLE_READ_ONLY != 0;
            pxn |= descriptor & PXN_TABLE != 0;
            uxn |= descriptor & UXN_TABLE != 0;
            table = descriptor & ADDRESS_MASK;
            level += 1;
            continue;
        }
        // A block (levels 1 and 2) or a page (level 3, bit 1 set).
        if (level == LAST_LEVEL && !is_table_or_page) || level < FIRST_BLOCK_LEVEL {
            return Err(Stage1Fault::Translation(level));
        }
        let offset_mask = (1u64 << shift) - 1;
        let output = descriptor & ADDRESS_MASK & !offset_mask;
        if output >= output_limit {
            return Err(Stage1Fault::AddressSize(level));
        }
        if descriptor & ACCESS_FLAG == 0 {
            return Err(Stage1Fault::AccessFlag(level));
        }
        let attr_index = (descriptor >> ATTR_INDX_SHIFT) & ATTR_INDX_MASK;
        let translation = Translation {
            ipa: output | (va & offset_mask),
            memory: memory_type(regime.mair, attr_index),
            el0: descriptor & AP_EL0 != 0 && !no_el0,
            writable: descriptor & AP_READ_ONLY == 0 && !read_only,
            el1_executable: descriptor & PXN == 0 && !pxn,
            el0_executable: descriptor & UXN == 0 && !uxn,
            level: Some(level),
            alignment_checked,
        };
        return if translation.allows(access) {
            Ok(translation)
        } else {
            Err(Stage1Fault::Permission(level))
        };
    }
}
// ANCHOR_END: translate

/// Which range `va` falls in: its TTBR and TxSZ. An address in neither
/// range, or in a range whose walks are disabled (EPDx), is a level-0
/// translation fault.
fn range_of(regime: &Regime, va: u64) -> Result<(u64, u64), Stage1Fault> {
    let tcr = regime.tcr;
    let upper = va >> TBI_TOP_BIT & 1 == 1;
    let (ttbr, size, granule, granule_4k, disabled, tbi) = if upper {
        (
            regime.ttbr1,
            (tcr >> TCR_T1SZ_SHIFT) & TCR_TXSZ_MASK,
            (tcr >> TCR_TG1_SHIFT) & TCR_TG_MASK,
            TG1_4K,
            tcr & TCR_EPD1 != 0,
            tcr & TCR_TBI1 != 0,
        )
    } else {
        (
            regime.ttbr0,
            (tcr >> TCR_T0SZ_SHIFT) & TCR_TXSZ_MASK,
            (tcr >> TCR_TG0_SHIFT) & TCR_TG_MASK,
            TG0_4K,
            tcr & TCR_EPD0 != 0,
            tcr & TCR_TBI0 != 0,
        )
    };
    if granule != granule_4k {
        return Err(Stage1Fault::UnsupportedGranule);
    }
    let size = size.clamp(TXSZ_MIN, TXSZ_MAX);
    // Bits top..(64 - TxSZ) must all equal the range's selector.
    let top = if tbi { TBI_TOP_BIT } else { u64::BITS - 1 };
    let input_bits = 64 - size as u32;
    let high = (va >> input_bits) & ((1u64 << (top + 1 - input_bits)) - 1);
    let expected = if upper {
        (1u64 << (top + 1 - input_bits)) - 1
    } else {
        0
    };
    if high != expected || disabled {
        return Err(Stage1Fault::Translation(0));
    }
    Ok((ttbr, size))
}

/// The memory type MAIR_EL1's attribute `index` describes.
pub fn memory_type(mair: u64, index: u64) -> MemoryType {
    let attr = (mair >> (MAIR_ATTR_BITS * index as u32)) & MAIR_ATTR_MASK;
    if attr >> MAIR_OUTER_SHIFT != 0 {
        return MemoryType::Normal(attr as u8);
    }
    MemoryType::Device(
        match (attr >> MAIR_DEVICE_KIND_SHIFT) & MAIR_DEVICE_KIND_MASK {
            0b00 => DeviceKind::NGnRnE,
            0b01 => DeviceKind::NGnRE,
            0b10 => DeviceKind::NGRE,
            _ => DeviceKind::Gre,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    /// Guest RAM as a map of descriptors; `ram` bytes of it exist.
    struct FakeRam {
        words: BTreeMap<u64, u64>,
        ram: u64,
    }

    impl GuestPhysical for FakeRam {
        fn read_u64(&self, ipa: u64) -> Option<u64> {
            (ipa + 8 <= self.ram).then(|| *self.words.get(&ipa).unwrap_or(&0))
        }
    }

    /// MAIR as Linux sets it: Attr0 Device-nGnRnE, Attr1 Device-nGnRE,
    /// Attr2 Device-GRE, Attr3 Normal non-cacheable, Attr4 Normal WB.
    const LINUX_MAIR: u64 = 0x00_00_00_ff_44_0c_04_00;
    const ATTR_DEVICE_NGNRE: u64 = 1 << ATTR_INDX_SHIFT;
    const ATTR_NORMAL: u64 = 4 << ATTR_INDX_SHIFT;
    const TABLE: u64 = DESC_VALID | DESC_TABLE_OR_PAGE;
    const BLOCK: u64 = DESC_VALID | ACCESS_FLAG;
    const PAGE: u64 = DESC_VALID | DESC_TABLE_OR_PAGE | ACCESS_FLAG;
    const READ: AccessKind = AccessKind {
        write: false,
        el0: false,
    };
    const WRITE: AccessKind = AccessKind {
        write: true,
        el0: false,
    };
    const EL0_READ: AccessKind = AccessKind {
        write: false,
        el0: true,
    };
    /// TCR: 4 KiB granules both, TBI0/1 as Linux, 40-bit IPS.
    fn tcr(t0sz: u64, t1sz: u64) -> u64 {
        t0sz | t1sz << TCR_T1SZ_SHIFT
            | TG1_4K << TCR_TG1_SHIFT
            | 0b010 << TCR_IPS_SHIFT
            | TCR_TBI0
            | TCR_TBI1
    }

    /// Linux with 48-bit VAs (4 levels, T1SZ = 16): a 2 MiB block of
    /// kernel memory and a 4 KiB page of the peripheral window (ioremap).
    fn linux() -> (Regime, FakeRam) {
        let mut words = BTreeMap::new();
        let (l0, l1, l2, l3) = (0x10_0000, 0x10_1000, 0x10_2000, 0x10_3000);
        let va_kernel = 0xffff_0000_0080_0000u64;
        let va_io = 0xffff_0000_0021_5000u64;
        words.insert(l0 + ((va_kernel >> 39) & 0x1ff) * 8, l1 | TABLE);
        words.insert(l1 + ((va_kernel >> 30) & 0x1ff) * 8, l2 | TABLE);
        // Kernel at VA ..0080_0000 -> IPA 0x0020_0000, a 2 MiB block,
        // read-only and PXN-clear (as its text).
        words.insert(
            l2 + ((va_kernel >> 21) & 0x1ff) * 8,
            0x20_0000 | BLOCK | ATTR_NORMAL | AP_READ_ONLY,
        );
        words.insert(l2 + ((va_io >> 21) & 0x1ff) * 8, l3 | TABLE);
        words.insert(
            l3 + ((va_io >> 12) & 0x1ff) * 8,
            0x3f21_5000 | PAGE | ATTR_DEVICE_NGNRE | PXN | UXN,
        );
        let regime = Regime {
            sctlr: SCTLR_M,
            tcr: tcr(16, 16),
            ttbr0: 0,
            ttbr1: l0 | 0x0042 << 48,
            mair: LINUX_MAIR,
        };
        (
            regime,
            FakeRam {
                words,
                ram: 0x40_0000,
            },
        )
    }

    #[test]
    fn mmu_off_is_identity_and_device() {
        let regime = Regime::default();
        let memory = FakeRam {
            words: BTreeMap::new(),
            ram: 0,
        };
        let t = translate(&regime, &memory, 0x3f21_5040, WRITE).unwrap();
        assert_eq!(t.ipa, 0x3f21_5040);
        assert_eq!(t.memory, MemoryType::Device(DeviceKind::NGnRnE));
        assert_eq!(t.level, None);
        assert_eq!(
            translate(&regime, &memory, 1 << 40, READ),
            Err(Stage1Fault::AddressSize(0))
        );
    }

    #[test]
    fn linux_block_and_page_from_level_0() {
        let (regime, memory) = linux();
        let t = translate(&regime, &memory, 0xffff_0000_0081_2344, READ).unwrap();
        assert_eq!(t.ipa, 0x21_2344);
        assert_eq!(t.level, Some(2));
        assert!(matches!(t.memory, MemoryType::Normal(0xff)));
        assert!(!t.writable && t.el1_executable && !t.el0);
        let t = translate(&regime, &memory, 0xffff_0000_0021_5040, WRITE).unwrap();
        assert_eq!(t.ipa, 0x3f21_5040);
        assert_eq!(t.level, Some(3));
        assert_eq!(t.memory, MemoryType::Device(DeviceKind::NGnRE));
        assert!(t.writable && !t.el1_executable && !t.el0_executable);
        // The top byte is ignored (TBI1).
        let tagged = translate(&regime, &memory, 0xfaff_0000_0021_5040, READ).unwrap();
        assert_eq!(tagged.ipa, 0x3f21_5040);
        // A store to the read-only block, and EL0 at kernel memory.
        assert_eq!(
            translate(&regime, &memory, 0xffff_0000_0080_0000, WRITE),
            Err(Stage1Fault::Permission(2))
        );
        assert_eq!(
            translate(&regime, &memory, 0xffff_0000_0080_0000, EL0_READ),
            Err(Stage1Fault::Permission(2))
        );
        // Nothing mapped next to it: a fault at the level that found nothing.
        assert_eq!(
            translate(&regime, &memory, 0xffff_0000_00a0_0000, READ),
            Err(Stage1Fault::Translation(2))
        );
        assert_eq!(
            translate(&regime, &memory, 0xffff_0000_4000_0000, READ),
            Err(Stage1Fault::Translation(1))
        );
        // TTBR0's table is at 0, all zeros: level 0 finds nothing.
        assert_eq!(
            translate(&regime, &memory, 0x1000, READ),
            Err(Stage1Fault::Translation(0))
        );
        // Outside both 48-bit ranges.
        assert_eq!(
            translate(&regime, &memory, 0x00f0_0000_0000_0000, READ),
            Err(Stage1Fault::Translation(0))
        );
    }

    #[test]
    fn lrtos_style_level_1_start_with_blocks() {
        // T0SZ = 25: 39-bit VAs, the walk starts at level 1; 1 GiB block of
        // RAM (Normal) and a 2 MiB block of the peripherals (Device).
        let mut words = BTreeMap::new();
        let l1 = 0x8_0000u64;
        let l2 = 0x8_1000u64;
        words.insert(l1, l2 | TABLE);
        words.insert(l1 + 8, 0x4000_0000 | BLOCK | 1 << ATTR_INDX_SHIFT | AP_EL0);
        words.insert(l2 + (0x3f2 >> 1) * 8, 0x3f20_0000 | BLOCK);
        let regime = Regime {
            sctlr: SCTLR_M | SCTLR_A,
            tcr: tcr(25, 25) | TCR_EPD1,
            ttbr0: l1,
            ttbr1: 0,
            mair: 0x44_ff_00,
        };
        let memory = FakeRam {
            words,
            ram: 0x10_0000,
        };
        let t = translate(&regime, &memory, 0x3f21_5040, WRITE).unwrap();
        assert_eq!(t.ipa, 0x3f21_5040);
        assert_eq!(t.memory, MemoryType::Device(DeviceKind::NGnRnE));
        assert_eq!(t.level, Some(2));
        assert!(t.alignment_checked);
        let t = translate(&regime, &memory, 0x4123_4567, EL0_READ).unwrap();
        assert_eq!((t.ipa, t.level), (0x4123_4567, Some(1)));
        assert_eq!(t.memory, MemoryType::Normal(0xff));
        // Beyond 39 bits, and the disabled upper range.
        assert_eq!(
            translate(&regime, &memory, 1 << 39, READ),
            Err(Stage1Fault::Translation(0))
        );
        assert_eq!(
            translate(&regime, &memory, u64::MAX, READ),
            Err(Stage1Fault::Translation(0))
        );
    }

    #[test]
    fn walk_faults_as_the_cpu_takes_them() {
        let (mut regime, mut memory) = linux();
        let va = 0xffff_0000_0081_0000u64;
        let l2_entry = 0x10_2000 + ((va >> 21) & 0x1ff) * 8;
        // Access flag clear.
        memory.words.insert(l2_entry, 0x20_0000 | DESC_VALID);
        assert_eq!(
            translate(&regime, &memory, va, READ),
            Err(Stage1Fault::AccessFlag(2))
        );
        // An output address beyond 40 bits.
        memory.words.insert(l2_entry, (1 << 40) | BLOCK);
        assert_eq!(
            translate(&regime, &memory, va, READ),
            Err(Stage1Fault::AddressSize(2))
        );
        // A table outside the guest's RAM.
        memory.words.insert(l2_entry, 0x80_0000 | TABLE);
        assert_eq!(
            translate(&regime, &memory, va, READ),
            Err(Stage1Fault::WalkOutsideRam(
                0x80_0000 + ((va >> 12) & 0x1ff) * 8
            ))
        );
        // A block at level 0 is not a 4 KiB-granule descriptor.
        let l0_entry = 0x10_0000 + ((va >> 39) & 0x1ff) * 8;
        memory.words.insert(l0_entry, BLOCK);
        assert_eq!(
            translate(&regime, &memory, va, READ),
            Err(Stage1Fault::Translation(0))
        );
        // APTable: read-only below a table descriptor.
        memory
            .words
            .insert(l0_entry, 0x10_1000 | TABLE | AP_TABLE_READ_ONLY);
        memory
            .words
            .insert(l2_entry, 0x20_0000 | BLOCK | ATTR_NORMAL | AP_EL0);
        assert_eq!(
            translate(&regime, &memory, va, WRITE),
            Err(Stage1Fault::Permission(2))
        );
        assert!(translate(&regime, &memory, va, EL0_READ).is_ok());
        // A 64 KiB granule is not walked.
        regime.tcr = (regime.tcr & !(TCR_TG_MASK << TCR_TG1_SHIFT)) | 0b11 << TCR_TG1_SHIFT;
        assert_eq!(
            translate(&regime, &memory, va, READ),
            Err(Stage1Fault::UnsupportedGranule)
        );
    }

    /// Guest RAM whose every word is a pseudo-random function of its
    /// address: any table a hostile guest could build.
    struct Garbage(u64);

    impl GuestPhysical for Garbage {
        fn read_u64(&self, ipa: u64) -> Option<u64> {
            let x = (ipa ^ self.0).wrapping_mul(0x9e37_79b9_7f4a_7c15);
            (ipa < 1 << 30).then_some(x ^ x >> 29)
        }
    }

    proptest::proptest! {
        /// Whatever the registers and the tables hold, the walk ends,
        /// never panics, and an address it gives fits the 40-bit IPA space.
        #[test]
        fn any_walk_ends_inside_the_ipa_space(
            sctlr in proptest::prelude::any::<u64>(),
            tcr in proptest::prelude::any::<u64>(),
            ttbr0 in proptest::prelude::any::<u64>(),
            ttbr1 in proptest::prelude::any::<u64>(),
            mair in proptest::prelude::any::<u64>(),
            seed in proptest::prelude::any::<u64>(),
            va in proptest::prelude::any::<u64>(),
            write in proptest::prelude::any::<bool>(),
            el0 in proptest::prelude::any::<bool>(),
        ) {
            let regime = Regime { sctlr, tcr, ttbr0, ttbr1, mair };
            let access = AccessKind { write, el0 };
            if let Ok(t) = translate(&regime, &Garbage(seed), va, access) {
                proptest::prop_assert!(t.ipa < 1 << A53_PA_BITS);
                proptest::prop_assert!(t.allows(access));
            }
        }
    }

    #[test]
    fn mair_attributes() {
        assert_eq!(
            memory_type(LINUX_MAIR, 0),
            MemoryType::Device(DeviceKind::NGnRnE)
        );
        assert_eq!(
            memory_type(LINUX_MAIR, 1),
            MemoryType::Device(DeviceKind::NGnRE)
        );
        assert_eq!(
            memory_type(LINUX_MAIR, 2),
            MemoryType::Device(DeviceKind::Gre)
        );
        assert_eq!(memory_type(LINUX_MAIR, 3), MemoryType::Normal(0x44));
        assert_eq!(memory_type(0x08, 0), MemoryType::Device(DeviceKind::NGRE));
    }
}
