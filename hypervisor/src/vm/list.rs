//! The static VM list (`guests/vms.list`): its format and its checks.
//!
//! One VM per line, whitespace-separated columns, `#` starts a comment:
//!
//! ```text
//! # name   image                     load     entry    ram   cpu  [weight]
//! echo     target/images/echo.bin    0x80000  0x80000  16M   0
//! ```
//!
//! The seventh column, the VM's weight (1 to [`MAX_WEIGHT`], 1 when left
//! out), makes its time slice that many times the base slice (lab 5 of the
//! course).
//!
//! Numbers are decimal or `0x` hexadecimal; sizes may end in `K`, `M` or
//! `G`. The hypervisor's build script includes this file too (`#[path]`),
//! so a bad list stops the build with the same message the tests check.
//! It uses only `core`, so both the build script and the no_std
//! hypervisor can compile it.

use core::fmt;

/// Columns of a VM line without the optional weight.
pub const COLUMNS: usize = 6;
/// Columns of a VM line with its weight.
pub const MAX_COLUMNS: usize = COLUMNS + 1;
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
/// Physical cores that may run VMs in this version.
pub const USABLE_CPUS: u64 = 1;

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
                "line {line}, VM '{name}': cpu {cpu}: only core 0 runs VMs in this version"
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

// ANCHOR: parse_line
/// Parse one line: `Ok(None)` for blank and comment lines.
pub fn parse_line(line: usize, text: &str) -> Result<Option<Entry<'_>>, ListError<'_>> {
    let text = text.split('#').next().unwrap_or("");
    let mut words = [""; MAX_COLUMNS];
    let mut found = 0;
    for word in text.split_whitespace() {
        if found < MAX_COLUMNS {
            words[found] = word;
        }
        found += 1;
    }
    if found == 0 {
        return Ok(None);
    }
    // LAB 5: BEGIN SOLUTION
    let columns_ok = found == COLUMNS || found == MAX_COLUMNS;
    // LAB 5: END SOLUTION
    // LAB 5: BEGIN STUB
    // let columns_ok = found == COLUMNS;
    // LAB 5: END STUB
    if !columns_ok {
        return Err(ListError::Columns { line, found });
    }
    let [name, image, load, entry, ram, cpu, weight] = words;
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
    let entry = Entry {
        line,
        name,
        image,
        load: number("load", load)?,
        entry: number("entry", entry)?,
        ram: number("ram", ram)?,
        cpu: number("cpu", cpu)?,
        weight: DEFAULT_WEIGHT,
    };
    // LAB 5: BEGIN SOLUTION
    let entry = match weight {
        "" => entry,
        text => match parse_number(text) {
            Some(w) if (1..=MAX_WEIGHT).contains(&w) => Entry { weight: w, ..entry },
            _ => return Err(ListError::BadWeight { line, name, text }),
        },
    };
    // LAB 5: END SOLUTION
    // LAB 5: BEGIN STUB
    // let _ = weight;
    // LAB 5: END STUB
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
                "echo a.bin 0x80000 0x80000 16M 2",
                "line 1, VM 'echo': cpu 2: only core 0",
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

    proptest! {
        #[test]
        fn parse_never_panics(text in "\\PC{0,200}") {
            let _ = entries(&text);
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
