//! Console input: the mini UART receive interrupt fills a lock-free ring,
//! and the shell drains it.
//!
//! The ring is large (64 KiB), so a whole pasted file arrives intact even
//! when the shell is busy printing; were it ever full, the bytes that did
//! not fit are counted and reported, never lost silently.

use crate::console::ring::SpscRing;
use crate::kernel::UART;
use core::sync::atomic::{AtomicUsize, Ordering};

/// Size of the receive ring in bytes.
pub const RX_RING_BYTES: usize = 64 * 1024;

static RX: SpscRing<RX_RING_BYTES> = SpscRing::new();
static RX_DROPPED: AtomicUsize = AtomicUsize::new(0);

// ANCHOR: irq
/// The AUX interrupt: move every byte the UART holds into the ring.
pub fn on_receive_interrupt() {
    while let Some(byte) = UART.read_byte() {
        if !RX.push(byte) {
            RX_DROPPED.fetch_add(1, Ordering::Relaxed);
        }
    }
}

// ANCHOR_END: irq

/// The next typed byte, if one is waiting.
pub fn try_read() -> Option<u8> {
    RX.pop()
}

/// Whether typed bytes are waiting.
pub fn has_input() -> bool {
    !RX.is_empty()
}

/// Bytes that arrived while the ring was full.
pub fn dropped() -> usize {
    RX_DROPPED.load(Ordering::Relaxed)
}
