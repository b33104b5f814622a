//! The SD card's FAT file system, read-only, through the `embedded-sdmmc`
//! crate: [`CardBlocks`] is its `BlockDevice` over the card driver
//! ([`super::sdcard`]), and [`list`] walks a path to a directory and hands
//! out its entries with their long names where the card has them.
//!
//! embedded-sdmmc finds the first partition of the card's MBR, reads its
//! FAT16 or FAT32 boot sector, and walks clusters and directories; this
//! file only turns its errors into the hypervisor's. The hypervisor never
//! writes to the card: [`CardBlocks`] refuses every write.

use super::sdcard::Card;
use super::sdhci::{self, Bus};
use core::cell::RefCell;
use core::ops::ControlFlow;
use embedded_hal::delay::DelayNs;
use embedded_sdmmc::{
    Block, BlockCount, BlockDevice, BlockIdx, DirEntry, LfnBuffer, RawDirectory, ShortFileName,
    TimeSource, Timestamp, VolumeIdx, VolumeManager,
};
use ufmt::{uDisplay, uWrite, uwrite};

/// The volume manager over the card: up to four directories open at once
/// (a path is walked one level at a time), four files, one volume.
pub type Fs<B, D> = VolumeManager<CardBlocks<B, D>, NoClock>;

/// Bytes kept for a long file name: 255 UTF-16 units of ASCII, the
/// longest FAT allows (a longer UTF-8 name is shown by its 8.3 name).
const LFN_BYTES: usize = 255;
/// Bytes of an 8.3 name with its dot.
const SHORT_NAME_BYTES: usize = 12;

// ANCHOR: block_device
/// The card as embedded-sdmmc's block device.
pub struct CardBlocks<B: Bus, D: DelayNs> {
    card: RefCell<Card<B, D>>,
}

impl<B: Bus, D: DelayNs> CardBlocks<B, D> {
    /// The file system's view of `card`.
    pub fn new(card: Card<B, D>) -> Self {
        Self {
            card: RefCell::new(card),
        }
    }
}

impl<B: Bus, D: DelayNs> BlockDevice for CardBlocks<B, D> {
    type Error = DeviceError;

    fn read(&self, blocks: &mut [Block], start: BlockIdx) -> Result<(), DeviceError> {
        let mut card = self.card.borrow_mut();
        for (n, block) in (start.0..).zip(blocks.iter_mut()) {
            card.read(n, &mut block.contents)
                .map_err(DeviceError::Card)?;
        }
        Ok(())
    }

    fn write(&self, _blocks: &[Block], _start: BlockIdx) -> Result<(), DeviceError> {
        Err(DeviceError::ReadOnly)
    }

    fn num_blocks(&self) -> Result<BlockCount, DeviceError> {
        Ok(BlockCount(self.card.borrow().blocks()))
    }
}
// ANCHOR_END: block_device

/// What the block device reports to embedded-sdmmc.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceError {
    /// The card driver failed.
    Card(sdhci::Error),
    /// A write: the hypervisor keeps the card read-only.
    ReadOnly,
}

impl uDisplay for DeviceError {
    fn fmt<W: uWrite + ?Sized>(&self, f: &mut ufmt::Formatter<'_, W>) -> Result<(), W::Error> {
        match self {
            DeviceError::Card(e) => uwrite!(f, "{}", e),
            DeviceError::ReadOnly => f.write_str("the SD card is read-only here"),
        }
    }
}

/// `core::fmt` output through ufmt, for the trait embedded-sdmmc wants.
struct FmtWriter<'a, 'b>(&'a mut core::fmt::Formatter<'b>);

impl uWrite for FmtWriter<'_, '_> {
    type Error = core::fmt::Error;
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        self.0.write_str(s)
    }
}

impl core::fmt::Display for DeviceError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        uwrite!(FmtWriter(f), "{}", self)
    }
}

impl core::error::Error for DeviceError {}

/// The clock embedded-sdmmc stamps new files with; nothing is written, so
/// it is never asked.
pub struct NoClock;

impl TimeSource for NoClock {
    fn get_timestamp(&self) -> Timestamp {
        Timestamp::from_fat(0, 0)
    }
}

/// Why a directory could not be listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FsError {
    /// The card failed.
    Card(sdhci::Error),
    /// The card holds no FAT partition embedded-sdmmc can read; why.
    NoFat(&'static str),
    /// A path component names nothing.
    NotFound,
    /// A path component before the last names a file.
    NotADirectory,
    /// embedded-sdmmc refused for another reason; its words.
    Other(&'static str),
}

impl uDisplay for FsError {
    fn fmt<W: uWrite + ?Sized>(&self, f: &mut ufmt::Formatter<'_, W>) -> Result<(), W::Error> {
        match *self {
            FsError::Card(e) => uwrite!(f, "{}", e),
            FsError::NoFat(why) => uwrite!(f, "no FAT partition on the SD card ({})", why),
            FsError::NotFound => f.write_str("no such file or directory"),
            FsError::NotADirectory => f.write_str("not a directory"),
            FsError::Other(why) => f.write_str(why),
        }
    }
}

/// embedded-sdmmc's error as the hypervisor's.
fn fs_error(e: embedded_sdmmc::Error<DeviceError>) -> FsError {
    use embedded_sdmmc::Error as E;
    match e {
        E::DeviceError(DeviceError::Card(c)) => FsError::Card(c),
        E::DeviceError(DeviceError::ReadOnly) => FsError::Other("the SD card is read-only here"),
        E::FormatError(why) => FsError::NoFat(why),
        E::NoSuchVolume => FsError::NoFat("no partition in the MBR"),
        E::NotFound => FsError::NotFound,
        E::OpenedFileAsDir => FsError::NotADirectory,
        _ => FsError::Other("the FAT library refused"),
    }
}

/// One directory entry as `ls` shows it.
pub struct Entry<'a> {
    /// The long name if the card has one, else the 8.3 name.
    pub name: &'a str,
    /// Bytes in the file (0 for a directory).
    pub size: u32,
    /// A directory.
    pub is_dir: bool,
}

