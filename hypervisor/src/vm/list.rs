//! The static VM list (`guests/vms.list`): its format and its checks.
//!
//! One VM per line, whitespace-separated columns, `#` starts a comment:
//!
//! ```text
//! # name   image                     load     entry    ram   cpu
//! echo     target/images/echo.bin    0x80000  0x80000  16M   0
//! ```
//!
//! The field `weight=N`, the VM's weight (1 to [`MAX_WEIGHT`], 1 when left
//! out), makes its time slice that many times the base slice (lab 5 of the
//! course).
//!
//! Numbers are decimal or `0x` hexadecimal; sizes may end in `K`, `M` or
//! `G`. After the six columns a line may have `key=value` fields, which a
//! Linux VM needs (the hypervisor is its firmware, see `linux_image`):
//!
//! ```text
//! linux    target/images/linux/Image 0x0 0x0 256M 0 dtb=target/images/linux/bcm2837-rpi-3-b.dtb initrd=target/images/linux/initramfs.cpio.gz bootargs="console=ttyS1,115200"
//! ```
//!
//! `dtb=PATH` (the device tree), `initrd=PATH` and `bootargs="..."` (the
//! kernel command line; quoted, it may hold spaces and `#`). A value may be
//! quoted with `"`; a `#` outside quotes starts a comment. A line without
//! fields parses as it always did. The hypervisor's build script includes this file too (`#[path]`),
//! so a bad list stops the build with the same message the tests check.
//! It uses only `core`, so both the build script and the no_std
//! hypervisor can compile it.

use core::fmt;

use super::linux_image::{self, HeaderError, PlaceError, Placement};

/// Columns of a VM line without the optional weight.
pub const COLUMNS: usize = 6;
/// The weight of a VM whose line has none.
pub const DEFAULT_WEIGHT: u64 = 1;
/// The largest weight.
pub const MAX_WEIGHT: u64 = 8;
/// The granule of stage-2 mappings: VM RAM comes in 2 MiB blocks.
pub const RAM_GRANULE: u64 = 2 << 20;
/// The largest RAM one VM may have.
pub const MAX_RAM: u64 = 512 << 20;
/// Most VMs in a list.
pub const MAX_VMS: usize = 8;
/// Longest VM name.
pub const MAX_NAME: usize = 15;
/// Physical cores that may run VMs: the BCM2837's four.
pub const USABLE_CPUS: u64 = crate::board::CORES as u64;
/// The longest kernel command line (Linux's `COMMAND_LINE_SIZE` on arm64,
/// with its terminating NUL).
pub const MAX_BOOTARGS: usize = 2047;
/// The field keys a line may have after its columns.
pub const FIELDS: [&str; 4] = ["dtb", "initrd", "bootargs", "weight"];

// ANCHOR: entry
/// One parsed line of the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry<'a> {
    /// The line it came from (1-based), for messages.
    pub line: usize,
    /// VM name.
    pub name: &'a str,
    /// Image path, relative to the workspace root.
    pub image: &'a str,
    /// Load address (IPA).
    pub load: u64,
    /// Entry point (IPA).
    pub entry: u64,
    /// RAM size in bytes.
    pub ram: u64,
    /// Physical core.
    pub cpu: u64,
    /// Time-slice weight, 1 to [`MAX_WEIGHT`].
    pub weight: u64,
    /// `dtb=`: the device tree's path (a Linux VM).
    pub dtb: Option<&'a str>,
    /// `initrd=`: the initrd's path.
    pub initrd: Option<&'a str>,
    /// `bootargs=`: the kernel command line, without its quotes.
    pub bootargs: Option<&'a str>,
}
// ANCHOR_END: entry

