//! The device-tree edit the Raspberry Pi firmware makes before it starts a
//! kernel, done for a Linux VM by the hypervisor, which is that VM's firmware.
//!
//! On a real Pi 3 the firmware (`start.elf`) loads the kernel's own device
//! tree (`bcm2837-rpi-3-b.dtb`) and writes into it what only it knows: the
//! RAM the ARM gets (`/memory`), the command line (`/chosen/bootargs`) and
//! where it put the initrd (`/chosen/linux,initrd-start` and `-end`). It
//! leaves the four CPU nodes alone: a BCM2837 always has four cores. A VM has
//! as many cores as its vCPUs (one, in this version), so its tree lists only
//! those, the way the tree of a one-core SoC (the Pi Zero's BCM2835) does:
//! `cpu@0` is kept and the other `/cpus/cpu@N` nodes are removed (rather than
//! marked `status = "disabled"`, which would still describe a core that exists
//! but is switched off). Nothing else changes: every other node and property
//! is copied byte for byte, phandles and the memory reservation block included.
//!
//! The tree is read with the `fdt` crate and written anew with `vm-fdt`. The
//! hypervisor's build script does the edit today, since every guest is known
//! when kernel8.img is built, which keeps FDT code out of the EL2 image. A
//! guest loaded from the SD card would need the same edit at load time; this
//! crate then moves into the hypervisor (it needs only `alloc`).

#![deny(missing_docs)]

use fdt::node::FdtNode;
use fdt::Fdt;
use vm_fdt::{FdtReserveEntry, FdtWriter};

/// What the firmware writes into the tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Edit<'a> {
    /// The RAM the VM has: base and size (guest physical).
    pub memory: (u64, u64),
    /// The kernel command line, if the VM list gives one.
    pub bootargs: Option<&'a str>,
    /// Where the initrd is (start, end exclusive), if there is one.
    pub initrd: Option<(u64, u64)>,
    /// How many CPUs the VM has: `cpu@0` .. `cpu@(cpus-1)` stay.
    pub cpus: u32,
}

/// Why the tree could not be edited.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// The input is not a flattened device tree (the `fdt` crate's reason).
    NotDtb(String),
    /// The tree has no `/cpus` node.
    NoCpus,
    /// Writing the edited tree failed (the `vm-fdt` crate's reason).
    Write(String),
}

impl core::fmt::Display for Error {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Error::NotDtb(why) => write!(f, "not a flattened device tree ({why})"),
            Error::NoCpus => write!(f, "the device tree has no /cpus node"),
            Error::Write(why) => write!(f, "cannot write the edited device tree ({why})"),
        }
    }
}

impl From<vm_fdt::Error> for Error {
    fn from(e: vm_fdt::Error) -> Self {
        Error::Write(e.to_string())
    }
}

/// `/chosen` properties the firmware owns: replaced, never copied.
const CHOSEN_OWNED: [&str; 3] = ["bootargs", "linux,initrd-start", "linux,initrd-end"];
/// Default cell counts when the root does not say (the devicetree spec's).
const DEFAULT_ADDRESS_CELLS: u32 = 2;
const DEFAULT_SIZE_CELLS: u32 = 1;

/// Where a node sits, for deciding what to edit.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Place {
    Root,
    RootChild,
    Cpus,
    Other,
}

struct Editor<'e> {
    edit: &'e Edit<'e>,
    address_cells: u32,
    size_cells: u32,
    memory_done: bool,
    chosen_done: bool,
}

