//! Console output: text to the mini UART, with `\n` sent as `\r\n` as a
//! terminal expects.
//!
//! Normal output goes through the [`console`] lock so lines never mix; the
//! crash report uses `platform::fatal`'s writer, which takes no lock,
//! because the code that crashed may have held it.

use crate::console::input;
use crate::console::line_editor::Echo;
use crate::platform::{uart_ready, UART};
use core::convert::Infallible;
use spin::{Mutex, MutexGuard};
use ufmt::uWrite;

static CONSOLE: Mutex<Writer> = Mutex::new(Writer);

// ANCHOR: writer
/// Writes to the mini UART.
pub struct Writer;

impl Writer {
    fn put(&mut self, bytes: &[u8]) {
        if !uart_ready() {
            return;
        }
        for &b in bytes {
            if b == b'\n' {
                send(b'\r');
            }
            send(b);
        }
    }

    /// Send bytes exactly as given, with no line-ending translation.
    pub fn write_raw(&mut self, bytes: &[u8]) {
        if uart_ready() {
            for &b in bytes {
                send(b);
            }
        }
    }
}
// ANCHOR_END: writer

impl uWrite for Writer {
    type Error = Infallible;

    fn write_str(&mut self, s: &str) -> Result<(), Infallible> {
        self.put(s.as_bytes());
        Ok(())
    }
}

impl Echo for Writer {
    fn echo(&mut self, bytes: &[u8]) {
        self.write_raw(bytes);
    }
}

// ANCHOR: send
/// Send one byte. While the transmitter is busy (on real hardware a byte
/// takes 87 us at 115200 baud), keep draining the receiver, so typing or
/// pasting during long output is not lost to the 8-byte receive FIFO.
fn send(byte: u8) {
    while !UART.can_write() {
        input::on_receive_interrupt();
    }
    UART.write_byte(byte);
}
// ANCHOR_END: send

/// The console, locked for the caller.
pub fn console() -> MutexGuard<'static, Writer> {
    CONSOLE.lock()
}