/// What is wrong with the list. Every variant carries the line, the VM name
/// and the values its message quotes (see the `Display` impl).
#[allow(missing_docs)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListError<'a> {
    /// A line does not have the six columns.
    Columns { line: usize, found: usize },
    /// A name is empty, too long or has characters other than `a-z0-9_-`.
    BadName { line: usize, name: &'a str },
    /// A number or size does not parse.
    BadNumber {
        line: usize,
        name: &'a str,
        column: &'static str,
        text: &'a str,
    },
    /// RAM is not a whole number of 2 MiB blocks, or too big.
    BadRam {
        line: usize,
        name: &'a str,
        ram: u64,
    },
    /// The cpu column names a core that cannot run VMs.
    BadCpu {
        line: usize,
        name: &'a str,
        cpu: u64,
    },
    /// The weight is not a number from 1 to [`MAX_WEIGHT`].
    BadWeight {
        line: usize,
        name: &'a str,
        text: &'a str,
    },
    /// Two VMs share a name.
    Duplicate {
        line: usize,
        name: &'a str,
        first_line: usize,
    },
    /// More VMs than the hypervisor has room for.
    TooMany { line: usize },
    /// The list has no VM at all.
    Empty,
    /// The image does not fit in the VM's RAM at its load address.
    ImageTooBig {
        line: usize,
        name: &'a str,
        size: u64,
        load: u64,
        ram: u64,
    },
    /// The entry point is outside the loaded image.
    EntryOutside {
        line: usize,
        name: &'a str,
        entry: u64,
        load: u64,
        size: u64,
    },
    /// The image is empty.
    EmptyImage { line: usize, name: &'a str },
    /// The VMs' RAM together does not fit in the guest memory pool.
    OutOfMemory {
        line: usize,
        name: &'a str,
        needed: u64,
        pool: u64,
    },
    /// A word after the columns is not `key=value` with a known key.
    UnknownField {
        line: usize,
        name: &'a str,
        field: &'a str,
    },
    /// A field is given twice.
    RepeatedField {
        line: usize,
        name: &'a str,
        key: &'a str,
    },
    /// A field's value is empty or badly quoted.
    BadValue {
        line: usize,
        name: &'a str,
        field: &'a str,
    },
    /// A `"` is not closed before the end of the line.
    Unterminated { line: usize },
    /// `bootargs` is longer than the kernel takes.
    BootargsTooLong {
        line: usize,
        name: &'a str,
        len: usize,
    },
    /// A file the line names is missing (`what` is image, dtb or initrd).
    MissingFile {
        line: usize,
        name: &'a str,
        what: &'static str,
        path: &'a str,
    },
    /// `dtb=`, `initrd=` or `bootargs=` is given for an image that is not a
    /// Linux Image, or the Image's header is bad.
    BadLinuxImage {
        line: usize,
        name: &'a str,
        path: &'a str,
        error: HeaderError,
    },
    /// An arm64 Linux Image without `dtb=`: the kernel cannot start without one.
    NeedsDtb { line: usize, name: &'a str },
    /// The `dtb=` file is not a flattened device tree (or the edited one is
    /// bigger than its 2 MiB block).
    NotDtb {
        line: usize,
        name: &'a str,
        path: &'a str,
        why: &'static str,
    },
    /// The kernel, DTB and initrd do not fit the VM's RAM.
    Misfit {
        line: usize,
        name: &'a str,
        ram: u64,
        error: PlaceError,
    },
}

impl fmt::Display for ListError<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const MIB: u64 = 1 << 20;
        match *self {
            ListError::Columns { line, found } => write!(
                f,
                "line {line}: expected {COLUMNS} columns (name image load entry ram cpu), found {found}"
            ),
            ListError::BadName { line, name } => write!(
                f,
                "line {line}: VM name '{name}' must be 1-{MAX_NAME} characters of a-z, 0-9, '_' or '-'"
            ),
            ListError::BadNumber { line, name, column, text } => write!(
                f,
                "line {line}, VM '{name}': {column} '{text}' is not a number (use 1234, 0x80000 or 16M)"
            ),
            ListError::BadRam { line, name, ram } => write!(
                f,
                "line {line}, VM '{name}': ram {ram:#x} must be a multiple of 2 MiB between 2 MiB and {} MiB",
                MAX_RAM / MIB
            ),
            ListError::BadCpu { line, name, cpu } => write!(
                f,
                "line {line}, VM '{name}': cpu {cpu}: the board has cores 0 to {}",
                USABLE_CPUS - 1
            ),
            ListError::BadWeight { line, name, text } => write!(
                f,
                "line {line}, VM '{name}': weight '{text}' must be a number from 1 to {MAX_WEIGHT}"
            ),
            ListError::Duplicate { line, name, first_line } => write!(
                f,
                "line {line}: VM name '{name}' is already used on line {first_line}"
            ),
            ListError::TooMany { line } => {
                write!(f, "line {line}: more than {MAX_VMS} VMs")
            }
            ListError::Empty => write!(f, "the list has no VM"),
            ListError::ImageTooBig { line, name, size, load, ram } => write!(
                f,
                "line {line}, VM '{name}': the image ({size} bytes) loaded at {load:#x} does not fit in {} MiB of RAM",
                ram / MIB
            ),
            ListError::EntryOutside { line, name, entry, load, size } => write!(
                f,
                "line {line}, VM '{name}': entry {entry:#x} is outside the image ({load:#x}..{:#x})",
                load + size
            ),
            ListError::EmptyImage { line, name } => {
                write!(f, "line {line}, VM '{name}': the image is empty")
            }
            ListError::OutOfMemory { line, name, needed, pool } => write!(
                f,
                "line {line}, VM '{name}': the VMs need {} MiB of RAM together, the guest pool has {} MiB",
                needed / MIB,
                pool / MIB
            ),
            ListError::UnknownField { line, name, field } => write!(
                f,
                "line {line}, VM '{name}': '{field}' after the six columns is not a field (dtb=PATH, initrd=PATH or bootargs=\"...\")"
            ),
            ListError::RepeatedField { line, name, key } => {
                write!(f, "line {line}, VM '{name}': {key}= is given twice")
            }
            ListError::BadValue { line, name, field } => write!(
                f,
                "line {line}, VM '{name}': '{field}' has an empty or badly quoted value"
            ),
            ListError::Unterminated { line } => {
                write!(f, "line {line}: a '\"' is not closed")
            }
            ListError::BootargsTooLong { line, name, len } => write!(
                f,
                "line {line}, VM '{name}': bootargs has {len} characters, the kernel takes at most {MAX_BOOTARGS}"
            ),
            ListError::MissingFile { line, name, what, path } => write!(
                f,
                "line {line}, VM '{name}': {what} {path} is missing; ./scripts/build.sh builds the guests and fetches U-Boot and Linux before the hypervisor"
            ),
            ListError::BadLinuxImage { line, name, path, error } => write!(
                f,
                "line {line}, VM '{name}': image {path} {} (dtb=, initrd= and bootargs= are for an arm64 Linux Image)",
                error.what()
            ),
            ListError::NeedsDtb { line, name } => write!(
                f,
                "line {line}, VM '{name}': the image is an arm64 Linux Image, which needs a device tree: add dtb=PATH"
            ),
            ListError::NotDtb { line, name, path, why } => {
                write!(f, "line {line}, VM '{name}': dtb {path}: {why}")
            }
            ListError::Misfit { line, name, ram, error } => match error {
                PlaceError::Misaligned { load, text_offset } => write!(
                    f,
                    "line {line}, VM '{name}': the Linux Image must be loaded text_offset ({text_offset:#x}) above a 2 MiB boundary, not at {load:#x}"
                ),
                PlaceError::KernelTooBig { end, limit } => write!(
                    f,
                    "line {line}, VM '{name}': the kernel (image_size from its header) ends at {end:#x}, past {limit:#x} where the device tree's 2 MiB block starts at the top of {} MiB of RAM",
                    ram / MIB
                ),
                PlaceError::InitrdTooBig { size, room } => write!(
                    f,
                    "line {line}, VM '{name}': the initrd ({size} bytes) does not fit the {room} bytes between the kernel and the device tree in {} MiB of RAM",
                    ram / MIB
                ),
                PlaceError::NoRoomForDtb { ram } => write!(
                    f,
                    "line {line}, VM '{name}': {} MiB of RAM has no room for the kernel and the device tree's 2 MiB block",
                    ram / MIB
                ),
            },
        }
    }
}

