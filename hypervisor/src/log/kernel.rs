//! The log ring on the running hypervisor and the [`log!`](crate::log!) macro.

use super::LogRing;
use crate::arch::aarch64::timer;
use crate::console::output::{console, Writer};
use core::convert::Infallible;
use spin::Mutex;
use ufmt::{uWrite, uwrite};

/// The hypervisor's log, newest bytes kept.
pub static LOG: Mutex<LogRing> = Mutex::new(LogRing::new());

/// A record being written: to the ring and to the console.
pub struct Record<'a> {
    ring: &'a mut LogRing,
    console: &'a mut Writer,
}

impl uWrite for Record<'_> {
    type Error = Infallible;

    fn write_str(&mut self, s: &str) -> Result<(), Infallible> {
        self.ring.write(s.as_bytes());
        self.console.write_str(s)
    }
}

/// Write one timestamped line. Use through [`log!`](crate::log!).
pub fn record(body: impl FnOnce(&mut Record<'_>) -> Result<(), Infallible>) {
    let now = timer::now();
    // Lock order everywhere: LOG, then the console.
    let mut ring = LOG.lock();
    let mut out = console();
    let mut rec = Record {
        ring: &mut ring,
        console: &mut out,
    };
    let _ = uwrite!(rec, "{}", now);
    let _ = body(&mut rec);
    let _ = rec.write_str("\n");
}

/// Log a line, formatted with ufmt: `log!("mapped {} MiB", n)`.
#[macro_export]
macro_rules! log {
    ($($arg:tt)*) => {
        $crate::log::kernel::record(|w| ::ufmt::uwrite!(w, $($arg)*))
    };
}
