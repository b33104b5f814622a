//! The log ring on the running hypervisor and the [`log!`](crate::log!) macro.
//!
//! On the board a record goes to the ring and to the console, stamped with
//! the generic timer. In host tests (where the run loop logs too) it goes to
//! the ring alone, stamped zero, so a test can read back what was logged.

use super::LogRing;
use core::convert::Infallible;
use spin::Mutex;
use ufmt::{uWrite, uwrite};

/// The hypervisor's log, newest bytes kept.
pub static LOG: Mutex<LogRing> = Mutex::new(LogRing::new());

/// A record being written: to the ring and to the console.
pub struct Record<'a> {
    ring: &'a mut LogRing,
    #[cfg(target_os = "none")]
    console: &'a mut crate::console::output::Writer,
}

impl uWrite for Record<'_> {
    type Error = Infallible;

    fn write_str(&mut self, s: &str) -> Result<(), Infallible> {
        self.ring.write(s.as_bytes());
        #[cfg(target_os = "none")]
        self.console.write_str(s)?;
        Ok(())
    }
}

/// Write one timestamped line. Use through [`log!`](crate::log!).
///
/// Only the formatting of the line's own arguments is generic; the rest
/// (locks, timestamp, ring) is one function for every call site, which
/// keeps the image small.
pub fn record(body: impl FnOnce(&mut Record<'_>) -> Result<(), Infallible>) {
    let mut body = Some(body);
    record_line(&mut |rec| {
        if let Some(body) = body.take() {
            let _ = body(rec);
        }
    });
}

#[cfg(target_os = "none")]
#[inline(never)]
fn record_line(body: &mut dyn FnMut(&mut Record<'_>)) {
    let now = crate::arch::aarch64::timer::now();
    // Lock order everywhere: LOG, then the console.
    let mut ring = LOG.lock();
    let mut out = crate::console::output::console();
    let mut rec = Record {
        ring: &mut ring,
        console: &mut out,
    };
    let _ = uwrite!(rec, "{}", now);
    body(&mut rec);
    let _ = rec.write_str("\n");
}

/// On the host: to the ring alone, stamped zero.
#[cfg(not(target_os = "none"))]
fn record_line(body: &mut dyn FnMut(&mut Record<'_>)) {
    let mut ring = LOG.lock();
    let mut rec = Record { ring: &mut ring };
    let _ = uwrite!(rec, "{}", super::Timestamp { ticks: 0, freq: 1 });
    body(&mut rec);
    let _ = rec.write_str("\n");
}

/// Log a line, formatted with ufmt: `log!("mapped {} MiB", n)`.
#[macro_export]
macro_rules! log {
    ($($arg:tt)*) => {
        $crate::log::kernel::record(|w| ::ufmt::uwrite!(w, $($arg)*))
    };
}
