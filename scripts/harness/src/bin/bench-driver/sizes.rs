//! How big the hypervisor is, without the guest images it carries.
//!
//! `kernel8.img` is the hypervisor's code and data followed by nothing
//! else, but its `.rodata` holds every guest image of the VM list
//! (`include_bytes!`, so each appears byte for byte). The image size
//! without guests is the image minus the byte ranges where each guest image
//! is found. The RAM the hypervisor occupies is what the linker script
//! reserves from `__image_start` to `__ram_end`: the image, `.bss` (which
//! holds the page tables, the stage-2 tables, the console rings and the VM
//! table) and the boot stack; again without the guest images. Nothing else
//! is allocated: the hypervisor has no heap, and VM RAM comes from the
//! guest pool above it.

use std::path::{Path, PathBuf};

use crate::elf;

/// The hypervisor's sizes, in bytes.
#[derive(Debug, Clone, Default)]
pub struct Sizes {
    /// `kernel8.img` as built.
    pub image: u64,
    /// The guest images embedded in it.
    pub guests: u64,
    /// `kernel8.img` without the guest images.
    pub image_without_guests: u64,
    /// RAM from `__image_start` to `__ram_end`, guest images included.
    pub ram_with_guests: u64,
    /// The same without the guest images: the hypervisor's own footprint.
    pub ram: u64,
    /// The sizes of the main sections (`.rodata` without the guests).
    pub sections: Vec<(String, u64)>,
}

/// The sections the report breaks the footprint into.
const SECTIONS: [&str; 5] = [".text", ".rodata", ".data", ".bss", ".stack"];

/// The guest files a VM list embeds: each line's image (second column)
/// and its `initrd=` file, from the workspace root. A `dtb=` file is not
/// embedded as it is (the build edits it): [`without`] finds the edited
/// device trees by their header, one per `dtb=` field ([`list_dtbs`]).
pub fn list_images(list: &str, root: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for line in list
        .lines()
        .map(|line| line.split('#').next().unwrap_or(""))
    {
        let mut words = line.split_whitespace();
        if let Some(image) = words.nth(1) {
            files.push(root.join(image));
        }
        files.extend(
            words
                .filter_map(|w| w.strip_prefix("initrd="))
                .map(|initrd| root.join(initrd)),
        );
    }
    files
}

/// How many `dtb=` fields a VM list has.
pub fn list_dtbs(list: &str) -> usize {
    list.lines()
        .map(|line| line.split('#').next().unwrap_or(""))
        .flat_map(str::split_whitespace)
        .filter(|w| w.starts_with("dtb="))
        .count()
}

/// A flattened device tree's header: magic, then `totalsize`, then the
/// offsets of its blocks, then `version` and `last_comp_version`, all
/// big-endian 32-bit words (the devicetree specification, 5.2).
const FDT_MAGIC: u32 = 0xd00d_feed;
const FDT_HEADER_WORDS: usize = 7;
const FDT_VERSION: u32 = 17;
const FDT_LAST_COMPATIBLE_VERSION: u32 = 16;

/// The size of a device tree whose header starts at `at`, if one does.
fn fdt_at(image: &[u8], at: usize) -> Option<usize> {
    let word = |i: usize| {
        let b = image.get(at + 4 * i..at + 4 * i + 4)?;
        Some(u32::from_be_bytes(b.try_into().ok()?))
    };
    let header: Option<Vec<u32>> = (0..FDT_HEADER_WORDS).map(word).collect();
    let h = header?;
    let total = h[1] as usize;
    (h[0] == FDT_MAGIC
        && h[5] == FDT_VERSION
        && h[6] == FDT_LAST_COMPATIBLE_VERSION
        && total >= 4 * FDT_HEADER_WORDS
        && at + total <= image.len())
    .then_some(total)
}

/// Bytes of `image` left when every one of `guests` and `dtbs` embedded
/// device trees are cut out of it. A tree is looked for only outside the
/// guests (a kernel may carry the magic number itself). Fails if a guest or
/// a tree is not in the image.
pub fn without(image: &[u8], guests: &[Vec<u8>], dtbs: usize) -> Result<u64, String> {
    let mut embedded = 0;
    let mut taken: Vec<(usize, usize)> = Vec::new();
    for (i, guest) in guests.iter().enumerate() {
        let at = (!guest.is_empty())
            .then(|| image.windows(guest.len()).position(|w| w == &guest[..]))
            .flatten()
            .ok_or_else(|| format!("guest image {} is not in the hypervisor image", i + 1))?;
        taken.push((at, at + guest.len()));
        embedded += guest.len() as u64;
    }
    let mut at = 0;
    let mut found = 0;
    while found < dtbs && at + 4 * FDT_HEADER_WORDS <= image.len() {
        if let Some(&(_, end)) = taken
            .iter()
            .find(|&&(start, end)| (start..end).contains(&at))
        {
            at = end;
            continue;
        }
        match fdt_at(image, at) {
            Some(size) => {
                embedded += size as u64;
                found += 1;
                at += size;
            }
            None => at += 1,
        }
    }
    if found < dtbs {
        return Err(format!(
            "the hypervisor image holds {found} device trees, the list names {dtbs}"
        ));
    }
    Ok(image.len() as u64 - embedded)
}

