//! The output benchmark (`o` at the menu): print [`OUTPUT_BYTES`] bytes as
//! fast as the polling mini UART driver can (a status read and a data
//! write per byte, as every polling console driver does), between two
//! marker lines. The driver times the bytes on its side of the wire,
//! natively and under ferrovisor, and counts them: none may be lost.

use rt::board::{console, UART};
use ufmt::uwriteln;

// ANCHOR: output
/// Bytes printed between the markers: 64 KiB, 1024 lines of 64 bytes. A
/// 1 MiB run took two minutes under ferrovisor before the trap fast path;
/// 64 KiB keeps the benchmark's run short and is still thousands of exits.
pub const OUTPUT_BYTES: usize = 64 * 1024;
/// Bytes of one line, its `\r\n` included.
const LINE_BYTES: usize = 64;
/// The printable characters the lines cycle through.
const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";

/// Print the markers and [`OUTPUT_BYTES`] bytes of lines between them.
pub fn run() {
    let _ = uwriteln!(console(), "bench: output start bytes={}", OUTPUT_BYTES);
    for line in 0..OUTPUT_BYTES / LINE_BYTES {
        for column in 0..LINE_BYTES - 2 {
            UART.write_byte(ALPHABET[(line + column) % ALPHABET.len()]);
        }
        UART.write_byte(b'\r');
        UART.write_byte(b'\n');
    }
    let _ = uwriteln!(console(), "bench: output done bytes={}", OUTPUT_BYTES);
}
// ANCHOR_END: output
