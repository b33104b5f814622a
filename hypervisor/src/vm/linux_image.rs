//! The arm64 Linux `Image` as a boot loader sees it: its 64-byte header and
//! where the kernel, its device tree and its initrd go in a VM's RAM.
//!
//! From Linux's `Documentation/arm64/booting.rst`: the header holds
//! `text_offset` (byte 8), `image_size` (byte 16), `flags` (byte 24) and the
//! magic `ARM\x64` (byte 56), all little-endian. The Image must be placed
//! `text_offset` bytes above a 2 MiB-aligned base, and `image_size` bytes
//! from there must be free (the file is shorter: the kernel's BSS and early
//! page tables follow it). The device tree must be 8-byte aligned, at most
//! 2 MiB, and is mapped with 2 MiB blocks, so it gets a 2 MiB block of its
//! own: the top one of the VM's RAM. The initrd goes right below it, page
//! aligned. Nothing the kernel will overwrite (its `image_size` bytes) may
//! hold either, and the kernel reserves both before it allocates anything.
//!
//! Like the VM list, this uses only `core`: the build script includes it.

/// Bytes of the header.
pub const HEADER_SIZE: usize = 64;
/// `ARM\x64`, little-endian, at [`MAGIC_OFFSET`].
pub const MAGIC: u32 = 0x644d_5241;
/// Where the magic is.
const MAGIC_OFFSET: usize = 56;
/// Where `text_offset` is.
const TEXT_OFFSET_OFFSET: usize = 8;
/// Where `image_size` is.
const IMAGE_SIZE_OFFSET: usize = 16;
/// Where `flags` is.
const FLAGS_OFFSET: usize = 24;
/// `flags` bit 0: the kernel is big-endian.
const FLAG_BIG_ENDIAN: u64 = 1 << 0;
/// `flags` bits 1-2: the kernel's page size.
const FLAG_PAGE_SIZE_SHIFT: u32 = 1;
const FLAG_PAGE_SIZE_MASK: u64 = 0b11;
/// Page-size field value for 16 KiB pages, which the Cortex-A53 does not
/// implement (it has 4 KiB and 64 KiB granules).
const PAGE_SIZE_16K: u64 = 2;
/// The kernel's base must be aligned to 2 MiB.
pub const KERNEL_ALIGN: u64 = 2 << 20;
/// The device tree's own block at the top of RAM, and its largest size.
pub const DTB_SLOT: u64 = 2 << 20;
/// The initrd starts on a page.
pub const INITRD_ALIGN: u64 = 4 << 10;
/// The device tree's alignment.
pub const DTB_ALIGN: u64 = 8;

/// What the header says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// Offset of the Image from its 2 MiB-aligned base.
    pub text_offset: u64,
    /// Bytes the kernel occupies from where it is loaded, BSS included.
    pub image_size: u64,
    /// The header's flags (endianness, page size, placement).
    pub flags: u64,
}

/// Why a header is not one the VM can boot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderError {
    /// No `ARM\x64` at byte 56 (or the file is shorter than the header).
    NoMagic,
    /// `image_size` is 0: a kernel older than 3.17, whose size is unknown.
    NoImageSize,
    /// The kernel is big-endian.
    BigEndian,
    /// The kernel uses 16 KiB pages, which a Cortex-A53 does not have.
    PageSize16K,
}

impl HeaderError {
    /// What is wrong, for messages.
    pub fn what(self) -> &'static str {
        match self {
            HeaderError::NoMagic => "is not an arm64 Linux Image (no ARM\\x64 magic at byte 56)",
            HeaderError::NoImageSize => {
                "has image_size 0 in its header (a kernel older than 3.17): its size is unknown"
            }
            HeaderError::BigEndian => "is a big-endian kernel; the VM runs little-endian",
            HeaderError::PageSize16K => "uses 16 KiB pages, which a Cortex-A53 does not implement",
        }
    }
}

fn le_u64(bytes: &[u8], at: usize) -> u64 {
    let mut word = [0; 8];
    word.copy_from_slice(&bytes[at..at + 8]);
    u64::from_le_bytes(word)
}

/// Whether `bytes` start with an arm64 Linux Image header (the magic only).
pub fn is_linux_image(bytes: &[u8]) -> bool {
    bytes.len() >= HEADER_SIZE
        && u32::from_le_bytes([
            bytes[MAGIC_OFFSET],
            bytes[MAGIC_OFFSET + 1],
            bytes[MAGIC_OFFSET + 2],
            bytes[MAGIC_OFFSET + 3],
        ]) == MAGIC
}