// ANCHOR: sizes
/// Measure the hypervisor `image` built from `elf_path` with `guests`.
pub fn measure(
    image: &Path,
    elf_path: &Path,
    guests: &[PathBuf],
    dtbs: usize,
) -> Result<Sizes, String> {
    let read = |p: &Path| std::fs::read(p).map_err(|e| format!("{}: {e}", p.display()));
    let bytes = read(image)?;
    let elf = elf::parse(&read(elf_path)?).map_err(|e| format!("{}: {e}", elf_path.display()))?;
    let symbol = |name: &str| {
        elf.symbol(name)
            .ok_or_else(|| format!("{}: no symbol {name}", elf_path.display()))
    };
    let (start, end, ram_end) = (
        symbol("__image_start")?,
        symbol("__image_end")?,
        symbol("__ram_end")?,
    );
    if end - start != bytes.len() as u64 {
        return Err(format!(
            "{} ({} bytes) was not made from {} ({} bytes from __image_start to __image_end); rebuild",
            image.display(),
            bytes.len(),
            elf_path.display(),
            end - start
        ));
    }
    let guest_bytes = guests
        .iter()
        .map(|g| read(g))
        .collect::<Result<Vec<_>, _>>()?;
    let image_without_guests = without(&bytes, &guest_bytes, dtbs)?;
    let guests = bytes.len() as u64 - image_without_guests;
    let sections = SECTIONS
        .iter()
        .filter_map(|&name| {
            let size = elf.section(name)?.size;
            let size = if name == ".rodata" {
                size - guests
            } else {
                size
            };
            Some((name.to_string(), size))
        })
        .collect();
    Ok(Sizes {
        image: bytes.len() as u64,
        guests,
        image_without_guests,
        ram_with_guests: ram_end - start,
        ram: ram_end - start - guests,
        sections,
    })
}
// ANCHOR_END: sizes

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_guests_out() {
        let image = b"codeGUEST1dataGUEST2".to_vec();
        assert_eq!(
            without(&image, &[b"GUEST1".to_vec(), b"GUEST2".to_vec()], 0),
            Ok(8)
        );
        assert!(without(&image, &[b"GUEST3".to_vec()], 0).is_err());
        assert!(without(&image, &[Vec::new()], 0).is_err());
    }

    /// A device tree header of `total` bytes, padded to that size.
    fn fdt(total: u32) -> Vec<u8> {
        let header = [
            FDT_MAGIC,
            total,
            0,
            0,
            0,
            FDT_VERSION,
            FDT_LAST_COMPATIBLE_VERSION,
        ];
        let mut bytes: Vec<u8> = header.iter().flat_map(|w| w.to_be_bytes()).collect();
        bytes.resize(total as usize, 0xaa);
        bytes
    }

    #[test]
    fn cuts_device_trees_out_by_their_header() {
        let mut image = b"code".to_vec();
        image.extend(fdt(40));
        image.extend(b"data");
        assert_eq!(without(&image, &[], 1), Ok(8));
        assert!(without(&image, &[], 2).is_err());
        // A tree inside a guest is the guest's, not an embedded one.
        let mut guest = b"KERNEL".to_vec();
        guest.extend(fdt(32));
        let mut image = b"code".to_vec();
        image.extend(&guest);
        assert!(without(&image, &[guest.clone()], 1).is_err());
        image.extend(fdt(28));
        assert_eq!(without(&image, &[guest], 1), Ok(4));
    }

    #[test]
    fn reads_the_image_and_initrd_columns() {
        let list = "# name image ...\necho  target/images/echo.bin 0x80000 0x80000 16M 0 # c\n\n\
                    linux i/Image 0x200000 0x200000 256M 0 dtb=i/a.dtb initrd=i/r.gz bootargs=\"x\"\n";
        assert_eq!(
            list_images(list, Path::new("/ws")),
            [
                PathBuf::from("/ws/target/images/echo.bin"),
                PathBuf::from("/ws/i/Image"),
                PathBuf::from("/ws/i/r.gz")
            ]
        );
        assert_eq!(list_dtbs(list), 1);
    }
}
