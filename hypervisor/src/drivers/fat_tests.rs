//! Host tests of the FAT layer ([`super::fat`]): a card image made by
//! `scripts/mktestsd.sh` (MBR, FAT32, a long file name, a subfolder) in
//! the model controller ([`super::sd_model`]), read through the real card
//! driver and embedded-sdmmc, listed as `ls` would list it.

use super::fat::{list, CardBlocks, Fs, FsError, NoClock};
use super::sd_model::{CardModel, FakeDelay, Model};
use super::sdcard::Card;
use super::sdhci::{Host, BLOCK_LEN};
use core::sync::atomic::{AtomicU32, Ordering};
use embedded_sdmmc::VolumeManager;
use std::path::PathBuf;
use std::string::{String, ToString};
use std::vec::Vec;

/// The card's size: 64 MiB, standard capacity.
const CARD_MIB: usize = 64;
/// The EMMC clock the tests divide.
const BASE_CLOCK_HZ: u32 = 250_000_000;
/// Bytes of the files put on the card.
const ECHO_BYTES: usize = 5000;
const LONG_BYTES: usize = 6;
const README_BYTES: usize = 1234;
const LONG_NAME: &str = "A file with a long name.txt";

/// A card image holding echo.bin, a file with a long name and
/// guests/readme.txt, made by the project's script.
fn card_image() -> Vec<u8> {
    // Tests run in parallel: each image in a folder of its own.
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let dir: PathBuf =
        std::env::temp_dir().join(std::format!("ferrovisor-fat-{}-{n}", std::process::id()));
    let from = dir.join("from");
    std::fs::create_dir_all(from.join("guests")).unwrap();
    std::fs::write(from.join("echo.bin"), std::vec![0xe5u8; ECHO_BYTES]).unwrap();
    std::fs::write(from.join(LONG_NAME), b"hello\n").unwrap();
    std::fs::write(
        from.join("guests/readme.txt"),
        std::vec![b'r'; README_BYTES],
    )
    .unwrap();
    let image = dir.join("card.img");
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/mktestsd.sh");
    let status = std::process::Command::new(script)
        .arg(&from)
        .arg(&image)
        .status()
        .expect("run scripts/mktestsd.sh (needs sfdisk, mkfs.fat, mcopy)");
    assert!(status.success(), "mktestsd.sh failed");
    let bytes = std::fs::read(&image).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    bytes
}

fn mount(image: Vec<u8>, delay: &mut FakeDelay) -> Fs<Model, &mut FakeDelay> {
    let blocks = (image.len() / BLOCK_LEN) as u32;
    let model = Model::new(Some(CardModel::new(image, blocks, false)));
    let card = Card::init(Host::new(model, delay, BASE_CLOCK_HZ)).unwrap();
    VolumeManager::new(CardBlocks::new(card), NoClock)
}

fn ls(fs: &Fs<Model, &mut FakeDelay>, path: &str) -> Result<Vec<(String, u32, bool)>, FsError> {
    let mut rows = Vec::new();
    list(fs, path, |e| {
        rows.push((e.name.to_string(), e.size, e.is_dir))
    })?;
    Ok(rows)
}

#[test]
fn the_root_and_a_subfolder_list_with_long_names_and_sizes() {
    let mut delay = FakeDelay::default();
    let image = card_image();
    assert_eq!(image.len(), CARD_MIB << 20);
    let fs = mount(image, &mut delay);
    let mut root = ls(&fs, "").unwrap();
    root.sort();
    assert_eq!(
        root,
        [
            (LONG_NAME.to_string(), LONG_BYTES as u32, false),
            // mcopy keeps a lower-case 8.3 name as an 8.3 entry (with
            // Windows NT's case bits, which embedded-sdmmc does not read).
            ("ECHO.BIN".to_string(), ECHO_BYTES as u32, false),
            ("GUESTS".to_string(), 0, true),
        ]
    );
    // The same directory again: every handle of the first listing closed.
    assert_eq!(ls(&fs, "/").unwrap().len(), 3);
    assert_eq!(
        ls(&fs, "guests").unwrap(),
        [("README.TXT".to_string(), README_BYTES as u32, false)]
    );
    assert_eq!(
        ls(&fs, "/Guests/readme.txt").unwrap(),
        [("readme.txt".to_string(), README_BYTES as u32, false)]
    );
    assert_eq!(
        ls(&fs, "a FILE with a long name.txt").unwrap()[0].1,
        LONG_BYTES as u32
    );
}

#[test]
fn missing_names_and_files_as_folders_are_refused() {
    let mut delay = FakeDelay::default();
    let fs = mount(card_image(), &mut delay);
    assert_eq!(ls(&fs, "nope").err(), Some(FsError::NotFound));
    assert_eq!(ls(&fs, "guests/nope").err(), Some(FsError::NotFound));
    assert_eq!(ls(&fs, "echo.bin/x").err(), Some(FsError::NotADirectory));
    // Nothing was left open by the refusals.
    assert_eq!(ls(&fs, "").unwrap().len(), 3);
}

#[test]
fn a_card_without_a_partition_table_has_no_fat() {
    let mut delay = FakeDelay::default();
    let fs = mount(std::vec![0u8; CARD_MIB << 20], &mut delay);
    let err = ls(&fs, "").err().unwrap();
    assert!(matches!(err, FsError::NoFat(_)), "{err:?}");
    let mut shown = String::new();
    ufmt::uwrite!(shown, "{}", err).unwrap();
    assert!(
        shown.starts_with("no FAT partition on the SD card ("),
        "{shown}"
    );
}