/// Parse `1234`, `0x80000`, `16M`, `512K`, `1G`.
pub fn parse_number(text: &str) -> Option<u64> {
    let (digits, scale) = match text.as_bytes().last()? {
        b'K' | b'k' => (&text[..text.len() - 1], 1 << 10),
        b'M' | b'm' => (&text[..text.len() - 1], 1 << 20),
        b'G' | b'g' => (&text[..text.len() - 1], 1 << 30),
        _ => (text, 1),
    };
    let value = match digits
        .strip_prefix("0x")
        .or_else(|| digits.strip_prefix("0X"))
    {
        Some(hex) => u64::from_str_radix(hex, 16).ok()?,
        None => digits.parse().ok()?,
    };
    value.checked_mul(scale)
}

/// The words of a line: split at whitespace outside `"` quotes, up to a
/// `#` outside quotes (a comment). `Err(())` when a quote is not closed.
struct Words<'a> {
    rest: &'a str,
}

impl<'a> Iterator for Words<'a> {
    type Item = Result<&'a str, ()>;

    fn next(&mut self) -> Option<Self::Item> {
        let text = self.rest.trim_start();
        if text.is_empty() || text.starts_with('#') {
            self.rest = "";
            return None;
        }
        let mut quoted = false;
        let mut end = text.len();
        for (i, c) in text.char_indices() {
            match c {
                '"' => quoted = !quoted,
                '#' if !quoted => {
                    end = i;
                    break;
                }
                c if c.is_whitespace() && !quoted => {
                    end = i;
                    break;
                }
                _ => {}
            }
        }
        if quoted {
            self.rest = "";
            return Some(Err(()));
        }
        self.rest = &text[end..];
        Some(Ok(&text[..end]))
    }
}

