//! The hypervisor's own log, read back with `dmesg`.
//!
//! Each record is one line stamped with the time since boot, Linux-style:
//! `[    1.234567] text`. The ring keeps the newest [`LOG_BYTES`] bytes.

use crate::console::ring::HistoryRing;
use ufmt::{uDisplay, uWrite, uwrite};

pub mod kernel;

/// Size of the log ring in bytes.
pub const LOG_BYTES: usize = 16 * 1024;

/// The log ring.
pub type LogRing = HistoryRing<LOG_BYTES>;

pub use crate::arch::aarch64::time::Timestamp;

/// Writes `seconds.micro`, zero-padded to six decimals.
pub struct Seconds(pub Timestamp);

impl uDisplay for Seconds {
    fn fmt<W: uWrite + ?Sized>(&self, f: &mut ufmt::Formatter<'_, W>) -> Result<(), W::Error> {
        let (secs, micros) = self.0.seconds_micros();
        uwrite!(f, "{}.", secs)?;
        let mut digit = 100_000;
        while digit > 0 {
            f.write_char((b'0' + ((micros / digit) % 10) as u8) as char)?;
            digit /= 10;
        }
        Ok(())
    }
}

/// Writes the dmesg prefix: `[    1.234567] `.
impl uDisplay for Timestamp {
    fn fmt<W: uWrite + ?Sized>(&self, f: &mut ufmt::Formatter<'_, W>) -> Result<(), W::Error> {
        let (secs, _) = self.seconds_micros();
        f.write_char('[')?;
        let mut width = 1;
        let mut s = secs;
        while s >= 10 {
            width += 1;
            s /= 10;
        }
        for _ in width..5 {
            f.write_char(' ')?;
        }
        uwrite!(f, "{}] ", Seconds(*self))
    }
}

impl<const N: usize> uWrite for HistoryRing<N> {
    type Error = core::convert::Infallible;

    fn write_str(&mut self, s: &str) -> Result<(), Self::Error> {
        self.write(s.as_bytes());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::string::String;

    fn show(ticks: u64, freq: u64) -> String {
        let mut s = String::new();
        uwrite!(s, "{}", Timestamp { ticks, freq }).unwrap();
        s
    }

    #[test]
    fn formats_like_dmesg() {
        assert_eq!(show(0, 62_500_000), "[    0.000000] ");
        assert_eq!(show(62_500_000 + 77_160, 62_500_000), "[    1.001234] ");
        assert_eq!(show(19_200_000 * 123_456, 19_200_000), "[123456.000000] ");
    }

    #[test]
    fn zero_frequency_does_not_divide_by_zero() {
        assert_eq!(Timestamp { ticks: 5, freq: 0 }.seconds_micros(), (5, 0));
    }

    #[test]
    fn ring_is_a_writer() {
        let mut ring: LogRing = LogRing::new();
        uwrite!(ring, "{} {}", "a", 1).unwrap();
        assert_eq!(ring.as_slices().0, b"a 1");
    }
}