// ANCHOR: edit
/// Edit `dtb` as the Pi firmware would for a VM described by `edit`, and
/// return the new tree.
pub fn edit(dtb: &[u8], edit: &Edit<'_>) -> Result<Vec<u8>, Error> {
    let tree = Fdt::new(dtb).map_err(|e| Error::NotDtb(format!("{e:?}")))?;
    tree.find_node("/cpus").ok_or(Error::NoCpus)?;
    let root = tree.find_node("/").ok_or(Error::NoCpus)?;
    let reservations = tree
        .memory_reservations()
        .map(|r| FdtReserveEntry::new(r.address() as u64, r.size() as u64))
        .collect::<Result<Vec<_>, _>>()?;
    let mut out = FdtWriter::new_with_mem_reserv(&reservations)?;
    let cells = |name, default| {
        root.property(name)
            .and_then(|p| p.as_usize())
            .map_or(default, |v| v as u32)
    };
    let mut editor = Editor {
        edit,
        address_cells: cells("#address-cells", DEFAULT_ADDRESS_CELLS),
        size_cells: cells("#size-cells", DEFAULT_SIZE_CELLS),
        memory_done: false,
        chosen_done: false,
    };
    editor.copy(&mut out, root, Place::Root)?;
    Ok(out.finish()?)
}
// ANCHOR_END: edit

impl Editor<'_> {
    /// Copy `node` and its subtree into `out`, editing what the firmware owns.
    fn copy(
        &mut self,
        out: &mut FdtWriter,
        node: FdtNode<'_, '_>,
        place: Place,
    ) -> Result<(), Error> {
        let name = if place == Place::Root { "" } else { node.name };
        let handle = out.begin_node(name)?;
        let is_memory = place == Place::RootChild
            && node.property("device_type").and_then(|p| p.as_str()) == Some("memory");
        let is_chosen = place == Place::RootChild && node_base(node.name) == "chosen";
        for prop in node.properties() {
            let owned = (is_memory && prop.name == "reg")
                || (is_chosen && CHOSEN_OWNED.contains(&prop.name));
            if !owned {
                out.property(prop.name, prop.value)?;
            }
        }
        if is_memory {
            self.write_memory(out)?;
        }
        if is_chosen {
            self.write_chosen(out)?;
        }
        let child_place = match place {
            Place::Root => Place::RootChild,
            Place::RootChild if node_base(node.name) == "cpus" => Place::Cpus,
            _ => Place::Other,
        };
        for child in node.children() {
            if child_place == Place::Cpus && !self.cpu_kept(child) {
                continue;
            }
            self.copy(out, child, child_place)?;
        }
        if place == Place::Root {
            // A tree without these nodes gets them, as the firmware adds them.
            if !self.memory_done {
                let memory = out.begin_node("memory@0")?;
                out.property_string("device_type", "memory")?;
                self.write_memory(out)?;
                out.end_node(memory)?;
            }
            if !self.chosen_done {
                let chosen = out.begin_node("chosen")?;
                self.write_chosen(out)?;
                out.end_node(chosen)?;
            }
        }
        out.end_node(handle)?;
        Ok(())
    }

    /// A CPU node stays when its `reg` (the MPIDR affinity) is below the
    /// VM's CPU count; other children of `/cpus` (a `cpu-map`) stay too.
    fn cpu_kept(&self, node: FdtNode<'_, '_>) -> bool {
        let is_cpu = node.property("device_type").and_then(|p| p.as_str()) == Some("cpu");
        if !is_cpu {
            return true;
        }
        let id = node
            .property("reg")
            .and_then(|p| p.as_usize())
            .unwrap_or(usize::MAX);
        id < self.edit.cpus as usize
    }

    fn write_memory(&mut self, out: &mut FdtWriter) -> Result<(), Error> {
        let (base, size) = self.edit.memory;
        let mut reg = cells(base, self.address_cells);
        reg.extend(cells(size, self.size_cells));
        out.property("reg", &reg)?;
        self.memory_done = true;
        Ok(())
    }

    fn write_chosen(&mut self, out: &mut FdtWriter) -> Result<(), Error> {
        if let Some(args) = self.edit.bootargs {
            out.property_string("bootargs", args)?;
        }
        if let Some((start, end)) = self.edit.initrd {
            // The firmware writes one cell when the address fits; Linux reads
            // either length.
            out.property("linux,initrd-start", &cells(start, cells_for(start)))?;
            out.property("linux,initrd-end", &cells(end, cells_for(end)))?;
        }
        self.chosen_done = true;
        Ok(())
    }
}

/// A node name without its unit address: `memory@0` -> `memory`.
fn node_base(name: &str) -> &str {
    name.split('@').next().unwrap_or(name)
}

