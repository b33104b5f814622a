//! The console's transmit ring: output is queued here and fed to the mini
//! UART's 8-byte transmit FIFO as the FIFO has room, so no core waits for
//! the wire (a byte takes 87 us at 115200 baud on a real Pi 3).
//!
//! Who writes, who reads, and why it is correct:
//!
//! - **Writers** (the producer side) enqueue with [`TxRing::push`] and its
//!   callers, always holding the console lock (`output::console`, or the
//!   `lock` given to [`TxRing::feed`]), so there is one producer at a time.
//!   Today every writer runs on core 0; until the per-core output rings
//!   land, other cores will write through the same lock too.
//! - **The drain** (the consumer side), [`TxRing::drain`], moves bytes from
//!   the ring into the FIFO while it has room, and turns the mini UART's
//!   transmit interrupt on only while bytes are left (an empty FIFO raises
//!   it for as long as it is enabled). It runs on the AUX interrupt, which
//!   core 0's main loop serves (`kernel::irq::handle`), and right after a
//!   writer enqueued. A drain holds no lock: it is made exclusive by the
//!   `draining` flag, taken with a swap and never waited for (whoever
//!   finds it taken leaves the bytes to the drain in progress, which looks
//!   again before it lets go of the flag).
//! - **Ordering**: the ring is a [`SpscRing`], whose release/acquire pairs
//!   on its two indices hand each byte from the producer to the consumer.
//!   The flag's acquire swap and release store order one drain's moves of
//!   the consumer index, its view of the FIFO's room and the interrupt
//!   enable before the next drain's. The console lock does the same for
//!   producers.
//!
//! A writer that finds the ring full waits by serving the UART: draining
//! the ring into the FIFO as room appears and draining the receiver, so no
//! typed byte is lost to the 8-byte receive FIFO. [`TxRing::feed`], which
//! the replays (`vmc`, `vmlog`, `dmesg`) use, holds the lock only while it
//! enqueues and never while it waits. The ring is twice the largest replay
//! (16 KiB), so a replay into a ring with room for it does not wait at all.
//! An ordinary writer ([`TxRing::write`], a line or a table) holds the
//! lock while it waits, which it does only if it finds the ring full.
//!
//! The focused VM's virtual mini UART reports its transmitter busy while
//! the ring is above [`TxRing::busy`]'s high-water mark, so a guest that
//! honours the status registers never finds the ring full.

use super::ring::SpscRing;
use crate::sync::const_fn;
use core::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use spin::Mutex;

/// Bytes of the transmit ring: twice the largest replay (a 16 KiB log or
/// scrollback).
pub const TX_RING_BYTES: usize = 32 * 1024;

/// Bytes of one piece of a replay: what is copied out of the source under
/// its lock and then enqueued under the console lock.
pub const REPLAY_PIECE_BYTES: usize = 256;

/// The part of the ring kept free when the focused VM is told its
/// transmitter is busy: one thirty-second of the ring (1 KiB of 32 KiB),
/// room for the hypervisor's own lines and for the FIFO's worth of bytes a
/// driver writes after one look at the status.
const HEADROOM_DIVISOR: usize = 32;

/// What the ring needs of the mini UART. The board's is in `output`; the
/// host tests have a simulated one.
pub trait Uart {
    /// Bytes the transmit FIFO can take now.
    fn transmit_room(&mut self) -> usize;
    /// Put a byte in the transmit FIFO, which has room for it.
    fn transmit(&mut self, byte: u8);
    /// Raise the AUX interrupt while the transmit FIFO is empty, or stop.
    fn transmit_interrupt(&mut self, on: bool);
    /// Move what the receiver holds into the receive ring.
    fn receive(&mut self);
}

// ANCHOR: tx_ring
/// The transmit ring of `N` bytes (a power of two).
pub struct TxRing<const N: usize> {
    ring: SpscRing<N>,
    /// Bytes the FIFO is known to have room for: what the last look at its
    /// fill level said, less what was written since. The FIFO only drains
    /// meanwhile, so the count is never too high. Written by the drain.
    fifo_room: AtomicUsize,
    /// Whether the transmit interrupt is enabled. Written by the drain.
    interrupt_on: AtomicBool,
    /// Set while a drain runs.
    draining: AtomicBool,
}

impl<const N: usize> TxRing<N> {
    const_fn! {
        /// An empty ring, the transmit interrupt off.
        pub fn new() -> Self {
            Self {
                ring: SpscRing::new(),
                fifo_room: AtomicUsize::new(0),
                interrupt_on: AtomicBool::new(false),
                draining: AtomicBool::new(false),
            }
        }
    }

    /// Bytes waiting for the FIFO.
    pub fn len(&self) -> usize {
        self.ring.len()
    }

    /// Whether no byte waits.
    pub fn is_empty(&self) -> bool {
        self.ring.is_empty()
    }