/// The value of a `key=value` word: unquoted, or quoted as a whole.
fn field_value(word: &str) -> Option<&str> {
    let (_, value) = word.split_once('=')?;
    let value = match value.strip_prefix('"') {
        Some(inner) => inner.strip_suffix('"')?,
        None => value,
    };
    (!value.is_empty() && !value.contains('"')).then_some(value)
}

// ANCHOR: parse_line
/// Parse one line: `Ok(None)` for blank and comment lines.
pub fn parse_line(line: usize, text: &str) -> Result<Option<Entry<'_>>, ListError<'_>> {
    let mut words = [""; COLUMNS];
    let mut fields = [""; FIELDS.len() + 1];
    let (mut found, mut field_count) = (0, 0);
    for word in (Words { rest: text }) {
        let word = word.map_err(|()| ListError::Unterminated { line })?;
        if found < COLUMNS {
            words[found] = word;
            found += 1;
        } else if word.contains('=') && field_count < fields.len() {
            fields[field_count] = word;
            field_count += 1;
        } else if word.contains('=') {
            // More fields than keys: among the first ones kept, one
            // repeats or is unknown, which the checks below report.
        } else {
            found += 1;
        }
    }
    if found == 0 {
        return Ok(None);
    }
    if found != COLUMNS {
        return Err(ListError::Columns { line, found });
    }
    let [name, image, load, entry, ram, cpu] = words;
    let name_ok = !name.is_empty()
        && name.len() <= MAX_NAME
        && name
            .bytes()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_' || c == b'-');
    if !name_ok {
        return Err(ListError::BadName { line, name });
    }
    let number = |column, text| {
        parse_number(text).ok_or(ListError::BadNumber {
            line,
            name,
            column,
            text,
        })
    };
    let mut entry = Entry {
        line,
        name,
        image,
        load: number("load", load)?,
        entry: number("entry", entry)?,
        ram: number("ram", ram)?,
        cpu: number("cpu", cpu)?,
        weight: DEFAULT_WEIGHT,
        dtb: None,
        initrd: None,
        bootargs: None,
    };
    let mut weight_seen = false;
    for &field in &fields[..field_count] {
        let key = field.split_once('=').map_or(field, |(key, _)| key);
        // LAB 5: BEGIN SOLUTION
        if key == "weight" {
            if weight_seen {
                return Err(ListError::RepeatedField { line, name, key });
            }
            weight_seen = true;
            let text = field_value(field).ok_or(ListError::BadValue { line, name, field })?;
            match parse_number(text) {
                Some(w) if (1..=MAX_WEIGHT).contains(&w) => entry.weight = w,
                _ => return Err(ListError::BadWeight { line, name, text }),
            }
            continue;
        }
        // LAB 5: END SOLUTION
        // LAB 5: BEGIN STUB
        // let _ = &mut weight_seen;
        // LAB 5: END STUB
        let slot = match key {
            "dtb" => &mut entry.dtb,
            "initrd" => &mut entry.initrd,
            "bootargs" => &mut entry.bootargs,
            _ => return Err(ListError::UnknownField { line, name, field }),
        };
        if slot.is_some() {
            return Err(ListError::RepeatedField { line, name, key });
        }
        *slot = Some(field_value(field).ok_or(ListError::BadValue { line, name, field })?);
    }
    if let Some(args) = entry.bootargs {
        if args.len() > MAX_BOOTARGS {
            return Err(ListError::BootargsTooLong {
                line,
                name,
                len: args.len(),
            });
        }
    }
    if entry.ram == 0 || !entry.ram.is_multiple_of(RAM_GRANULE) || entry.ram > MAX_RAM {
        return Err(ListError::BadRam {
            line,
            name,
            ram: entry.ram,
        });
    }
    if entry.cpu >= USABLE_CPUS {
        return Err(ListError::BadCpu {
            line,
            name,
            cpu: entry.cpu,
        });
    }
    Ok(Some(entry))
}
// ANCHOR_END: parse_line

