//! System tests of the SD card image for a real Raspberry Pi 3.
//!
//! `scripts/mksd.sh` builds the image once (into cargo's temporary folder
//! for tests, `target/tmp/sdcard/`) from the kernel8.img that
//! `scripts/build.sh` made; the first run downloads Debian's
//! `raspi-firmware` package into `target/firmware/`. The tests then look
//! at the image the way the Pi's boot ROM would: the MBR and its FAT32
//! partition, the files on it (listed and read with mtools, no mounting),
//! what `config.txt` asks of the firmware, and finally that the
//! `kernel8.img` taken out of the image boots in QEMU to the shell prompt.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use ferrovisor_harness::{image_path, workspace_root, Qemu, BOOT_TIMEOUT};

/// Bytes in a sector, on the card and in the image.
const SECTOR: u64 = 512;
/// The whole image: 128 MiB (kernel8.img carries the Linux guest, about 35 MB).
const IMAGE_BYTES: u64 = 128 << 20;
/// The FAT partition starts at 1 MiB.
const PARTITION_START_SECTOR: u64 = 2048;
/// MBR partition type: FAT32 with LBA addressing.
const FAT32_LBA: u8 = 0x0c;
/// Where the first of the four MBR partition entries is.
const MBR_PARTITION_TABLE: usize = 446;
/// The MBR ends with this signature at bytes 510 and 511.
const MBR_SIGNATURE: [u8; 2] = [0x55, 0xaa];

/// The files the Pi 3 needs on the card: the boot ROM loads bootcode.bin,
/// which loads start.elf and fixup.dat (the GPU firmware), which reads
/// config.txt and loads kernel8.img.
const BOOT_FILES: [&str; 5] = [
    "bootcode.bin",
    "start.elf",
    "fixup.dat",
    "config.txt",
    "kernel8.img",
];

/// What config.txt must say: 64-bit mode and the kernel's name, the mini
/// UART on, its clock fixed, and 64 MiB for the GPU so that the ARM's RAM
/// ends where the hypervisor's guest pool does (0x3C00_0000).
const CONFIG: [(&str, &str); 6] = [
    ("arm_64bit", "1"),
    ("kernel", "kernel8.img"),
    ("enable_uart", "1"),
    ("core_freq", "250"),
    ("core_freq_min", "250"),
    ("gpu_mem", "64"),
];

/// The image and the boot/ folder that mksd.sh made.
struct Card {
    image: PathBuf,
    boot_dir: PathBuf,
    dir: PathBuf,
}

impl Card {
    /// mtools' name for the FAT partition inside the image.
    fn fat(&self) -> String {
        format!(
            "{}@@{}",
            self.image.display(),
            PARTITION_START_SECTOR * SECTOR
        )
    }
}

