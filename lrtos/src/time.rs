//! Time on the ARM generic timer: converting milliseconds to counter ticks.
//!
//! The counter (CNTVCT_EL0) counts up at CNTFRQ_EL0 Hz: 62.5 MHz under
//! QEMU, 19.2 MHz on a real Raspberry Pi 3. lrtos keeps all times in
//! counter ticks and converts at the edges.

/// Milliseconds in a second.
pub const MS_PER_SECOND: u64 = 1_000;

/// The scheduler's time slice: a task that does not block runs this long
/// before the timer interrupt gives the CPU to the next one.
pub const TIME_SLICE_MS: u64 = 10;

/// Counter ticks in `ms` milliseconds at a counter rate of `freq` Hz
/// (saturating, so absurd sleeps do not wrap round to short ones).
pub const fn ms_to_ticks(ms: u64, freq: u64) -> u64 {
    ms.saturating_mul(freq) / MS_PER_SECOND
}

/// Whole milliseconds in `ticks` counter ticks at `freq` Hz (0 if the
/// rate is unknown).
pub const fn ticks_to_ms(ticks: u64, freq: u64) -> u64 {
    match freq {
        0 => 0,
        _ => ticks.saturating_mul(MS_PER_SECOND) / freq,
    }
}

/// The counter value `ms` milliseconds after `now`.
pub const fn deadline(now: u64, ms: u64, freq: u64) -> u64 {
    now.saturating_add(ms_to_ticks(ms, freq))
}

#[cfg(test)]
mod tests {
    use super::*;

    const QEMU_HZ: u64 = 62_500_000;
    const PI3_HZ: u64 = 19_200_000;

    #[test]
    fn slices_on_qemu_and_the_pi() {
        assert_eq!(ms_to_ticks(TIME_SLICE_MS, QEMU_HZ), 625_000);
        assert_eq!(ms_to_ticks(TIME_SLICE_MS, PI3_HZ), 192_000);
    }

    #[test]
    fn round_trip() {
        assert_eq!(ticks_to_ms(ms_to_ticks(1234, PI3_HZ), PI3_HZ), 1234);
        assert_eq!(ticks_to_ms(5, 0), 0);
    }

    #[test]
    fn deadlines_saturate() {
        assert_eq!(deadline(100, 1, 1_000), 101);
        assert_eq!(deadline(u64::MAX - 1, 1_000, QEMU_HZ), u64::MAX);
        assert_eq!(ms_to_ticks(u64::MAX, QEMU_HZ), u64::MAX / MS_PER_SECOND);
    }
}