// ANCHOR: check_image
/// Check an entry against the size of its image file.
pub fn check_image<'a>(entry: &Entry<'a>, size: u64) -> Result<(), ListError<'a>> {
    let (line, name) = (entry.line, entry.name);
    if size == 0 {
        return Err(ListError::EmptyImage { line, name });
    }
    if entry
        .load
        .checked_add(size)
        .is_none_or(|end| end > entry.ram)
    {
        return Err(ListError::ImageTooBig {
            line,
            name,
            size,
            load: entry.load,
            ram: entry.ram,
        });
    }
    if entry.entry < entry.load || entry.entry >= entry.load + size {
        return Err(ListError::EntryOutside {
            line,
            name,
            entry: entry.entry,
            load: entry.load,
            size,
        });
    }
    Ok(())
}
// ANCHOR_END: check_image

// ANCHOR: check_linux
/// For a VM whose image starts with `head` (at least the header's 64 bytes
/// when the file has them) and whose initrd has `initrd_size` bytes: `None`
/// for a bare-metal image, or where the kernel, DTB and initrd go.
///
/// An image is a Linux VM's when it has the arm64 Image magic or the line
/// has `dtb=`, `initrd=` or `bootargs=`; then the header must be good, the
/// line must have `dtb=`, and everything must fit (see `linux_image`).
pub fn check_linux<'a>(
    entry: &Entry<'a>,
    head: &[u8],
    initrd_size: Option<u64>,
) -> Result<Option<Placement>, ListError<'a>> {
    let (line, name) = (entry.line, entry.name);
    let fields = entry.dtb.is_some() || entry.initrd.is_some() || entry.bootargs.is_some();
    if !fields && !linux_image::is_linux_image(head) {
        return Ok(None);
    }
    let header = linux_image::parse_header(head).map_err(|error| ListError::BadLinuxImage {
        line,
        name,
        path: entry.image,
        error,
    })?;
    if entry.dtb.is_none() {
        return Err(ListError::NeedsDtb { line, name });
    }
    let placement =
        linux_image::place(entry.load, entry.ram, &header, initrd_size).map_err(|error| {
            ListError::Misfit {
                line,
                name,
                ram: entry.ram,
                error,
            }
        })?;
    if entry.entry != entry.load {
        return Err(ListError::EntryOutside {
            line,
            name,
            entry: entry.entry,
            load: entry.load,
            size: header.image_size,
        });
    }
    Ok(Some(placement))
}
// ANCHOR_END: check_linux

