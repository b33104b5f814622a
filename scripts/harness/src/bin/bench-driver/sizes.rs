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

/// The guest images a VM list names (second column, from the workspace root).
pub fn list_images(list: &str, root: &Path) -> Vec<PathBuf> {
    list.lines()
        .map(|line| line.split('#').next().unwrap_or(""))
        .filter_map(|line| line.split_whitespace().nth(1))
        .map(|image| root.join(image))
        .collect()
}

/// Bytes of `image` left when every one of `guests` is cut out of it.
/// Fails if a guest is not in the image.
pub fn without(image: &[u8], guests: &[Vec<u8>]) -> Result<u64, String> {
    let mut embedded = 0;
    for (i, guest) in guests.iter().enumerate() {
        if guest.is_empty() || !image.windows(guest.len()).any(|w| w == &guest[..]) {
            return Err(format!(
                "guest image {} is not in the hypervisor image",
                i + 1
            ));
        }
        embedded += guest.len() as u64;
    }
    Ok(image.len() as u64 - embedded)
}

// ANCHOR: sizes
/// Measure the hypervisor `image` built from `elf_path` with `guests`.
pub fn measure(image: &Path, elf_path: &Path, guests: &[PathBuf]) -> Result<Sizes, String> {
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
    let image_without_guests = without(&bytes, &guest_bytes)?;
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
            without(&image, &[b"GUEST1".to_vec(), b"GUEST2".to_vec()]),
            Ok(8)
        );
        assert!(without(&image, &[b"GUEST3".to_vec()]).is_err());
        assert!(without(&image, &[Vec::new()]).is_err());
    }

    #[test]
    fn reads_the_image_column() {
        let list = "# name image ...\necho  target/images/echo.bin 0x80000 0x80000 16M 0 # c\n\n";
        assert_eq!(
            list_images(list, Path::new("/ws")),
            [PathBuf::from("/ws/target/images/echo.bin")]
        );
    }
}