// ANCHOR: header
/// Read and check the header at the start of `bytes`.
pub fn parse_header(bytes: &[u8]) -> Result<Header, HeaderError> {
    if !is_linux_image(bytes) {
        return Err(HeaderError::NoMagic);
    }
    let header = Header {
        text_offset: le_u64(bytes, TEXT_OFFSET_OFFSET),
        image_size: le_u64(bytes, IMAGE_SIZE_OFFSET),
        flags: le_u64(bytes, FLAGS_OFFSET),
    };
    if header.image_size == 0 {
        return Err(HeaderError::NoImageSize);
    }
    if header.flags & FLAG_BIG_ENDIAN != 0 {
        return Err(HeaderError::BigEndian);
    }
    if (header.flags >> FLAG_PAGE_SIZE_SHIFT) & FLAG_PAGE_SIZE_MASK == PAGE_SIZE_16K {
        return Err(HeaderError::PageSize16K);
    }
    Ok(header)
}
// ANCHOR_END: header

/// Where a Linux VM's pieces go in its RAM (IPAs, end exclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Placement {
    /// Where the Image is loaded (base + `text_offset`).
    pub kernel: u64,
    /// End of what the kernel occupies (`kernel + image_size`).
    pub kernel_end: u64,
    /// Where the device tree goes: x0 at entry.
    pub dtb: u64,
    /// Where the initrd goes and its end, if there is one.
    pub initrd: Option<(u64, u64)>,
}

/// Why a Linux VM's pieces do not fit, with the numbers for the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlaceError {
    /// `load - text_offset` is not 2 MiB aligned (or `load < text_offset`).
    Misaligned {
        /// The load address.
        load: u64,
        /// The header's text_offset.
        text_offset: u64,
    },
    /// The kernel's `image_size` bytes from `load` run into the DTB's block.
    KernelTooBig {
        /// Where the kernel's bytes end.
        end: u64,
        /// Where the DTB's block starts.
        limit: u64,
    },
    /// The initrd does not fit between the kernel and the DTB's block.
    InitrdTooBig {
        /// The initrd's size.
        size: u64,
        /// Room between the kernel's end and the DTB's block.
        room: u64,
    },
    /// The RAM has no room for the DTB's 2 MiB block above the kernel.
    NoRoomForDtb {
        /// The VM's RAM.
        ram: u64,
    },
}

// ANCHOR: place
/// Place a kernel loaded at `load` with `header`, a device tree and an
/// initrd of `initrd_size` bytes (if any) in `ram` bytes of RAM: the DTB in
/// the top 2 MiB block, the initrd page-aligned right below it.
pub fn place(
    load: u64,
    ram: u64,
    header: &Header,
    initrd_size: Option<u64>,
) -> Result<Placement, PlaceError> {
    let text_offset = header.text_offset;
    if load < text_offset || !(load - text_offset).is_multiple_of(KERNEL_ALIGN) {
        return Err(PlaceError::Misaligned { load, text_offset });
    }
    let dtb = ram
        .checked_sub(DTB_SLOT)
        .ok_or(PlaceError::NoRoomForDtb { ram })?;
    let kernel_end = load.saturating_add(header.image_size);
    if kernel_end > dtb {
        return Err(PlaceError::KernelTooBig {
            end: kernel_end,
            limit: dtb,
        });
    }
    let initrd = match initrd_size {
        None => None,
        Some(size) => {
            let room = dtb - kernel_end;
            let start = dtb
                .checked_sub(size)
                .map(|s| s & !(INITRD_ALIGN - 1))
                .filter(|&s| s >= kernel_end)
                .ok_or(PlaceError::InitrdTooBig { size, room })?;
            Some((start, start + size))
        }
    };
    Ok(Placement {
        kernel: load,
        kernel_end,
        dtb,
        initrd,
    })
}
// ANCHOR_END: place

#[cfg(test)]
mod tests {
    use super::*;