    /// Whether the ring is above its high-water mark: the focused VM's
    /// transmitter then reads busy.
    pub fn busy(&self) -> bool {
        self.len() > N - N / HEADROOM_DIVISOR
    }

    /// Producer (console lock held): enqueue as many of `bytes` as fit
    /// whole, each `\n` as `\r\n` if `crlf`; how many of `bytes` went in.
    pub fn push(&self, bytes: &[u8], crlf: bool) -> usize {
        // Only the drain runs meanwhile, and it only makes room.
        let free = N - self.ring.len();
        let mut used = 0;
        let mut taken = 0;
        for &byte in bytes {
            let crlf_here = crlf && byte == b'\n';
            let need = if crlf_here { 2 } else { 1 };
            if used + need > free {
                break;
            }
            if crlf_here {
                self.ring.push(b'\r');
            }
            self.ring.push(byte);
            used += need;
            taken += 1;
        }
        taken
    }

    /// Producer (console lock held): enqueue all of `bytes`, draining as
    /// it goes; while the ring is full, wait by serving the UART.
    pub fn write(&self, bytes: &[u8], crlf: bool, uart: &mut impl Uart) {
        let mut rest = bytes;
        loop {
            rest = &rest[self.push(rest, crlf)..];
            self.drain(uart);
            if rest.is_empty() {
                return;
            }
            uart.receive();
            core::hint::spin_loop();
        }
    }

    /// Enqueue all of `bytes`, taking `lock` only to enqueue: while the
    /// ring is full, wait by serving the UART with no lock held.
    pub fn feed<L>(&self, bytes: &[u8], crlf: bool, lock: &Mutex<L>, uart: &mut impl Uart) {
        let mut rest = bytes;
        loop {
            let taken = {
                let _producer = lock.lock();
                self.push(rest, crlf)
            };
            rest = &rest[taken..];
            self.drain(uart);
            if rest.is_empty() {
                return;
            }
            uart.receive();
            core::hint::spin_loop();
        }
    }

    /// Replay the bytes `from..to` of a source in pieces: `copy(at, out)`
    /// copies what the source holds from `at` into `out` (under the
    /// source's own lock, released on return) and says how many; 0 ends
    /// the replay early (written over meanwhile). Each piece is then fed
    /// with [`Self::feed`], so no lock is held while the replay waits.
    pub fn replay<L>(
        &self,
        mut copy: impl FnMut(usize, &mut [u8]) -> usize,
        (from, to): (usize, usize),
        crlf: bool,
        lock: &Mutex<L>,
        uart: &mut impl Uart,
    ) {
        let mut piece = [0; REPLAY_PIECE_BYTES];
        let mut at = from;
        while at < to {
            let want = (to - at).min(REPLAY_PIECE_BYTES);
            let copied = copy(at, &mut piece[..want]);
            if copied == 0 {
                return;
            }
            self.feed(&piece[..copied], crlf, lock, uart);
            at += copied;
        }
    }

    /// Consumer: move bytes into the transmit FIFO while it has room (one
    /// look at its fill level for up to eight bytes), then leave the
    /// transmit interrupt on if bytes are left, off if none are. Returns at
    /// once if another drain is running.
    pub fn drain(&self, uart: &mut impl Uart) {
        loop {
            if self.draining.swap(true, Ordering::Acquire) {
                return;
            }
            let mut room = self.fifo_room.load(Ordering::Relaxed);
            while !self.ring.is_empty() {
                if room == 0 {
                    room = uart.transmit_room();
                    if room == 0 {
                        break;
                    }
                }
                let Some(byte) = self.ring.pop() else { break };
                uart.transmit(byte);
                room -= 1;
            }
            self.fifo_room.store(room, Ordering::Relaxed);
            let left = !self.ring.is_empty();
            if left != self.interrupt_on.load(Ordering::Relaxed) {
                uart.transmit_interrupt(left);
                self.interrupt_on.store(left, Ordering::Relaxed);
            }
            self.draining.store(false, Ordering::Release);
            // A byte enqueued after the last look, whose writer found the
            // flag taken, would wait with the interrupt off: look again.
            if left || self.ring.is_empty() {
                return;
            }
        }
    }

    /// Send everything the ring holds, waiting for the FIFO, whoever holds
    /// the console lock or the drain's flag: for a crash report, so that
    /// what was printed before it is not lost or overtaken. Only when
    /// nothing else runs (the hypervisor is about to halt).
    pub fn flush_for_crash(&self, uart: &mut impl Uart) {
        while let Some(byte) = self.ring.pop() {
            while uart.transmit_room() == 0 {
                core::hint::spin_loop();
            }
            uart.transmit(byte);
        }
        self.fifo_room.store(0, Ordering::Relaxed);
    }
}
// ANCHOR_END: tx_ring

impl<const N: usize> Default for TxRing<N> {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests;
