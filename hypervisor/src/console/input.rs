//! Console input: every byte the mini UART receives goes into a lock-free
//! ring, and the main loop hands it to the shell or to the focused VM.
//!
//! The hypervisor runs with IRQs masked, so the UART is drained by polling:
//! when the receive interrupt ends a guest's run or the idle WFI, at the top
//! of a pass of the main loop when the core's IRQ is pending (ISR_EL1, no
//! device access otherwise), and while console output waits for the
//! transmitter, so that long output never leaves the 8-byte receive FIFO to
//! overflow. The ring is large (64 KiB), so a whole pasted file arrives
//! intact; bytes that did not fit, and FIFO overruns, are counted and shown
//! by `info`, never lost silently.

use crate::console::ring::SpscRing;
use crate::platform::UART;
use core::sync::atomic::{AtomicUsize, Ordering};

/// Size of the receive ring in bytes.
pub const RX_RING_BYTES: usize = 64 * 1024;

static RX: SpscRing<RX_RING_BYTES> = SpscRing::new();
static RX_DROPPED: AtomicUsize = AtomicUsize::new(0);

// ANCHOR: irq
/// Move every byte the UART holds into the ring (the AUX interrupt's work).
pub fn on_receive_interrupt() {
    loop {
        let (byte, overrun) = UART.read_byte_checked();
        if overrun {
            RX_DROPPED.fetch_add(1, Ordering::Relaxed);
        }
        let Some(byte) = byte else { break };
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