    /// A header like Debian's 6.1 kernel: text_offset 0, image_size 0x2010000, flags 0xa.
    fn image(text_offset: u64, image_size: u64, flags: u64) -> [u8; HEADER_SIZE] {
        let mut h = [0u8; HEADER_SIZE];
        h[TEXT_OFFSET_OFFSET..TEXT_OFFSET_OFFSET + 8].copy_from_slice(&text_offset.to_le_bytes());
        h[IMAGE_SIZE_OFFSET..IMAGE_SIZE_OFFSET + 8].copy_from_slice(&image_size.to_le_bytes());
        h[FLAGS_OFFSET..FLAGS_OFFSET + 8].copy_from_slice(&flags.to_le_bytes());
        h[MAGIC_OFFSET..MAGIC_OFFSET + 4].copy_from_slice(b"ARM\x64");
        h
    }

    #[test]
    fn reads_a_good_header() {
        let h = parse_header(&image(0, 0x201_0000, 0xa)).unwrap();
        assert_eq!(
            h,
            Header {
                text_offset: 0,
                image_size: 0x201_0000,
                flags: 0xa
            }
        );
        assert!(is_linux_image(&image(0, 1, 0)));
    }

    #[test]
    fn refuses_bad_headers() {
        let mut no_magic = image(0, 0x1000, 0);
        no_magic[MAGIC_OFFSET] = b'X';
        assert_eq!(parse_header(&no_magic), Err(HeaderError::NoMagic));
        assert_eq!(parse_header(&[0; 10]), Err(HeaderError::NoMagic));
        assert_eq!(
            parse_header(&image(0x80000, 0, 0)),
            Err(HeaderError::NoImageSize)
        );
        assert_eq!(
            parse_header(&image(0, 0x1000, 1)),
            Err(HeaderError::BigEndian)
        );
        assert_eq!(
            parse_header(&image(0, 0x1000, 2 << 1)),
            Err(HeaderError::PageSize16K)
        );
        // 4 KiB and 64 KiB pages are fine.
        assert!(parse_header(&image(0, 0x1000, 1 << 1)).is_ok());
        assert!(parse_header(&image(0, 0x1000, 3 << 1)).is_ok());
    }

    #[test]
    fn places_dtb_on_top_and_initrd_below_it() {
        const MIB: u64 = 1 << 20;
        let h = parse_header(&image(0, 0x201_0000, 0xa)).unwrap();
        let p = place(0, 256 * MIB, &h, Some(1_000_000)).unwrap();
        assert_eq!(p.kernel, 0);
        assert_eq!(p.kernel_end, 0x201_0000);
        assert_eq!(p.dtb, 254 * MIB);
        assert_eq!(p.dtb % DTB_ALIGN, 0);
        let (start, end) = p.initrd.unwrap();
        assert_eq!(end - start, 1_000_000);
        assert_eq!(start % INITRD_ALIGN, 0);
        assert!(end <= p.dtb && start >= p.kernel_end, "no overlap: {p:?}");
        assert_eq!(place(0, 256 * MIB, &h, None).unwrap().initrd, None);
        // text_offset 0x80000 (kernels before 5.8) loads at base + 0x80000.
        let old = parse_header(&image(0x80000, 0x100_0000, 0)).unwrap();
        assert_eq!(
            place(0x28_0000, 64 * MIB, &old, None).unwrap().kernel,
            0x28_0000
        );
    }

    #[test]
    fn each_misfit_says_why() {
        const MIB: u64 = 1 << 20;
        let h = parse_header(&image(0, 0x201_0000, 0xa)).unwrap();
        assert_eq!(
            place(0x8_0000, 256 * MIB, &h, None),
            Err(PlaceError::Misaligned {
                load: 0x8_0000,
                text_offset: 0
            })
        );
        let old = parse_header(&image(0x80000, 0x1000, 0)).unwrap();
        assert!(matches!(
            place(0, 256 * MIB, &old, None),
            Err(PlaceError::Misaligned { .. })
        ));
        // image_size, not the file's size, decides: 32 MiB + 64 KiB do not
        // fit below the DTB's block in 32 MiB.
        assert_eq!(
            place(0, 32 * MIB, &h, None),
            Err(PlaceError::KernelTooBig {
                end: 0x201_0000,
                limit: 30 * MIB
            })
        );
        assert_eq!(
            place(0, 40 * MIB, &h, Some(7 * MIB)),
            Err(PlaceError::InitrdTooBig {
                size: 7 * MIB,
                room: 38 * MIB - 0x201_0000
            })
        );
        assert_eq!(
            place(0, MIB, &h, None),
            Err(PlaceError::NoRoomForDtb { ram: MIB })
        );
    }
}
