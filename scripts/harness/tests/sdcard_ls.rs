//! System tests of the hypervisor's SD card driver and `ls`: QEMU's
//! `raspi3b` with a card image on its EMMC controller (`-drive if=sd`),
//! made by `scripts/mktestsd.sh` from a folder of the guests' images, a
//! file with a long name and a subfolder, the way a person would use it:
//! type `ls`, read the table.
//!
//! Two cards: 64 MiB, which QEMU makes a standard capacity card (byte
//! addresses), and a sparse 4 GiB one, an SDHC card (block addresses).
//! Then the errors: no card at all, a card without a partition table, a
//! name that is not there; after each the hypervisor keeps working.

use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use ferrovisor_harness::{image_path, workspace_root, Qemu, BOOT_TIMEOUT};

/// The long name on the card.
const LONG_NAME: &str = "A file with a long name.txt";
/// Its contents.
const LONG_TEXT: &str = "FAT keeps this name in VFAT long-name entries.\n";
/// The file in the subfolder.
const README: &str = "guests/readme.txt";
/// Its size in bytes.
const README_BYTES: usize = 1000;

/// The folder of test files and the card images made from it.
fn work_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("sdcard-ls")
}

/// The guest images that go on the card.
fn guest(name: &str) -> PathBuf {
    let path = workspace_root().join("target/images").join(name);
    assert!(
        path.is_file(),
        "{} is missing: run ./scripts/build.sh first",
        path.display()
    );
    path
}

/// A card of `mib` MiB made by mktestsd.sh from the test files.
fn card(mib: u32) -> PathBuf {
    let dir = work_dir();
    let from = dir.join(format!("from-{mib}"));
    let _ = fs::remove_dir_all(&from);
    fs::create_dir_all(from.join("guests")).unwrap();
    fs::copy(guest("echo.bin"), from.join("echo.bin")).unwrap();
    fs::copy(guest("lrtos.bin"), from.join("guests/lrtos.bin")).unwrap();
    fs::write(from.join(LONG_NAME), LONG_TEXT).unwrap();
    fs::write(from.join(README), vec![b'r'; README_BYTES]).unwrap();
    let image = dir.join(format!("card-{mib}.img"));
    let status = Command::new(workspace_root().join("scripts/mktestsd.sh"))
        .arg("--mib")
        .arg(mib.to_string())
        .arg(&from)
        .arg(&image)
        .status()
        .expect("run scripts/mktestsd.sh");
    assert!(status.success(), "mktestsd.sh --mib {mib} failed");
    image
}

/// QEMU's arguments to put `image` in the SD card slot.
fn sd(image: &Path) -> Vec<OsString> {
    let mut drive = OsString::from("if=sd,format=raw,file=");
    drive.push(image);
    vec!["-drive".into(), drive]
}

fn boot(extra: &[OsString], test_name: &str) -> Qemu {
    let mut qemu = Qemu::boot_with(&image_path(), extra, test_name);
    qemu.wait_for_prompt(BOOT_TIMEOUT);
    qemu
}

/// A command's output with plain line ends.
fn run(qemu: &mut Qemu, line: &str) -> String {
    qemu.run_command(line).replace("\r\n", "\n")
}

/// One row of `ls`, as the table prints it.
fn row(size: u64, name: &str) -> String {
    format!("{size:>10} {name}\n")
}

fn size_of(path: &Path) -> u64 {
    fs::metadata(path).unwrap().len()
}

/// The root and the subfolder list with their sizes, and the hypervisor
/// still runs its VMs.
fn lists_the_card(mib: u32) {
    let image = card(mib);
    let mut qemu = boot(&sd(&image), &format!("sdcard-ls-{mib}"));
    let header = row_header();
    // mcopy writes a lower-case 8.3 name as an 8.3 entry (with Windows
    // NT's case bits, which embedded-sdmmc does not read): ECHO.BIN.
    assert_eq!(
        table(&run(&mut qemu, "ls")),
        [
            row(LONG_TEXT.len() as u64, LONG_NAME),
            row(size_of(&guest("echo.bin")), "ECHO.BIN"),
            format!("{:>10} GUESTS/\n", "<dir>"),
        ]
    );
    assert_eq!(
        table(&run(&mut qemu, "ls guests")),
        [
            row(size_of(&guest("lrtos.bin")), "LRTOS.BIN"),
            row(README_BYTES as u64, "README.TXT"),
        ]
    );
    assert_eq!(
        run(&mut qemu, "ls /GUESTS/readme.txt"),
        format!("{header}{}", row(README_BYTES as u64, "readme.txt"))
    );
    assert_eq!(
        run(&mut qemu, "ls nope"),
        "ls: nope: no such file or directory\n"
    );
    assert_eq!(
        run(&mut qemu, "ls echo.bin/x"),
        "ls: echo.bin/x: not a directory\n"
    );
    still_works(&mut qemu);
}

/// The table's header line.
fn row_header() -> String {
    format!("{:>10} name\n", "bytes")
}

/// The rows of an `ls` table after its header, sorted (the order of a
/// directory is the order mcopy wrote it in, which is the host's).
fn table(out: &str) -> Vec<String> {
    let header = row_header();
    let rows = out
        .strip_prefix(header.as_str())
        .unwrap_or_else(|| panic!("no table header:\n{out}"));
    let mut rows: Vec<String> = rows.lines().map(|l| format!("{l}\n")).collect();
    rows.sort_by_key(|r| r[11..].to_lowercase());
    rows
}

/// The shell answers and the VMs run: `vml` lists them all.
fn still_works(qemu: &mut Qemu) {
    let vml = run(qemu, "vml");
    for name in ["echo", "lrtos", "uboot", "linux"] {
        assert!(vml.contains(name), "vml after ls:\n{vml}");
    }
    assert!(!vml.contains("faulted"), "vml after ls:\n{vml}");
}

#[test]
fn ls_lists_a_standard_capacity_card() {
    lists_the_card(64);
}

#[test]
fn ls_lists_an_sdhc_card() {
    lists_the_card(4096);
}

#[test]
fn ls_without_a_card_says_so_and_the_hypervisor_keeps_working() {
    let mut qemu = boot(&[], "sdcard-ls-no-card");
    let no_card = "ls: no SD card (CMD8 and ACMD41 got no answer)\n";
    // Each ls tries again, and fails as fast.
    assert_eq!(run(&mut qemu, "ls"), no_card);
    assert_eq!(run(&mut qemu, "ls guests"), no_card);
    still_works(&mut qemu);
}

#[test]
fn ls_on_a_card_without_a_partition_table_finds_no_fat() {
    let dir = work_dir();
    fs::create_dir_all(&dir).unwrap();
    let blank = dir.join("blank.img");
    fs::write(&blank, vec![0u8; 64 << 20]).unwrap();
    let mut qemu = boot(&sd(&blank), "sdcard-ls-blank");
    let out = run(&mut qemu, "ls");
    assert!(
        out.starts_with("ls: no FAT partition on the SD card (") && out.lines().count() == 1,
        "{out}"
    );
    still_works(&mut qemu);
}
