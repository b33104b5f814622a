//! Byte rings: the lock-free queue between the UART interrupt and the shell,
//! and the overwriting ring behind `dmesg` and the per-VM scrollback.
//!
//! Both are plain data structures with no knowledge of the hardware, so they
//! are unit- and property-tested on the host.

use crate::sync::{array_of, const_fn, AtomicUsize, Ordering, UnsafeCell};

// ANCHOR: spsc
/// A single-producer, single-consumer byte queue of `N` bytes (`N` a power
/// of two) that needs no lock.
///
/// The interrupt handler is the only producer and the main loop the only
/// consumer. Each side owns one index: the producer writes `head`, the
/// consumer writes `tail`, and each only reads the other's. Indices run
/// freely and wrap at `usize::MAX`; `head - tail` is the fill level.
/// Each slot is a cell of its own: the two sides do touch the buffer at
/// the same time, never the same slot.
pub struct SpscRing<const N: usize> {
    buf: [UnsafeCell<u8>; N],
    head: AtomicUsize,
    tail: AtomicUsize,
}

// SAFETY: the producer only writes slots between `head` and `tail + N`, the
// consumer only reads slots between `tail` and `head`; the release/acquire
// pairs on the indices order those accesses, so the two sides never touch
// the same byte at the same time.
unsafe impl<const N: usize> Sync for SpscRing<N> {}

impl<const N: usize> SpscRing<N> {
    const MASK: usize = {
        assert!(N.is_power_of_two(), "ring size must be a power of two");
        N - 1
    };

    const_fn! {
        /// An empty ring.
        pub fn new() -> Self {
            Self {
                buf: array_of![UnsafeCell::new(0); N],
                head: AtomicUsize::new(0),
                tail: AtomicUsize::new(0),
            }
        }
    }

    /// Producer side: append `byte`. Returns `false` (and keeps the ring
    /// unchanged) when it is full.
    pub fn push(&self, byte: u8) -> bool {
        let head = self.head.load(Ordering::Relaxed);
        let tail = self.tail.load(Ordering::Acquire);
        if head.wrapping_sub(tail) == N {
            return false;
        }
        // SAFETY: slot `head` is outside `tail..head`, so the consumer does
        // not read it until we publish the new head below.
        self.buf[head & Self::MASK].with_mut(|slot| unsafe { *slot = byte });
        self.head.store(head.wrapping_add(1), Ordering::Release);
        true
    }

    /// Consumer side: take the oldest byte, if any.
    pub fn pop(&self) -> Option<u8> {
        let tail = self.tail.load(Ordering::Relaxed);
        let head = self.head.load(Ordering::Acquire);
        if head == tail {
            return None;
        }
        // SAFETY: slot `tail` is inside `tail..head`, published by the
        // producer's release store, and it is not reused until we move tail.
        let byte = self.buf[tail & Self::MASK].with(|slot| unsafe { *slot });
        self.tail.store(tail.wrapping_add(1), Ordering::Release);
        Some(byte)
    }
    // ANCHOR_END: spsc

    /// Number of bytes waiting.
    pub fn len(&self) -> usize {
        self.head
            .load(Ordering::Acquire)
            .wrapping_sub(self.tail.load(Ordering::Acquire))
    }

    /// Whether no byte is waiting.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Capacity in bytes.
    pub const fn capacity(&self) -> usize {
        N
    }
}

impl<const N: usize> Default for SpscRing<N> {
    fn default() -> Self {
        Self::new()
    }
}

/// A ring that keeps the most recent `N` bytes written to it, overwriting
/// the oldest: the hypervisor log (`dmesg`) and, later, each VM's scrollback.
pub struct HistoryRing<const N: usize> {
    buf: [u8; N],
    /// Total bytes ever written; the ring holds the last `min(written, N)`.
    written: usize,
}

impl<const N: usize> HistoryRing<N> {
    /// An empty ring.
    pub const fn new() -> Self {
        Self {
            buf: [0; N],
            written: 0,
        }
    }

