//! `ls`: a folder of the SD card as a table of sizes and names, and the
//! command's one-line errors (no card, no FAT partition, no such folder).
//!
//! The listing itself is [`crate::drivers::fat::list`]; this file formats
//! it, so the table and the messages are tested on the host.

use crate::console::table;
use crate::drivers::fat::{Entry, FsError};
use crate::drivers::sdhci;
use ufmt::{uWrite, uwrite, uwriteln};

/// Columns of the size column: a FAT file's size has at most 10 digits.
const SIZE_WIDTH: usize = 10;

// ANCHOR: write_entry
/// The table's header.
pub fn write_header<W: uWrite>(out: &mut W) -> Result<(), W::Error> {
    table::right(out, "bytes", SIZE_WIDTH)?;
    uwriteln!(out, "name")
}

/// One row: the size (or `<dir>`) right-aligned, then the name, with a
/// slash after a folder's.
pub fn write_entry<W: uWrite>(out: &mut W, entry: &Entry<'_>) -> Result<(), W::Error> {
    if entry.is_dir {
        table::right(out, "<dir>", SIZE_WIDTH)?;
        uwriteln!(out, "{}/", entry.name)
    } else {
        table::number(out, entry.size.into(), SIZE_WIDTH)?;
        uwriteln!(out, "{}", entry.name)
    }
}
// ANCHOR_END: write_entry

/// Why `ls` failed, in one line.
pub fn write_error<W: uWrite>(out: &mut W, path: &str, err: &FsError) -> Result<(), W::Error> {
    match err {
        FsError::NotFound | FsError::NotADirectory => uwriteln!(out, "ls: {}: {}", path, err),
        FsError::Card(sdhci::Error::NoCard) | FsError::NoFat(_) => uwriteln!(out, "ls: {}", err),
        _ => {
            uwrite!(out, "ls: SD card: ")?;
            uwriteln!(out, "{}", err)
        }
    }
}

#[cfg(target_os = "none")]
mod run {
    use super::{write_entry, write_error, write_header};
    use crate::console::output::console;
    use crate::drivers::fat::{self, FsError};
    use crate::platform::storage::with_card;

    // ANCHOR: ls
    /// `ls [dir]`: bring the card up if it is not yet, and list `dir` (the
    /// root without one).
    pub fn ls(dir: Option<&str>) {
        let path = dir.unwrap_or("/");
        let mut out = console();
        let mut header = false;
        let listed = with_card(|fs| {
            fat::list(fs, path, |entry| {
                if !header {
                    header = true;
                    let _ = write_header(&mut *out);
                }
                let _ = write_entry(&mut *out, entry);
            })
        });
        match listed {
            Ok(Ok(())) if !header => {
                let _ = ufmt::uwriteln!(out, "ls: {}: empty", path);
            }
            Ok(Ok(())) => {}
            Ok(Err(err)) => {
                let _ = write_error(&mut *out, path, &err);
            }
            Err(err) => {
                let _ = write_error(&mut *out, path, &FsError::Card(err));
            }
        }
    }
    // ANCHOR_END: ls
}

#[cfg(target_os = "none")]
pub use run::ls;

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::string::String;

    fn shown(f: impl FnOnce(&mut String)) -> String {
        let mut s = String::new();
        f(&mut s);
        s
    }

    #[test]
    fn rows_line_up_under_the_header() {
        let text = shown(|s| {
            write_header(s).unwrap();
            let file = Entry {
                name: "A file with a long name.txt",
                size: 4_294_967_295,
                is_dir: false,
            };
            write_entry(s, &file).unwrap();
            let dir = Entry {
                name: "guests",
                size: 0,
                is_dir: true,
            };
            write_entry(s, &dir).unwrap();
        });
        assert_eq!(
            text,
            "     bytes name\n\
             4294967295 A file with a long name.txt\n     \
             <dir> guests/\n"
        );
    }

    #[test]
    fn errors_name_what_failed() {
        let line = |path: &str, e: FsError| shown(|s| write_error(s, path, &e).unwrap());
        assert_eq!(
            line("/", FsError::Card(sdhci::Error::NoCard)),
            "ls: no SD card (CMD8 and ACMD41 got no answer)\n"
        );
        assert_eq!(
            line("/", FsError::NoFat("Invalid MBR signature")),
            "ls: no FAT partition on the SD card (Invalid MBR signature)\n"
        );
        assert_eq!(
            line("nope", FsError::NotFound),
            "ls: nope: no such file or directory\n"
        );
        let crc = sdhci::Error::DataCrc(crate::drivers::sdcard::cmd::READ_SINGLE_BLOCK);
        assert_eq!(
            line("/", FsError::Card(crc)),
            "ls: SD card: CMD17 (READ_SINGLE_BLOCK): data CRC error\n"
        );
    }
}
