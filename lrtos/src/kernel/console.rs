//! The kernel's console: text out on the mini UART, with `ufmt` formatting.
//!
//! The console turns each `\n` into `\r\n`, as a terminal driver does
//! (ONLCR), so serial terminals start each line in the first column. Task
//! output from the `write` system call goes through [`write_bytes`] too.
//!
//! There is no lock: lrtos runs on one core and the kernel runs with
//! interrupts masked, so one caller finishes before anyone else can start.
//! That is also what makes a task's `write` atomic.

use super::UART;
use core::convert::Infallible;

/// Send bytes to the console, `\n` as `\r\n`.
pub fn write_bytes(bytes: &[u8]) {
    for &b in bytes {
        if b == b'\n' {
            UART.write_byte(b'\r');
        }
        UART.write_byte(b);
    }
}

/// A `ufmt` writer on the console.
pub struct Console;

impl ufmt::uWrite for Console {
    type Error = Infallible;

    fn write_str(&mut self, s: &str) -> Result<(), Infallible> {
        write_bytes(s.as_bytes());
        Ok(())
    }
}

/// Print a formatted line on the console (ufmt syntax).
#[macro_export]
macro_rules! kprintln {
    ($($arg:tt)*) => {{
        let _ = ufmt::uwriteln!($crate::kernel::console::Console, $($arg)*);
    }};
}