    /// Append bytes, dropping the oldest when full.
    pub fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.buf[self.written % N] = b;
            self.written = self.written.wrapping_add(1);
        }
    }

    /// Total bytes ever written (monotonic, so a reader can tell how much it missed).
    pub fn total_written(&self) -> usize {
        self.written
    }

    /// Bytes currently held.
    pub fn len(&self) -> usize {
        self.written.min(N)
    }

    /// Whether nothing was written yet.
    pub fn is_empty(&self) -> bool {
        self.written == 0
    }

    /// The held bytes, oldest first, as two slices (the ring may wrap).
    pub fn as_slices(&self) -> (&[u8], &[u8]) {
        if self.written <= N {
            (&self.buf[..self.written], &[])
        } else {
            let start = self.written % N;
            (&self.buf[start..], &self.buf[..start])
        }
    }

    /// Where the held bytes start, counted like [`Self::total_written`].
    pub fn oldest(&self) -> usize {
        self.written - self.len()
    }

    /// Where [`Self::whole_lines`] starts, counted like
    /// [`Self::total_written`]: a reader that copies the ring in pieces
    /// ([`Self::copy_from`]) starts here and stops at the total written.
    pub fn whole_lines_start(&self) -> usize {
        let (a, b) = self.whole_lines();
        self.written - a.len() - b.len()
    }

    /// Copy the held bytes from position `at` (counted like
    /// [`Self::total_written`]) into `out`, as many as fit; how many: 0
    /// if the byte at `at` is no longer held (written over) or not written
    /// yet.
    pub fn copy_from(&self, at: usize, out: &mut [u8]) -> usize {
        if at < self.oldest() || at >= self.written {
            return 0;
        }
        let count = out.len().min(self.written - at);
        for (i, slot) in out[..count].iter_mut().enumerate() {
            *slot = self.buf[(at + i) % N];
        }
        count
    }

    /// The held bytes with any partial first line removed, when the ring has
    /// wrapped: a reader then starts at a line boundary.
    pub fn whole_lines(&self) -> (&[u8], &[u8]) {
        let (a, b) = self.as_slices();
        if self.written <= N {
            return (a, b);
        }
        if let Some(i) = a.iter().position(|&c| c == b'\n') {
            (&a[i + 1..], b)
        } else if let Some(i) = b.iter().position(|&c| c == b'\n') {
            (&[], &b[i + 1..])
        } else {
            (a, b)
        }
    }
}

impl<const N: usize> Default for HistoryRing<N> {
    fn default() -> Self {
        Self::new()
    }
}

