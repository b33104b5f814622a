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
use core::sync::atomic::{AtomicUsize, Ordering};
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
/// Bytes the transmit FIFO is known to have room for: what the last look
/// at its fill level said, less what was written since. The FIFO only
/// drains meanwhile, so the count is never too high. Core 0 alone writes
/// the console (under the [`console`] lock); relaxed ordering suffices.
static TRANSMIT_ROOM: AtomicUsize = AtomicUsize::new(0);

/// Send one byte. The transmit FIFO's fill level is read once for up to
/// eight bytes (a guest printing as fast as it can costs one device write
/// per byte, not two reads and a write). While the transmitter is busy (on
/// real hardware a byte takes 87 us at 115200 baud), keep draining the
/// receiver, so typing or pasting during long output is not lost to the
/// 8-byte receive FIFO.
fn send(byte: u8) {
    let mut room = TRANSMIT_ROOM.load(Ordering::Relaxed);
    while room == 0 {
        room = UART.transmit_room();
        if room == 0 {
            input::on_receive_interrupt();
        }
    }
    UART.write_unchecked(byte);
    TRANSMIT_ROOM.store(room - 1, Ordering::Relaxed);
}
// ANCHOR_END: send

/// The console, locked for the caller.
pub fn console() -> MutexGuard<'static, Writer> {
    CONSOLE.lock()
}