// ANCHOR: parse_list
/// Parse a whole list, calling `each` for every VM in order, and check the
/// rules that span lines: unique names, at most [`MAX_VMS`], at least one
/// VM, and all RAM fitting in a pool of `pool` bytes. `each` gets the
/// entry and the offset of its RAM within the pool.
pub fn parse<'a>(
    text: &'a str,
    pool: u64,
    mut each: impl FnMut(&Entry<'a>, u64) -> Result<(), ListError<'a>>,
) -> Result<usize, ListError<'a>> {
    let mut seen: [(&str, usize); MAX_VMS] = [("", 0); MAX_VMS];
    let mut count = 0;
    let mut used = 0u64;
    for (index, raw) in text.lines().enumerate() {
        let Some(entry) = parse_line(index + 1, raw)? else {
            continue;
        };
        if let Some(&(_, first_line)) = seen[..count].iter().find(|(n, _)| *n == entry.name) {
            return Err(ListError::Duplicate {
                line: entry.line,
                name: entry.name,
                first_line,
            });
        }
        if count == MAX_VMS {
            return Err(ListError::TooMany { line: entry.line });
        }
        if used + entry.ram > pool {
            return Err(ListError::OutOfMemory {
                line: entry.line,
                name: entry.name,
                needed: used + entry.ram,
                pool,
            });
        }
        each(&entry, used)?;
        seen[count] = (entry.name, entry.line);
        count += 1;
        used += entry.ram;
    }
    if count == 0 {
        return Err(ListError::Empty);
    }
    Ok(count)
}
// ANCHOR_END: parse_list

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use proptest::prelude::*;
    use std::string::ToString;
    use std::vec::Vec;

    const POOL: u64 = 704 << 20;

    fn entries(text: &str) -> Result<Vec<(Entry<'_>, u64)>, ListError<'_>> {
        let mut out = Vec::new();
        parse(text, POOL, |e, offset| {
            out.push((*e, offset));
            Ok(())
        })?;
        Ok(out)
    }

    #[test]
    fn parses_the_default_list() {
        let text = "# name image load entry ram cpu\n\
                    echo  target/images/echo.bin  0x80000 0x80000 16M 0\n\
                    \n\
                    lrtos target/images/lrtos.bin 0x80000 0x80000 32M 0  # the RTOS\n";
        let vms = entries(text).unwrap();
        assert_eq!(vms.len(), 2);
        assert_eq!(vms[0].0.name, "echo");
        assert_eq!(vms[0].0.ram, 16 << 20);
        assert_eq!(vms[1].0.line, 4);
        assert_eq!(vms[1].1, 16 << 20, "lrtos's RAM follows echo's in the pool");
    }

    #[test]
    fn numbers() {
        assert_eq!(parse_number("0x80000"), Some(0x80000));
        assert_eq!(parse_number("16M"), Some(16 << 20));
        assert_eq!(parse_number("512k"), Some(512 << 10));
        assert_eq!(parse_number("1G"), Some(1 << 30));
        assert_eq!(parse_number("12"), Some(12));
        assert_eq!(parse_number("0xZZ"), None);
        assert_eq!(parse_number("M"), None);
        assert_eq!(parse_number("99999999999G"), None);
    }

    #[test]
    fn each_malformed_line_names_its_problem() {
        let cases: [(&str, &str); 7] = [
            (
                "echo a.bin 0x80000 0x80000 16M",
                "line 1: expected 6 columns (name image load entry ram cpu), found 5",
            ),
            (
                "Echo a.bin 0x80000 0x80000 16M 0",
                "line 1: VM name 'Echo' must be",
            ),
            (
                "echo a.bin 0x8q000 0x80000 16M 0",
                "line 1, VM 'echo': load '0x8q000' is not a number",
            ),
            (
                "echo a.bin 0x80000 0x80000 3M 0",
                "line 1, VM 'echo': ram 0x300000 must be a multiple of 2 MiB",
            ),
            (
                "echo a.bin 0x80000 0x80000 1G 0",
                "line 1, VM 'echo': ram 0x40000000 must be",
            ),
            (
                "echo a.bin 0x80000 0x80000 16M 4",
                "line 1, VM 'echo': cpu 4: the board has cores 0 to 3",
            ),
            (
                "a a 0 0 2M 0\na b 0 0 2M 0",
                "line 2: VM name 'a' is already used on line 1",
            ),
        ];
        for (text, message) in cases {
            let err = entries(text).unwrap_err().to_string();
            assert!(err.starts_with(message), "{text:?} gave {err:?}");
        }
        assert_eq!(entries("# nothing\n").unwrap_err(), ListError::Empty);
    }

    #[test]
    fn too_many_and_out_of_memory() {
        let many: std::string::String = (0..=MAX_VMS)
            .map(|i| std::format!("vm{i} x 0 0 2M 0\n"))
            .collect();
        assert_eq!(
            entries(&many).unwrap_err(),
            ListError::TooMany { line: MAX_VMS + 1 }
        );
        let big = "a x 0 0 512M 0\nb x 0 0 256M 0\n";
        assert!(entries(big)
            .unwrap_err()
            .to_string()
            .contains("need 768 MiB"));
    }

    #[test]
    fn image_checks() {
        let e = parse_line(3, "echo x 0x80000 0x80000 2M 0")
            .unwrap()
            .unwrap();
        assert_eq!(check_image(&e, 0x1000), Ok(()));
        assert!(matches!(
            check_image(&e, 0),
            Err(ListError::EmptyImage { .. })
        ));
        let too_big = check_image(&e, (2 << 20) - 0x80000 + 1)
            .unwrap_err()
            .to_string();
        assert!(too_big.starts_with("line 3, VM 'echo': the image (1572865 bytes) loaded at 0x80000 does not fit in 2 MiB"), "{too_big}");
        let e = parse_line(1, "echo x 0x80000 0x1000 2M 0")
            .unwrap()
            .unwrap();
        assert!(check_image(&e, 0x1000)
            .unwrap_err()
            .to_string()
            .contains("entry 0x1000 is outside the image (0x80000..0x81000)"));
    }

    const LINUX: &str = "linux target/images/linux/Image 0 0 256M 0 dtb=a.dtb initrd=i.gz bootargs=\"console=ttyS1,115200 # not a comment\"  # a comment";

    #[test]
    fn parses_the_fields() {
        let e = parse_line(4, LINUX).unwrap().unwrap();
        assert_eq!(e.dtb, Some("a.dtb"));
        assert_eq!(e.initrd, Some("i.gz"));
        assert_eq!(e.bootargs, Some("console=ttyS1,115200 # not a comment"));
        assert_eq!((e.load, e.ram), (0, 256 << 20));
        // Any order, any one of them, unquoted values too.
        let e = parse_line(1, "l x 0 0 64M 0 bootargs=quiet dtb=\"b c.dtb\"")
            .unwrap()
            .unwrap();
        assert_eq!(
            (e.dtb, e.initrd, e.bootargs),
            (Some("b c.dtb"), None, Some("quiet"))
        );
    }

    #[test]
    fn old_lines_parse_as_before() {
        let e = parse_line(2, "echo target/images/echo.bin 0x80000 0x80000 16M 0 # x=y")
            .unwrap()
            .unwrap();
        assert_eq!((e.dtb, e.initrd, e.bootargs), (None, None, None));
        assert_eq!(e.image, "target/images/echo.bin");
        // A seventh plain word is still a column count error, and '#' still
        // cuts a word.
        assert_eq!(
            parse_line(1, "a b 0 0 2M 0 extra"),
            Err(ListError::Columns { line: 1, found: 7 })
        );
        assert_eq!(
            parse_line(1, "a b#c 0 0 2M 0").unwrap_err(),
            ListError::Columns { line: 1, found: 2 }
        );
    }

    #[test]
    fn each_bad_field_names_its_problem() {
        let cases: [(&str, &str); 7] = [
            (
                "l x 0 0 64M 0 kernel=y",
                "line 1, VM 'l': 'kernel=y' after the six columns is not a field",
            ),
            (
                "l x 0 0 64M 0 dtb=a dtb=b",
                "line 1, VM 'l': dtb= is given twice",
            ),
            (
                "l x 0 0 64M 0 dtb=a initrd=b bootargs=c dtb=d",
                "line 1, VM 'l': dtb= is given twice",
            ),
            (
                "l x 0 0 64M 0 dtb=",
                "line 1, VM 'l': 'dtb=' has an empty or badly quoted value",
            ),
            (
                "l x 0 0 64M 0 bootargs=a\"b\"",
                "line 1, VM 'l': 'bootargs=a\"b\"' has an empty or badly quoted value",
            ),
            (
                "l x 0 0 64M 0 bootargs=\"quiet",
                "line 1: a '\"' is not closed",
            ),
            (
                "l x 0 0 64M 0 bootargs=\"\"",
                "line 1, VM 'l': 'bootargs=\"\"' has an empty",
            ),
        ];
        for (text, message) in cases {
            let err = entries(text).unwrap_err().to_string();
            assert!(err.starts_with(message), "{text:?} gave {err:?}");
        }
        let long = std::format!("l x 0 0 64M 0 bootargs={}", "a".repeat(MAX_BOOTARGS + 1));
        assert_eq!(
            entries(&long).unwrap_err().to_string(),
            std::format!("line 1, VM 'l': bootargs has {} characters, the kernel takes at most {MAX_BOOTARGS}", MAX_BOOTARGS + 1)
        );
    }

    /// The first 64 bytes of an Image like Debian's 6.1 kernel.
    fn linux_head(image_size: u64) -> [u8; 64] {
        let mut h = [0u8; 64];
        h[16..24].copy_from_slice(&image_size.to_le_bytes());
        h[24] = 0xa;
        h[56..60].copy_from_slice(b"ARM\x64");
        h
    }

    #[test]
    fn linux_vms_are_checked_and_placed() {
        let e = parse_line(7, LINUX).unwrap().unwrap();
        let p = check_linux(&e, &linux_head(0x201_0000), Some(1 << 20))
            .unwrap()
            .unwrap();
        assert_eq!(p.dtb, (256 << 20) - (2 << 20));
        assert_eq!(p.initrd, Some((p.dtb - (1 << 20), p.dtb)));
        // A bare-metal image without fields is not Linux.
        let echo = parse_line(1, "echo x 0x80000 0x80000 16M 0")
            .unwrap()
            .unwrap();
        assert_eq!(check_linux(&echo, &[0u8; 64], None), Ok(None));
        assert_eq!(check_linux(&echo, &[1, 2, 3], None), Ok(None));
    }

    #[test]
    fn each_linux_error_names_the_line_the_vm_and_the_number() {
        let e = parse_line(7, LINUX).unwrap().unwrap();
        let msg = |r: Result<Option<Placement>, ListError<'_>>| r.unwrap_err().to_string();
        assert_eq!(
            msg(check_linux(&e, &[0u8; 64], None)),
            "line 7, VM 'linux': image target/images/linux/Image is not an arm64 Linux Image (no ARM\\x64 magic at byte 56) (dtb=, initrd= and bootargs= are for an arm64 Linux Image)"
        );
        assert!(msg(check_linux(&e, &linux_head(0), None)).contains("image_size 0"));
        let no_dtb = parse_line(3, "linux k 0 0 256M 0").unwrap().unwrap();
        assert_eq!(
            msg(check_linux(&no_dtb, &linux_head(0x1000), None)),
            "line 3, VM 'linux': the image is an arm64 Linux Image, which needs a device tree: add dtb=PATH"
        );
        assert_eq!(
            msg(check_linux(&e, &linux_head(0xff0_0000), None)),
            "line 7, VM 'linux': the kernel (image_size from its header) ends at 0xff00000, past 0xfe00000 where the device tree's 2 MiB block starts at the top of 256 MiB of RAM"
        );
        assert_eq!(
            msg(check_linux(&e, &linux_head(0x201_0000), Some(250 << 20))),
            std::format!(
                "line 7, VM 'linux': the initrd (262144000 bytes) does not fit the {} bytes between the kernel and the device tree in 256 MiB of RAM",
                (254 << 20) - 0x201_0000
            )
        );
        let misaligned = parse_line(2, "linux k 0x80000 0x80000 256M 0 dtb=d")
            .unwrap()
            .unwrap();
        assert!(msg(check_linux(&misaligned, &linux_head(0x1000), None))
            .starts_with("line 2, VM 'linux': the Linux Image must be loaded text_offset (0x0) above a 2 MiB boundary, not at 0x80000"));
        let entry_off = parse_line(2, "linux k 0 0x40 256M 0 dtb=d")
            .unwrap()
            .unwrap();
        assert!(msg(check_linux(&entry_off, &linux_head(0x1000), None)).contains("entry 0x40"));
        let missing = ListError::MissingFile {
            line: 5,
            name: "linux",
            what: "initrd",
            path: "i.gz",
        };
        assert!(missing
            .to_string()
            .starts_with("line 5, VM 'linux': initrd i.gz is missing"));
        let not_dtb = ListError::NotDtb {
            line: 5,
            name: "linux",
            path: "a.dtb",
            why: "not a flattened device tree",
        };
        assert_eq!(
            not_dtb.to_string(),
            "line 5, VM 'linux': dtb a.dtb: not a flattened device tree"
        );
    }

    proptest! {
        #[test]
        fn parse_never_panics(text in "\\PC{0,200}") {
            let _ = entries(&text);
        }

        #[test]
        fn fields_never_panic(fields in "( ?(dtb|initrd|bootargs|x)=\"?[a-z #=\"]{0,8}\"?){0,5}") {
            let _ = entries(&std::format!("l x 0 0 64M 0{fields}"));
        }

        #[test]
        fn accepted_entries_obey_the_rules(name in "[a-z]{1,15}", ram_blocks in 1u64..=256, load in 0u64..0x100000) {
            let text = std::format!("{name} img {load:#x} {load:#x} {} 0", ram_blocks * RAM_GRANULE);
            let e = parse_line(1, &text).unwrap().unwrap();
            prop_assert_eq!(e.ram % RAM_GRANULE, 0);
            prop_assert_eq!(e.load, load);
        }
    }
}