/// The 8.3 name as text, "NAME.EXT".
fn short_name<'a>(name: &ShortFileName, buf: &'a mut [u8; SHORT_NAME_BYTES]) -> &'a str {
    let (base, ext) = (name.base_name(), name.extension());
    let mut len = base.len();
    buf[..len].copy_from_slice(base);
    if !ext.is_empty() {
        buf[len] = b'.';
        buf[len + 1..len + 1 + ext.len()].copy_from_slice(ext);
        len += 1 + ext.len();
    }
    core::str::from_utf8(&buf[..len]).unwrap_or("?")
}

/// A guard against a stale long name. embedded-sdmmc 0.10 keeps the last
/// complete long-name sequence after the 8.3 entry it belongs to, and
/// hands it to a later 8.3-only entry whose checksum happens to match (one
/// in 256): two entries of a directory never share a long name, so a name
/// equal to the one handed out before is that stale one.
struct FreshNames {
    last: [u8; LFN_BYTES],
    len: usize,
}

impl FreshNames {
    const fn new() -> Self {
        Self {
            last: [0; LFN_BYTES],
            len: 0,
        }
    }

    /// `long`, unless it is the name handed out before.
    fn check<'a>(&mut self, long: Option<&'a str>) -> Option<&'a str> {
        let name = long?;
        if self.len > 0 && name.as_bytes() == &self.last[..self.len] {
            return None;
        }
        self.len = name.len().min(LFN_BYTES);
        self.last[..self.len].copy_from_slice(&name.as_bytes()[..self.len]);
        Some(name)
    }
}

/// Whether an entry is one `ls` lists: not the volume label, not "." or "..".
fn listed(entry: &DirEntry) -> bool {
    let base = entry.name.base_name();
    !entry.attributes.is_volume() && base != b"." && base != b".."
}

// ANCHOR: list
/// Call `each` for every entry of the directory `path` (from the root of
/// the card's first partition; "" or "/" is the root). A path that ends in
/// a file lists that file. Names match without regard to case, by their
/// long or their 8.3 form.
pub fn list<B: Bus, D: DelayNs>(
    fs: &Fs<B, D>,
    path: &str,
    mut each: impl FnMut(&Entry<'_>),
) -> Result<(), FsError> {
    let volume = fs.open_raw_volume(VolumeIdx(0)).map_err(fs_error)?;
    let result = fs.open_root_dir(volume).map_err(fs_error).and_then(|root| {
        let mut dir = root;
        let result = walk(fs, &mut dir, path, &mut each);
        let _ = fs.close_dir(dir);
        result
    });
    let _ = fs.close_volume(volume);
    result
}
// ANCHOR_END: list

/// Walk `path` from `dir` (which ends as the directory reached, for the
/// caller to close) and list what it names.
fn walk<B: Bus, D: DelayNs>(
    fs: &Fs<B, D>,
    dir: &mut RawDirectory,
    path: &str,
    each: &mut impl FnMut(&Entry<'_>),
) -> Result<(), FsError> {
    let mut storage = [0u8; LFN_BYTES];
    let mut parts = path
        .split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .peekable();
    while let Some(part) = parts.next() {
        let entry = find(fs, *dir, part, &mut storage)?;
        if !entry.attributes.is_directory() {
            if parts.peek().is_some() {
                return Err(FsError::NotADirectory);
            }
            each(&Entry {
                name: part,
                size: entry.size,
                is_dir: false,
            });
            return Ok(());
        }
        let child = fs.open_dir(*dir, entry.name).map_err(fs_error)?;
        let _ = fs.close_dir(*dir);
        *dir = child;
    }
    let mut lfn = LfnBuffer::new(&mut storage);
    let mut fresh = FreshNames::new();
    fs.iterate_dir_lfn(*dir, &mut lfn, |entry, long| {
        let long = fresh.check(long);
        if listed(entry) {
            let mut buf = [0; SHORT_NAME_BYTES];
            each(&Entry {
                name: long.unwrap_or_else(|| short_name(&entry.name, &mut buf)),
                size: entry.size,
                is_dir: entry.attributes.is_directory(),
            });
        }
        ControlFlow::Continue(())
    })
    .map_err(fs_error)
}

/// The entry of `dir` called `name` (long or 8.3, any case).
fn find<B: Bus, D: DelayNs>(
    fs: &Fs<B, D>,
    dir: RawDirectory,
    name: &str,
    storage: &mut [u8; LFN_BYTES],
) -> Result<DirEntry, FsError> {
    let mut found = None;
    let mut lfn = LfnBuffer::new(storage);
    let mut fresh = FreshNames::new();
    fs.iterate_dir_lfn(dir, &mut lfn, |entry, long| {
        let long = fresh.check(long);
        let mut buf = [0; SHORT_NAME_BYTES];
        let short = short_name(&entry.name, &mut buf);
        let matches =
            long.is_some_and(|l| l.eq_ignore_ascii_case(name)) || short.eq_ignore_ascii_case(name);
        if listed(entry) && matches {
            found = Some(entry.clone());
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    })
    .map_err(fs_error)?;
    found.ok_or(FsError::NotFound)
}
