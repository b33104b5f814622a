//! A reading of the ARM generic timer's counter: ticks and the frequency
//! they count at. Pure data (the log prints it, the run loop computes with
//! it), so it builds on the host; `timer` reads the real counter.

/// A point in time as counter ticks and the counter's frequency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timestamp {
    /// Ticks since the counter started.
    pub ticks: u64,
    /// Ticks per second (CNTFRQ_EL0).
    pub freq: u64,
}

impl Timestamp {
    /// Whole seconds and microseconds.
    pub fn seconds_micros(self) -> (u64, u32) {
        let freq = self.freq.max(1);
        let secs = self.ticks / freq;
        let micros = ((self.ticks % freq) as u128 * 1_000_000 / freq as u128) as u32;
        (secs, micros)
    }
}