/// Runs `command`, panicking with its output if it fails; returns stdout.
fn run(command: &mut Command) -> String {
    let shown = format!("{command:?}");
    let output = command
        .env("MTOOLS_SKIP_CHECK", "1")
        .output()
        .unwrap_or_else(|err| {
            panic!("cannot run {shown}: {err} (./scripts/test.sh installs mtools)")
        });
    assert!(
        output.status.success(),
        "{shown} failed ({}):\n{}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Builds the card once for all the tests of this file.
fn card() -> &'static Card {
    static CARD: OnceLock<Card> = OnceLock::new();
    CARD.get_or_init(|| {
        // The image under test is made from the build output; fail early,
        // with the usual hint, if there is none.
        image_path();
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("sdcard");
        if dir.exists() {
            std::fs::remove_dir_all(&dir).expect("remove the previous test card");
        }
        std::fs::create_dir_all(&dir).expect("create the test card's folder");
        let card = Card {
            image: dir.join("sdcard.img"),
            boot_dir: dir.join("boot"),
            dir,
        };
        run(Command::new(workspace_root().join("scripts/mksd.sh"))
            .arg("--no-build")
            .arg("--boot-dir")
            .arg(&card.boot_dir)
            .arg(&card.image)
            // The tools are there (test.sh installed them) or the commands
            // below say which one is missing.
            .env("FERROVISOR_TOOLS_CHECKED", "1"));
        card
    })
}

/// Copies `name` out of the card's FAT into the test folder.
fn extract(card: &Card, name: &str) -> PathBuf {
    let dest = card.dir.join("extracted").join(name);
    std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
    run(Command::new("mcopy")
        .arg("-o")
        .arg("-i")
        .arg(card.fat())
        .arg(format!("::{name}"))
        .arg(&dest));
    dest
}

/// The `key=value` lines of a config.txt, without comments.
fn config_entries(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .filter_map(|line| line.split_once('='))
        .map(|(key, value)| (key.trim().to_owned(), value.trim().to_owned()))
        .collect()
}

#[test]
fn image_has_one_fat32_partition_at_1_mib() {
    let card = card();
    let bytes = std::fs::read(&card.image).unwrap();
    assert_eq!(bytes.len() as u64, IMAGE_BYTES, "image size");
    assert_eq!(bytes[510..512], MBR_SIGNATURE, "no MBR signature");
    let entry = &bytes[MBR_PARTITION_TABLE..MBR_PARTITION_TABLE + 16];
    let start = u32::from_le_bytes(entry[8..12].try_into().unwrap()) as u64;
    let sectors = u32::from_le_bytes(entry[12..16].try_into().unwrap()) as u64;
    assert_eq!(entry[4], FAT32_LBA, "partition type");
    assert_eq!(start, PARTITION_START_SECTOR, "partition start");
    assert_eq!((start + sectors) * SECTOR, IMAGE_BYTES, "partition end");
    let others = &bytes[MBR_PARTITION_TABLE + 16..510];
    assert!(others.iter().all(|&b| b == 0), "only one partition");
    // The FAT32 boot sector of the partition names its file system type.
    let boot_sector = (PARTITION_START_SECTOR * SECTOR) as usize;
    assert_eq!(
        &bytes[boot_sector + 82..boot_sector + 90],
        b"FAT32   ",
        "the partition is not FAT32"
    );
}

#[test]
fn image_holds_the_boot_files_and_boot_dir_the_same() {
    let card = card();
    let listing = run(Command::new("mdir")
        .arg("-b")
        .arg("-i")
        .arg(card.fat())
        .arg("::"));
    let names: Vec<&str> = listing
        .lines()
        .filter_map(|line| line.trim().strip_prefix("::/"))
        .collect();
    for file in BOOT_FILES {
        assert!(
            names.contains(&file),
            "{file} is not on the card; mdir lists:\n{listing}"
        );
        let on_card = std::fs::read(extract(card, file)).unwrap();
        assert!(!on_card.is_empty(), "{file} on the card is empty");
        let in_boot_dir = std::fs::read(card.boot_dir.join(file))
            .unwrap_or_else(|err| panic!("{file} is not in boot/: {err}"));
        assert!(
            on_card == in_boot_dir,
            "{file} differs between the image and boot/"
        );
    }
}

#[test]
fn config_txt_on_the_card_sets_up_the_pi() {
    let card = card();
    let text = std::fs::read_to_string(extract(card, "config.txt")).unwrap();
    let entries = config_entries(&text);
    for (key, value) in CONFIG {
        assert_eq!(
            entries.get(key).map(String::as_str),
            Some(value),
            "config.txt must set {key}={value}; it is:\n{text}"
        );
    }
    // The firmware must load the image where the linker put it.
    let link = std::fs::read_to_string(workspace_root().join("boards/raspi3b/link.ld")).unwrap();
    let load = link
        .lines()
        .find_map(|l| l.trim().strip_prefix("__load_address = "))
        .and_then(|rest| rest.trim_end_matches(';').strip_prefix("0x"))
        .map(|hex| u64::from_str_radix(hex, 16).expect("link.ld's __load_address"))
        .expect("link.ld sets __load_address");
    let address = entries
        .get("kernel_address")
        .and_then(|v| v.strip_prefix("0x"))
        .map(|hex| u64::from_str_radix(hex, 16).expect("config.txt's kernel_address"));
    assert_eq!(
        address,
        Some(load),
        "config.txt's kernel_address must be link.ld's __load_address"
    );
    assert!(
        text.is_ascii() && !text.contains('\r'),
        "plain ASCII with LF"
    );
}

#[test]
fn kernel8_img_on_the_card_is_the_build_output_and_boots() {
    let card = card();
    let kernel = extract(card, "kernel8.img");
    let built = std::fs::read(image_path()).unwrap();
    assert!(
        std::fs::read(&kernel).unwrap() == built,
        "kernel8.img on the card differs from {}",
        image_path().display()
    );
    let mut qemu = Qemu::boot(&kernel, "kernel8_img_on_the_card_boots");
    let banner = qemu.wait_for_prompt(BOOT_TIMEOUT);
    assert!(banner.contains("starting on core 0 at EL2"), "{banner}");
}
