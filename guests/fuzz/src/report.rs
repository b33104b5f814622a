//! What the fuzzer prints, in words the harness (`scripts/harness/src/bin/fuzz.rs`)
//! reads back: the seed it runs, a heartbeat with the operations done, and
//! the announcement before an operation that may end the run.

use ufmt::{uDisplay, uWrite, uwrite};

/// Every line the fuzzer prints starts with this.
pub const TAG: &str = "fuzz: ";
/// A heartbeat every this many operations.
pub const HEARTBEAT_EVERY: u64 = 4096;

/// The counts a heartbeat reports.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    /// Operations done.
    pub ops: u64,
    /// Synchronous exceptions the guest took and stepped over (undefined
    /// instructions, alignment faults, whatever the hypervisor injected).
    pub exceptions: u64,
    /// IRQs and FIQs taken.
    pub interrupts: u64,
}

/// A heartbeat: `fuzz: seed 0x2a: 4096 ops, 17 exceptions, 3 interrupts`.
pub struct Heartbeat {
    /// The run's seed.
    pub seed: u64,
    /// The counts.
    pub counters: Counters,
}

impl uDisplay for Heartbeat {
    fn fmt<W: uWrite + ?Sized>(&self, f: &mut ufmt::Formatter<'_, W>) -> Result<(), W::Error> {
        uwrite!(
            f,
            "{}seed {:#x}: {} ops, {} exceptions, {} interrupts",
            TAG,
            self.seed,
            self.counters.ops,
            self.counters.exceptions,
            self.counters.interrupts
        )
    }
}

/// The announcement before op number `op` that may end the run:
/// `fuzz: op 123: expect a halt: load at 0x1234`.
pub struct Announcement<'a> {
    /// The operation's number (the count done before it).
    pub op: u64,
    /// `halt`, `reset` or `power-off`.
    pub outcome: &'a str,
    /// What it is.
    pub what: &'a str,
    /// The address (or function id) it is about.
    pub at: u64,
}

impl uDisplay for Announcement<'_> {
    fn fmt<W: uWrite + ?Sized>(&self, f: &mut ufmt::Formatter<'_, W>) -> Result<(), W::Error> {
        uwrite!(
            f,
            "{}op {}: expect a {}: {} at {:#x}",
            TAG,
            self.op,
            self.outcome,
            self.what,
            self.at
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ufmt::uwrite;

    #[test]
    fn heartbeat_and_announcement_read_as_documented() {
        let mut s = String::new();
        let counters = Counters {
            ops: 4096,
            exceptions: 17,
            interrupts: 3,
        };
        uwrite!(s, "{}", Heartbeat { seed: 42, counters }).unwrap();
        assert_eq!(s, "fuzz: seed 0x2a: 4096 ops, 17 exceptions, 3 interrupts");
        let mut s = String::new();
        let a = Announcement {
            op: 123,
            outcome: "halt",
            what: "load",
            at: 0x1234,
        };
        uwrite!(s, "{}", a).unwrap();
        assert_eq!(s, "fuzz: op 123: expect a halt: load at 0x1234");
    }
}
