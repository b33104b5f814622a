//! Build script: links the bare-metal binary with the board's linker
//! script, and turns the static VM list (`guests/vms.list`, or the file
//! named by `FERROVISOR_VMS`) into a table with the guest images embedded.
//! A bad list stops the build with a message naming the line and the VM.
//!
//! For a Linux VM (an arm64 `Image` with `dtb=`, `initrd=`, `bootargs=`) the
//! build plays the firmware's part that can be done before boot: it checks
//! the Image's header, places kernel, device tree and initrd in the VM's RAM
//! (`vm/linux_image.rs`) and edits the VM's copy of the device tree as the
//! Pi firmware does (crate `firmware-dt`). Doing it here, when every guest is
//! known, keeps FDT code out of the EL2 image; the reset path only copies the
//! blobs and sets x0.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

#[path = "src/board.rs"]
#[allow(dead_code, unused_imports)]
mod board;
#[path = "src/vm/linux_image.rs"]
#[allow(dead_code)]
mod linux_image;
#[path = "src/vm/list.rs"]
#[allow(dead_code)]
mod list;

/// vCPUs a VM has in this version: the CPUs its device tree keeps.
const VCPUS_PER_VM: u32 = 1;

fn main() {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let root = manifest
        .parent()
        .expect("the crate is inside the workspace");
    let linker_script = root.join("boards/raspi3b/link.ld");
    println!("cargo:rerun-if-changed={}", linker_script.display());
    println!("cargo:rerun-if-env-changed=FERROVISOR_VMS");
    let on_board = std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("none");
    if on_board {
        println!("cargo:rustc-link-arg-bins=-T{}", linker_script.display());
    }

    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("vms.rs");
    // Host builds (unit tests) have no guest images: an empty table.
    let table = if on_board {
        vm_table(root)
    } else {
        table_source(&[])
    };
    std::fs::write(&out, table).expect("write the generated VM table");
}

// ANCHOR: vm_table
fn vm_table(root: &Path) -> String {
    let list_path = match std::env::var("FERROVISOR_VMS") {
        Ok(p) => root.join(p),
        Err(_) => root.join("guests/vms.list"),
    };
    println!("cargo:rerun-if-changed={}", list_path.display());
    let text = std::fs::read_to_string(&list_path)
        .unwrap_or_else(|e| fail(&list_path, &format!("cannot read it: {e}")));
    let pool = board::GUEST_POOL_END - board::GUEST_POOL_BASE;
    let mut rows = Vec::new();
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").unwrap());
    let result = list::parse(&text, pool, |entry, offset| {
        let image = root.join(entry.image);
        println!("cargo:rerun-if-changed={}", image.display());
        let missing = |what, path| list::ListError::MissingFile {
            line: entry.line,
            name: entry.name,
            what,
            path,
        };
        let size = std::fs::metadata(&image)
            .map_err(|_| missing("image", entry.image))?
            .len();
        list::check_image(entry, size)?;
        let head = read_head(&image).map_err(|_| missing("image", entry.image))?;
        let initrd = match entry.initrd {
            Some(path) => {
                let file = root.join(path);
                println!("cargo:rerun-if-changed={}", file.display());
                let size = std::fs::metadata(&file)
                    .map_err(|_| missing("initrd", path))?
                    .len();
                Some((file, size))
            }
            None => None,
        };
        let (blobs, boot_x0) = match list::check_linux(entry, &head, initrd.as_ref().map(|i| i.1))?
        {
            None => (String::new(), 0),
            Some(place) => {
                let dtb_path = entry.dtb.expect("check_linux requires dtb=");
                let dtb_file = root.join(dtb_path);
                println!("cargo:rerun-if-changed={}", dtb_file.display());
                let dtb = std::fs::read(&dtb_file).map_err(|_| missing("dtb", dtb_path))?;
                let edited = edit_dtb(entry, &dtb, &place)?;
                let out = out_dir.join(format!("{}.dtb", entry.name));
                std::fs::write(&out, edited).expect("write the edited device tree");
                let mut blobs = format!(
                    "crate::vm::config::Blob {{ load: {:#x}, bytes: include_bytes!({:?}) }}, ",
                    place.dtb, out
                );
                if let (Some((start, _)), Some((file, _))) = (place.initrd, &initrd) {
                    let file = file.canonicalize().unwrap_or(file.clone());
                    blobs += &format!("crate::vm::config::Blob {{ load: {start:#x}, bytes: include_bytes!({file:?}) }}, ");
                }
                (blobs, place.dtb)
            }
        };
        rows.push(format!(
            "VmConfig {{ name: {:?}, image: include_bytes!({:?}), load: {:#x}, entry: {:#x}, ram: {:#x}, cpu: {}, host_base: {:#x}, blobs: &[{blobs}], boot_x0: {boot_x0:#x} }},",
            entry.name,
            image.canonicalize().unwrap_or(image.clone()),
            entry.load,
            entry.entry,
            entry.ram,
            entry.cpu,
            board::GUEST_POOL_BASE + offset,
        ));
        Ok(())
    });
    if let Err(e) = result {
        fail(&list_path, &e.to_string());
    }
    table_source(&rows)
}
// ANCHOR_END: vm_table

/// The first bytes of a file, enough for a Linux Image header.
fn read_head(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read as _;
    let mut head = Vec::with_capacity(linux_image::HEADER_SIZE);
    std::fs::File::open(path)?
        .take(linux_image::HEADER_SIZE as u64)
        .read_to_end(&mut head)?;
    Ok(head)
}

// ANCHOR: edit_dtb
/// The VM's copy of its device tree, edited as the Pi firmware edits it.
fn edit_dtb<'a>(
    entry: &list::Entry<'a>,
    dtb: &[u8],
    place: &linux_image::Placement,
) -> Result<Vec<u8>, list::ListError<'a>> {
    let not_dtb = |why| list::ListError::NotDtb {
        line: entry.line,
        name: entry.name,
        path: entry.dtb.unwrap_or_default(),
        why,
    };
    let edit = firmware_dt::Edit {
        memory: (0, entry.ram),
        bootargs: entry.bootargs,
        initrd: place.initrd,
        cpus: VCPUS_PER_VM,
    };
    let edited = firmware_dt::edit(dtb, &edit).map_err(|e| match e {
        firmware_dt::Error::NotDtb(_) => not_dtb("not a flattened device tree"),
        firmware_dt::Error::NoCpus => not_dtb("the device tree has no /cpus node"),
        firmware_dt::Error::Write(_) => not_dtb("the edited device tree cannot be written"),
    })?;
    if edited.len() as u64 > linux_image::DTB_SLOT {
        return Err(not_dtb(
            "the edited device tree is bigger than its 2 MiB block",
        ));
    }
    Ok(edited)
}
// ANCHOR_END: edit_dtb

fn table_source(rows: &[String]) -> String {
    let mut s =
        String::from("// Generated by hypervisor/build.rs from the VM list. Do not edit.\n");
    let _ = writeln!(s, "/// The VMs, in list order (VM id = index + 1).");
    let _ = writeln!(s, "pub static VM_CONFIGS: [VmConfig; {}] = [", rows.len());
    for row in rows {
        let _ = writeln!(s, "    {row}");
    }
    s.push_str("];\n");
    s
}

fn fail(list: &Path, message: &str) -> ! {
    eprintln!("error: VM list {}: {message}", list.display());
    panic!("VM list {}: {message}", list.display());
}
