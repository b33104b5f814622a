//! The kernel's console: text out on the mini UART (the guest runtime's
//! instance of the board crate's driver), with `ufmt` formatting.
//!
//! The console turns each `\n` into `\r\n`, as a terminal driver does
//! (ONLCR), so serial terminals start each line in the first column. Task
//! output from the `write` system call goes through [`write_bytes`] too.
//!
//! There is no lock: lrtos runs on one core and the kernel runs with
//! interrupts masked, so one caller finishes before anyone else can start.
//! That is also what makes a task's `write` atomic.

use rt::board::UART;

/// Send bytes to the console, `\n` as `\r\n`.
pub fn write_bytes(bytes: &[u8]) {
    UART.write_crlf(bytes);
}

/// Print a formatted line on the console (ufmt syntax).
#[macro_export]
macro_rules! kprintln {
    ($($arg:tt)*) => {{
        let _ = ufmt::uwriteln!(rt::board::console(), $($arg)*);
    }};
}
