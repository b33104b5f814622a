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
use core::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// Size of the receive ring in bytes.
pub const RX_RING_BYTES: usize = 64 * 1024;

static RX: SpscRing<RX_RING_BYTES> = SpscRing::new();
static RX_DROPPED: AtomicUsize = AtomicUsize::new(0);

// ANCHOR: irq
/// Whether a core is moving bytes from the UART into the ring now.
static DRAINING: AtomicBool = AtomicBool::new(false);

/// Move every byte the UART holds into the ring (the AUX interrupt's work).
/// Core 0 does it on the interrupt and while it waits for another core; any
/// core does it while it waits for room in the transmit ring. The ring has
/// one producer at a time: a core that finds another draining leaves it to
/// that one (the flag's Acquire and Release hand the ring's producer side
/// from one core to the next).
pub fn on_receive_interrupt() {
    if DRAINING
        .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
        .is_err()
    {
        return;
    }
    drain_receiver();
    DRAINING.store(false, Ordering::Release);
}

/// Move every byte the UART holds into the ring; the caller holds
/// [`DRAINING`].
fn drain_receiver() {
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
