//! `vmtrace`: a VM's trapped MMIO accesses, one line each, written into the
//! VM's own console output (its scrollback, and the wire when it has the
//! focus), so a student sees a guest probe the board between the lines the
//! guest itself prints.
//!
//! A line names the direction, the address, the device model and register
//! that answered, and the value:
//!
//! ```text
//! [vmtrace] read  0x3f215054 aux.AUX_MU_LSR_REG = 0x60
//! [vmtrace] write 0x3f215040 aux.AUX_MU_IO_REG = 0x55
//! [vmtrace] read  0x3f980040 absent.- = 0x0
//! ```
//!
//! A guest that polls a register prints the same access many times in a
//! row; the tracer shows it once and then counts:
//! `[vmtrace] (the same access 41 more times)`. The count is printed when a
//! different access comes, or when tracing is switched off.
//!
//! The accesses of an instruction the syndrome could not describe (a pair,
//! writeback, a SIMD&FP register), which the hypervisor decoded, are
//! followed by a line that says so and counts them:
//! `[vmtrace] (decoded from the instruction at pc 0x80a4; 3 decoded so far)`.

use crate::emu::Access;
use ufmt::{uWrite, uwrite, uwriteln};

/// Starts every line the tracer writes.
pub const PREFIX: &str = "[vmtrace] ";

/// One access, as the tracer compares them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Record {
    ipa: u64,
    write: bool,
    access: Access,
}

// ANCHOR: tracer
/// A VM's tracer: off, or on with the last access it printed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tracer {
    on: bool,
    last: Option<Record>,
    /// How many times `last` came again since it was printed.
    repeats: u64,
}

impl Tracer {
    /// A tracer that is off.
    pub const fn new() -> Self {
        Self {
            on: false,
            last: None,
            repeats: 0,
        }
    }

    /// Whether accesses are being traced.
    pub fn is_on(&self) -> bool {
        self.on
    }

    /// Switch tracing on or off. Switching off prints the pending repeat
    /// count, if any, to `out`.
    pub fn set<W: uWrite>(&mut self, on: bool, out: &mut W) -> Result<(), W::Error> {
        if !on {
            self.flush_repeats(out)?;
            self.last = None;
        }
        self.on = on;
        Ok(())
    }

    /// Trace one access at `ipa` (`write` for a store). `at_line_start`
    /// says whether the VM's output ends with a newline; if not, the trace
    /// line starts on a new line so it does not run into the guest's text.
    pub fn record<W: uWrite>(
        &mut self,
        out: &mut W,
        ipa: u64,
        write: bool,
        access: Access,
        at_line_start: bool,
    ) -> Result<(), W::Error> {
        if !self.on {
            return Ok(());
        }
        let record = Record { ipa, write, access };
        if self.last == Some(record) {
            self.repeats += 1;
            return Ok(());
        }
        if !at_line_start {
            out.write_str("\r\n")?;
        }
        self.flush_repeats(out)?;
        let direction = if write { "write" } else { "read " };
        uwriteln!(
            out,
            "{}{} {:#x} {}.{} = {:#x}\r",
            PREFIX,
            direction,
            ipa,
            access.device,
            access.register,
            access.value
        )?;
        self.last = Some(record);
        Ok(())
    }

    /// Say that the accesses just traced were one instruction at `pc`
    /// that the hypervisor decoded (the syndrome could not describe it),
    /// the VM's `count`th. The next access is printed even if it repeats.
    pub fn decoded<W: uWrite>(&mut self, out: &mut W, pc: u64, count: u64) -> Result<(), W::Error> {
        if !self.on {
            return Ok(());
        }
        self.flush_repeats(out)?;
        uwriteln!(
            out,
            "{}(decoded from the instruction at pc {:#x}; {} decoded so far)\r",
            PREFIX,
            pc,
            count
        )?;
        self.last = None;
        Ok(())
    }

