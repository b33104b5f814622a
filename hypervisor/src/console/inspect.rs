//! What the VM inspection commands print: `vmregs` (lab 1 of the course)
//! and `vmstat` (lab 2). Pure formatting, so the host tests can check it;
//! `console::commands` finds the VM and calls these.
//!
//! `vmregs <id>` prints, exactly:
//!
//! ```text
//! VM 2 'lrtos' registers:
//! x0  0x0000000000000000  x1  0x0000000000000001  x2  0x...  x3  0x...
//! ... (x0 to x30, four a line)
//! pc  0x0000000000081234  pstate 0x00000000000003c5
//! ```
//!
//! `vmstat <id>` prints a header and one line per device of the virtual
//! board's dispatch table, in its order, then `absent` (accesses no model
//! decodes): the name, left-aligned in 16 columns, and the number of the
//! VM's MMIO accesses it answered since the VM was created or last reset.
//!
//! ```text
//! VM 1 'echo' MMIO accesses by device:
//! system_timer     0
//! ...
//! aux              208
//! ```

// LAB 1: BEGIN SOLUTION
use ufmt::{uWrite, uwrite, uwriteln};
// LAB 1: END SOLUTION
// LAB 1: BEGIN STUB
// use ufmt::{uWrite, uwriteln};
// LAB 1: END STUB

/// Registers on one line of `vmregs`.
pub const REGS_PER_LINE: usize = 4;

/// A vCPU's registers as `vmregs` shows them (the saved frame's x0-x30, PC
/// and PSTATE, copied out by `console::commands`).
pub struct Regs {
    /// x0 to x30.
    pub x: [u64; 31],
    /// Where the vCPU resumes (ELR_EL2 at the exit).
    pub pc: u64,
    /// Its PSTATE (SPSR_EL2 at the exit).
    pub pstate: u64,
}

// LAB 1: BEGIN SOLUTION
/// `vmregs`: the VM's saved general registers, PC and PSTATE.
pub fn write_regs<W: uWrite>(
    out: &mut W,
    id: usize,
    name: &str,
    frame: &Regs,
) -> Result<(), W::Error> {
    uwriteln!(out, "VM {} '{}' registers:", id, name)?;
    for (i, x) in frame.x.iter().enumerate() {
        let pad = if i < 10 { "  " } else { " " };
        uwrite!(out, "x{}{}{:#018x}", i, pad, *x)?;
        let last = i + 1 == frame.x.len();
        if (i + 1) % REGS_PER_LINE == 0 || last {
            uwriteln!(out, "")?;
        } else {
            uwrite!(out, "  ")?;
        }
    }
    uwriteln!(out, "pc  {:#018x}  pstate {:#018x}", frame.pc, frame.pstate)
}
// LAB 1: END SOLUTION
// LAB 1: BEGIN STUB
// /// `vmregs`: the VM's saved general registers, PC and PSTATE.
// pub fn write_regs<W: uWrite>(
//     out: &mut W,
//     id: usize,
//     name: &str,
//     frame: &Regs,
// ) -> Result<(), W::Error> {
//     // Lab 1: print what the module documentation shows.
//     let _ = (id, name, frame);
//     uwriteln!(out, "vmregs: not written yet")
// }
// LAB 1: END STUB

/// Width of the name column of `vmstat`.
pub const NAME_WIDTH: usize = 16;

/// `vmstat`: `counts[i]` accesses answered by the device called `names[i]`.
pub fn write_stats<W: uWrite>(
    out: &mut W,
    id: usize,
    name: &str,
    names: &[&str],
    counts: &[u64],
) -> Result<(), W::Error> {
    // LAB 2: BEGIN SOLUTION
    uwriteln!(out, "VM {} '{}' MMIO accesses by device:", id, name)?;
    for (device, count) in names.iter().zip(counts) {
        uwrite!(out, "{}", *device)?;
        for _ in device.len()..NAME_WIDTH {
            out.write_char(' ')?;
        }
        uwriteln!(out, " {}", *count)?;
    }
    Ok(())
    // LAB 2: END SOLUTION
    // LAB 2: BEGIN STUB
    // // Lab 2: print what the module documentation shows.
    // let _ = (id, name, names, counts);
    // uwriteln!(out, "vmstat: not written yet")
    // LAB 2: END STUB
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::String;

    /// ufmt into a String.
    struct Text(String);
    impl uWrite for Text {
        type Error = core::convert::Infallible;
        fn write_str(&mut self, s: &str) -> Result<(), Self::Error> {
            self.0.push_str(s);
            Ok(())
        }
    }

    // LAB 1: BEGIN SOLUTION
    #[test]
    fn vmregs_layout() {
        let mut frame = Regs {
            x: [0; 31],
            pc: 0x81234,
            pstate: 0x3c5,
        };
        for (i, x) in frame.x.iter_mut().enumerate() {
            *x = i as u64;
        }
        let mut out = Text(String::new());
        write_regs(&mut out, 2, "lrtos", &frame).unwrap();
        let lines: Vec<&str> = out.0.lines().collect();
        assert_eq!(lines[0], "VM 2 'lrtos' registers:");
        assert_eq!(
            lines[1],
            "x0  0x0000000000000000  x1  0x0000000000000001  x2  0x0000000000000002  x3  0x0000000000000003"
        );
        assert_eq!(
            lines[8],
            "x28 0x000000000000001c  x29 0x000000000000001d  x30 0x000000000000001e"
        );
        assert_eq!(
            lines[9],
            "pc  0x0000000000081234  pstate 0x00000000000003c5"
        );
        assert_eq!(lines.len(), 10);
    }
    // LAB 1: END SOLUTION
    // LAB 1: BEGIN STUB
    // /// Lab 1: replace with your tests of `write_regs` (the layout the
    // /// module documentation shows), written into a [`Text`].
    // #[test]
    // fn vmregs_writes_into_text() {
    //     let frame = Regs {
    //         x: [0; 31],
    //         pc: 0,
    //         pstate: 0,
    //     };
    //     let mut out = Text(String::new());
    //     write_regs(&mut out, 2, "lrtos", &frame).unwrap();
    //     assert!(!out.0.is_empty());
    // }
    // LAB 1: END STUB
}
