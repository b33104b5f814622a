//! Console output: text to the mini UART through the transmit ring
//! ([`super::transmit`]), with `\n` sent as `\r\n` as a terminal expects.
//!
//! Writers enqueue and move on; the bytes reach the wire as the UART's
//! transmit FIFO has room, on its transmit interrupt and whenever a writer
//! enqueues. Normal output goes through the [`console`] lock so lines never
//! mix; replays ([`replay`]) take it only to enqueue a piece. The crash
//! report uses `platform::fatal`'s writer, which takes no lock and writes
//! the UART directly, because the code that crashed may have held it.

use crate::console::input;
use crate::console::line_editor::Echo;
use crate::console::transmit::{self, TxRing, TX_RING_BYTES};
use crate::platform::{uart_ready, UART};
use core::convert::Infallible;
use core::sync::atomic::{AtomicUsize, Ordering};
use spin::{Mutex, MutexGuard};
use ufmt::uWrite;

static CONSOLE: Mutex<Writer> = Mutex::new(Writer);

// ANCHOR: ring
/// The transmit ring, in .bss. Its writers hold [`CONSOLE`]; the module
/// [`transmit`] says who reads it and why that is correct.
static TX: TxRing<TX_RING_BYTES> = TxRing::new();

/// Bytes a VM wrote to the console while the ring was full: it went on
/// writing although its transmitter read busy (a real UART drops them too).
static TX_DROPPED: AtomicUsize = AtomicUsize::new(0);

/// The physical mini UART, as the transmit ring drives it.
struct Hardware;

impl transmit::Uart for Hardware {
    fn transmit_room(&mut self) -> usize {
        UART.transmit_room()
    }

    fn transmit(&mut self, byte: u8) {
        UART.write_unchecked(byte);
    }

    fn transmit_interrupt(&mut self, on: bool) {
        UART.enable_interrupts(on);
    }

    fn receive(&mut self) {
        input::on_receive_interrupt();
    }
}
// ANCHOR_END: ring

// ANCHOR: writer
/// Writes to the console's transmit ring.
pub struct Writer;

impl Writer {
    fn put(&mut self, bytes: &[u8]) {
        if uart_ready() {
            TX.write(bytes, true, &mut Hardware);
        }
    }

    /// Send bytes exactly as given, with no line-ending translation.
    pub fn write_raw(&mut self, bytes: &[u8]) {
        if uart_ready() {
            TX.write(bytes, false, &mut Hardware);
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

/// The console, locked for the caller.
pub fn console() -> MutexGuard<'static, Writer> {
    CONSOLE.lock()
}

// ANCHOR: interrupt
/// Feed the transmit FIFO from the ring (the AUX interrupt's transmit
/// half). Nothing to do, and no device access, while the ring is empty.
pub fn on_transmit_interrupt() {
    if !TX.is_empty() {
        TX.drain(&mut Hardware);
    }
}
// ANCHOR_END: interrupt

// ANCHOR: guest
/// Whether the focused VM's transmitter may read ready: the ring is not
/// above its high-water mark.
pub fn has_room() -> bool {
    !TX.busy()
}

/// A VM's bytes for the wire: enqueued without waiting. What does not fit
/// is dropped and counted; a VM that honours its busy transmitter never
/// gets that far. `still_focused` is asked under the console's lock, where
/// the shell moves the focus: a VM that lost it sends nothing.
pub fn write_guest(bytes: &[u8], still_focused: impl FnOnce() -> bool) {
    if !uart_ready() {
        return;
    }
    let taken = {
        let _producer = CONSOLE.lock();
        if !still_focused() {
            return;
        }
        TX.push(bytes, false)
    };
    TX.drain(&mut Hardware);
    if taken < bytes.len() {
        TX_DROPPED.fetch_add(bytes.len() - taken, Ordering::Relaxed);
    }
}
// ANCHOR_END: guest

// ANCHOR: replay
/// Replay the bytes `from..to` of a source, `copy(at, out)` copying a piece
/// out of it under its own lock (see [`TxRing::replay`]): no lock is held
/// while a full ring makes the replay wait for the wire.
pub fn replay(copy: impl FnMut(usize, &mut [u8]) -> usize, range: (usize, usize), crlf: bool) {
    if uart_ready() {
        TX.replay(copy, range, crlf, &CONSOLE, &mut Hardware);
    }
}
// ANCHOR_END: replay

/// Send what the ring holds before a crash report (the `fault` command, a
/// panic), which writes the UART directly: waits for the wire, takes no
/// lock. Only when the hypervisor is about to halt.
pub fn flush_for_crash() {
    if uart_ready() {
        TX.flush_for_crash(&mut Hardware);
    }
}

/// Bytes VMs wrote while the ring was full (see [`write_guest`]).
pub fn dropped() -> usize {
    TX_DROPPED.load(Ordering::Relaxed)
}