    /// Print how often the last access repeated, if it did.
    fn flush_repeats<W: uWrite>(&mut self, out: &mut W) -> Result<(), W::Error> {
        if self.repeats > 0 {
            uwrite!(
                out,
                "{}(the same access {} more times)\r\n",
                PREFIX,
                self.repeats
            )?;
            self.repeats = 0;
        }
        Ok(())
    }
}
// ANCHOR_END: tracer

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::string::String;

    fn access(device: &'static str, register: &'static str, value: u64) -> Access {
        Access {
            device,
            register,
            value,
        }
    }

    const LSR: u64 = 0x3f21_5054;
    const IO: u64 = 0x3f21_5040;

    #[test]
    fn off_prints_nothing() {
        let mut t = Tracer::new();
        let mut s = String::new();
        t.record(
            &mut s,
            LSR,
            false,
            access("aux", "AUX_MU_LSR_REG", 0x60),
            true,
        )
        .unwrap();
        assert_eq!(s, "");
        assert!(!t.is_on());
    }

    #[test]
    fn one_line_per_access() {
        let mut t = Tracer::new();
        let mut s = String::new();
        t.set(true, &mut s).unwrap();
        t.record(
            &mut s,
            LSR,
            false,
            access("aux", "AUX_MU_LSR_REG", 0x60),
            true,
        )
        .unwrap();
        t.record(&mut s, IO, true, access("aux", "AUX_MU_IO_REG", 0x55), true)
            .unwrap();
        assert_eq!(
            s,
            "[vmtrace] read  0x3f215054 aux.AUX_MU_LSR_REG = 0x60\r\n\
             [vmtrace] write 0x3f215040 aux.AUX_MU_IO_REG = 0x55\r\n"
        );
    }

    #[test]
    fn repeats_are_counted_and_printed_before_the_next_access() {
        let mut t = Tracer::new();
        let mut s = String::new();
        t.set(true, &mut s).unwrap();
        let status = access("sdhci", "PRESENT_STATE", 0);
        for _ in 0..5 {
            t.record(&mut s, 0x3f30_0024, false, status, true).unwrap();
        }
        assert_eq!(s.lines().count(), 1, "{s}");
        t.record(&mut s, IO, true, access("aux", "AUX_MU_IO_REG", 0x41), true)
            .unwrap();
        let lines: std::vec::Vec<&str> = s.lines().collect();
        assert_eq!(lines[1], "[vmtrace] (the same access 4 more times)");
        assert!(lines[2].starts_with("[vmtrace] write 0x3f215040"));
    }

    #[test]
    fn a_different_value_is_a_different_access() {
        let mut t = Tracer::new();
        let mut s = String::new();
        t.set(true, &mut s).unwrap();
        t.record(
            &mut s,
            LSR,
            false,
            access("aux", "AUX_MU_LSR_REG", 0x60),
            true,
        )
        .unwrap();
        t.record(
            &mut s,
            LSR,
            false,
            access("aux", "AUX_MU_LSR_REG", 0x61),
            true,
        )
        .unwrap();
        assert_eq!(s.lines().count(), 2);
    }

    #[test]
    fn switching_off_flushes_the_count_and_on_again_starts_afresh() {
        let mut t = Tracer::new();
        let mut s = String::new();
        t.set(true, &mut s).unwrap();
        let a = access("absent", "-", 0);
        t.record(&mut s, 0x3f98_0040, false, a, true).unwrap();
        t.record(&mut s, 0x3f98_0040, false, a, true).unwrap();
        t.set(false, &mut s).unwrap();
        assert!(
            s.ends_with("[vmtrace] (the same access 1 more times)\r\n"),
            "{s}"
        );
        s.clear();
        t.set(true, &mut s).unwrap();
        t.record(&mut s, 0x3f98_0040, false, a, true).unwrap();
        assert_eq!(s, "[vmtrace] read  0x3f980040 absent.- = 0x0\r\n");
    }

    #[test]
    fn a_line_in_the_middle_of_guest_output_starts_a_new_line() {
        let mut t = Tracer::new();
        let mut s = String::new();
        t.set(true, &mut s).unwrap();
        t.record(
            &mut s,
            IO,
            true,
            access("aux", "AUX_MU_IO_REG", 0x55),
            false,
        )
        .unwrap();
        assert!(s.starts_with("\r\n[vmtrace] write"), "{s}");
    }
}