/// One cell for a value that fits 32 bits, else two.
fn cells_for(value: u64) -> u32 {
    if value <= u64::from(u32::MAX) {
        1
    } else {
        2
    }
}

/// `value` as `count` big-endian 32-bit cells.
fn cells(value: u64, count: u32) -> Vec<u8> {
    let bytes = value.to_be_bytes();
    match count {
        1 => bytes[4..].to_vec(),
        _ => {
            let mut v = vec![0; 4 * (count as usize - 2)];
            v.extend_from_slice(&bytes);
            v
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A tree shaped like the Pi 3's: one address and size cell, four
    /// spin-table CPUs, memory@0 with 1 GiB, a chosen with firmware-owned
    /// values to be replaced, a device with a phandle and a reservation.
    fn pi3_like_tree() -> Vec<u8> {
        let mut w =
            FdtWriter::new_with_mem_reserv(&[FdtReserveEntry::new(0, 0x1000).unwrap()]).unwrap();
        let root = w.begin_node("").unwrap();
        w.property_string("compatible", "raspberrypi,3-model-b")
            .unwrap();
        w.property_u32("#address-cells", 1).unwrap();
        w.property_u32("#size-cells", 1).unwrap();
        let chosen = w.begin_node("chosen").unwrap();
        w.property_string("bootargs", "from the dts").unwrap();
        w.property_string("stdout-path", "serial1:115200n8")
            .unwrap();
        w.end_node(chosen).unwrap();
        let memory = w.begin_node("memory@0").unwrap();
        w.property_string("device_type", "memory").unwrap();
        w.property_array_u32("reg", &[0, 0x4000_0000]).unwrap();
        w.end_node(memory).unwrap();
        let cpus = w.begin_node("cpus").unwrap();
        w.property_u32("#address-cells", 1).unwrap();
        w.property_u32("#size-cells", 0).unwrap();
        for n in 0..4u32 {
            let cpu = w.begin_node(&format!("cpu@{n}")).unwrap();
            w.property_string("device_type", "cpu").unwrap();
            w.property_string("enable-method", "spin-table").unwrap();
            w.property_u32("reg", n).unwrap();
            w.property_u64("cpu-release-addr", 0xd8 + 8 * u64::from(n))
                .unwrap();
            w.end_node(cpu).unwrap();
        }
        w.end_node(cpus).unwrap();
        let soc = w.begin_node("soc").unwrap();
        let uart = w.begin_node("serial@7e215040").unwrap();
        w.property_string("compatible", "brcm,bcm2835-aux-uart")
            .unwrap();
        w.property_phandle(7).unwrap();
        w.end_node(uart).unwrap();
        w.end_node(soc).unwrap();
        w.end_node(root).unwrap();
        w.finish().unwrap()
    }

    const EDIT: Edit<'static> = Edit {
        memory: (0, 256 << 20),
        bootargs: Some("console=ttyS1,115200 rdinit=/init"),
        initrd: Some((0xfd0_0000, 0xfdf_1000)),
        cpus: 1,
    };

    fn be32(bytes: &[u8]) -> Vec<u32> {
        bytes
            .chunks(4)
            .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]))
            .collect()
    }

    #[test]
    fn writes_memory_chosen_and_one_cpu() {
        let edited = edit(&pi3_like_tree(), &EDIT).unwrap();
        let tree = Fdt::new(&edited).unwrap();
        let memory = tree.find_node("/memory@0").unwrap();
        assert_eq!(be32(memory.property("reg").unwrap().value), [0, 256 << 20]);
        let region = tree.memory().regions().next().unwrap();
        assert_eq!(region.size, Some(256 << 20));
        assert_eq!(
            tree.chosen().bootargs(),
            Some("console=ttyS1,115200 rdinit=/init")
        );
        let chosen = tree.find_node("/chosen").unwrap();
        assert_eq!(
            be32(chosen.property("linux,initrd-start").unwrap().value),
            [0xfd0_0000]
        );
        assert_eq!(
            be32(chosen.property("linux,initrd-end").unwrap().value),
            [0xfdf_1000]
        );
        // What the firmware does not own is kept.
        assert_eq!(
            chosen.property("stdout-path").and_then(|p| p.as_str()),
            Some("serial1:115200n8")
        );
        let cpus: Vec<_> = tree.cpus().map(|c| c.ids().first()).collect();
        assert_eq!(cpus, [0], "only the VM's one CPU");
        assert!(tree.find_node("/cpus/cpu@1").is_none());
    }

    #[test]
    fn keeps_everything_else_byte_for_byte() {
        let original = pi3_like_tree();
        let edited = edit(&original, &EDIT).unwrap();
        let (a, b) = (Fdt::new(&original).unwrap(), Fdt::new(&edited).unwrap());
        let uart = |t: &Fdt<'_>| {
            let n = t.find_node("/soc/serial@7e215040").unwrap();
            n.properties()
                .map(|p| (p.name.to_owned(), p.value.to_vec()))
                .collect::<Vec<_>>()
        };
        assert_eq!(uart(&a), uart(&b));
        assert_eq!(b.find_phandle(7).map(|n| n.name), Some("serial@7e215040"));
        let reservations: Vec<_> = b
            .memory_reservations()
            .map(|r| (r.address() as u64, r.size()))
            .collect();
        assert_eq!(reservations, [(0, 0x1000)]);
        assert_eq!(a.root().compatible().first(), b.root().compatible().first());
        let cpu0 = |t: &Fdt<'_>| {
            let n = t.find_node("/cpus/cpu@0").unwrap();
            n.properties()
                .map(|p| (p.name.to_owned(), p.value.to_vec()))
                .collect::<Vec<_>>()
        };
        assert_eq!(cpu0(&a), cpu0(&b));
    }

    #[test]
    fn without_initrd_or_bootargs_leaves_them_out() {
        let e = Edit {
            bootargs: None,
            initrd: None,
            cpus: 4,
            ..EDIT
        };
        let tree_bytes = edit(&pi3_like_tree(), &e).unwrap();
        let tree = Fdt::new(&tree_bytes).unwrap();
        let chosen = tree.find_node("/chosen").unwrap();
        assert!(
            chosen.property("bootargs").is_none(),
            "the dts's bootargs are the firmware's to replace"
        );
        assert!(chosen.property("linux,initrd-start").is_none());
        assert_eq!(tree.cpus().count(), 4);
    }

    #[test]
    fn adds_missing_nodes_and_refuses_garbage() {
        let mut w = FdtWriter::new().unwrap();
        let root = w.begin_node("").unwrap();
        w.property_u32("#address-cells", 2).unwrap();
        w.property_u32("#size-cells", 2).unwrap();
        let cpus = w.begin_node("cpus").unwrap();
        w.end_node(cpus).unwrap();
        w.end_node(root).unwrap();
        let bare = w.finish().unwrap();
        let edited = edit(&bare, &EDIT).unwrap();
        let tree = Fdt::new(&edited).unwrap();
        let reg = tree
            .find_node("/memory@0")
            .unwrap()
            .property("reg")
            .unwrap()
            .value
            .to_vec();
        assert_eq!(
            be32(&reg),
            [0, 0, 0, 256 << 20],
            "two address and two size cells"
        );
        assert!(tree.chosen().bootargs().is_some());
        assert!(matches!(
            edit(b"not a device tree at all", &EDIT),
            Err(Error::NotDtb(_))
        ));
        let mut w = FdtWriter::new().unwrap();
        let root = w.begin_node("").unwrap();
        w.end_node(root).unwrap();
        assert_eq!(edit(&w.finish().unwrap(), &EDIT), Err(Error::NoCpus));
    }

    #[test]
    fn large_initrd_addresses_take_two_cells() {
        assert_eq!(
            cells(0x1_0000_0000, cells_for(0x1_0000_0000)),
            [0, 0, 0, 1, 0, 0, 0, 0]
        );
        assert_eq!(cells(5, 1), [0, 0, 0, 5]);
        assert_eq!(cells(5, 3), [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5]);
    }
}