// The tests below build a ring in a static, which loom cannot.
#[cfg(not(loom))]
#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use proptest::prelude::*;
    use std::vec::Vec;

    #[test]
    fn spsc_fills_and_drains_in_order() {
        let r: SpscRing<4> = SpscRing::new();
        assert!(r.is_empty());
        for b in 1..=4 {
            assert!(r.push(b));
        }
        assert!(!r.push(5), "a full ring refuses a byte");
        assert_eq!(r.len(), 4);
        assert_eq!(r.pop(), Some(1));
        assert!(r.push(5));
        let out: Vec<u8> = core::iter::from_fn(|| r.pop()).collect();
        assert_eq!(out, [2, 3, 4, 5]);
        assert_eq!(r.pop(), None);
    }

    #[test]
    fn spsc_indices_wrap() {
        let r: SpscRing<2> = SpscRing::new();
        r.head.store(usize::MAX, Ordering::Relaxed);
        r.tail.store(usize::MAX, Ordering::Relaxed);
        assert!(r.push(7));
        assert!(r.push(8));
        assert!(!r.push(9));
        assert_eq!(r.pop(), Some(7));
        assert_eq!(r.pop(), Some(8));
        assert_eq!(r.pop(), None);
    }

    #[test]
    fn spsc_across_threads_loses_nothing() {
        static RING: SpscRing<64> = SpscRing::new();
        const COUNT: usize = 100_000;
        let producer = std::thread::spawn(|| {
            for i in 0..COUNT {
                while !RING.push(i as u8) {
                    std::hint::spin_loop();
                }
            }
        });
        for i in 0..COUNT {
            let b = loop {
                if let Some(b) = RING.pop() {
                    break b;
                }
                std::hint::spin_loop();
            };
            assert_eq!(b, i as u8);
        }
        producer.join().unwrap();
    }

    #[test]
    fn history_keeps_the_newest_bytes() {
        let mut h: HistoryRing<8> = HistoryRing::new();
        h.write(b"abc");
        assert_eq!(h.as_slices(), (&b"abc"[..], &b""[..]));
        h.write(b"defghij");
        let (a, b) = h.as_slices();
        assert_eq!([a, b].concat(), b"cdefghij");
        assert_eq!(h.total_written(), 10);
    }

    #[test]
    fn history_whole_lines_drops_the_cut_line() {
        let mut h: HistoryRing<8> = HistoryRing::new();
        h.write(b"first\nsecond\nxy");
        let (a, b) = h.whole_lines();
        assert_eq!([a, b].concat(), b"xy", "'cond\\n' is a cut line");
    }

    #[test]
    fn history_copies_from_a_position() {
        let mut h: HistoryRing<8> = HistoryRing::new();
        h.write(b"ab\ncdefghi");
        assert_eq!(h.oldest(), 2);
        assert_eq!(h.whole_lines_start(), 3, "after the cut line's newline");
        let mut out = [0; 4];
        assert_eq!(h.copy_from(3, &mut out), 4);
        assert_eq!(&out, b"cdef");
        assert_eq!(h.copy_from(8, &mut out), 2);
        assert_eq!(&out[..2], b"hi");
        assert_eq!(h.copy_from(1, &mut out), 0, "written over");
        assert_eq!(h.copy_from(10, &mut out), 0, "not written yet");
    }

    proptest! {
        #[test]
        fn history_pieces_are_the_whole_lines(
            chunks in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..20), 0..20),
            piece in 1..9usize,
        ) {
            let mut h: HistoryRing<32> = HistoryRing::new();
            for c in &chunks { h.write(c); }
            let (a, b) = h.whole_lines();
            let mut copied = Vec::new();
            let mut at = h.whole_lines_start();
            let mut out = [0; 8];
            while at < h.total_written() {
                let n = h.copy_from(at, &mut out[..piece]);
                prop_assert!(n > 0);
                copied.extend_from_slice(&out[..n]);
                at += n;
            }
            prop_assert_eq!(copied, [a, b].concat());
        }

        #[test]
        fn spsc_behaves_like_a_bounded_fifo(ops in proptest::collection::vec(any::<Option<u8>>(), 0..500)) {
            let r: SpscRing<16> = SpscRing::new();
            let mut model = std::collections::VecDeque::new();
            for op in ops {
                match op {
                    Some(b) => {
                        let accepted = r.push(b);
                        prop_assert_eq!(accepted, model.len() < 16);
                        if accepted { model.push_back(b); }
                    }
                    None => prop_assert_eq!(r.pop(), model.pop_front()),
                }
                prop_assert_eq!(r.len(), model.len());
            }
        }

        #[test]
        fn history_holds_the_suffix(chunks in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..20), 0..20)) {
            let mut h: HistoryRing<32> = HistoryRing::new();
            let mut all = Vec::new();
            for c in &chunks { h.write(c); all.extend_from_slice(c); }
            let (a, b) = h.as_slices();
            let keep = all.len().min(32);
            prop_assert_eq!([a, b].concat(), all[all.len() - keep..].to_vec());
        }
    }
}

/// Model checks (`RUSTFLAGS="--cfg loom"`, see `crate::sync`): every
/// interleaving of a producer and a consumer, and every value each load may
/// see.
#[cfg(loom)]
#[cfg(test)]
mod loom_tests {
    extern crate std;
    use super::*;
    use loom::sync::Arc;
    use loom::thread;
    use std::vec::Vec;

    // ANCHOR: loom_spsc
    /// Three bytes through a ring of two: the producer fills it, waits for
    /// the consumer to free a slot and wraps. The consumer gets every byte
    /// once, in order; loom fails the test if it ever reads a slot the
    /// producer's write to is not ordered before (a Relaxed `head`), or the
    /// producer overwrites a slot still being read (a Relaxed `tail`).
    #[test]
    fn three_bytes_through_a_ring_of_two() {
        loom::model(|| {
            let ring = Arc::new(SpscRing::<2>::new());
            let producer = {
                let ring = ring.clone();
                thread::spawn(move || {
                    for byte in [b'a', b'b', b'c'] {
                        while !ring.push(byte) {
                            thread::yield_now();
                        }
                    }
                })
            };
            let mut got = Vec::new();
            while got.len() < 3 {
                match ring.pop() {
                    Some(byte) => got.push(byte),
                    None => thread::yield_now(),
                }
            }
            producer.join().unwrap();
            assert_eq!(got, b"abc");
            assert_eq!(ring.pop(), None);
        });
    }
    // ANCHOR_END: loom_spsc
}
