//! The receive ring: a byte queue from the UART interrupt handler (the one
//! producer) to the main loop (the one consumer) that needs no lock.
//!
//! echo runs with the MMU off, so all its data is Device memory, where the
//! exclusive loads and stores behind locks and read-modify-write atomics do
//! not work. This ring only ever loads and stores its two indices (with
//! acquire/release ordering), which is fine on any memory type. It knows
//! nothing about the hardware and is tested on the host.

use core::cell::UnsafeCell;
use core::sync::atomic::{AtomicUsize, Ordering};

// ANCHOR: ring
/// A single-producer, single-consumer queue of up to `N` bytes (`N` a power
/// of two).
///
/// Each side owns one index: the producer writes `head`, the consumer
/// writes `tail`, and each only reads the other's. The indices run freely
/// and wrap at `usize::MAX`; `head - tail` is the number of bytes waiting.
pub struct Ring<const N: usize> {
    buf: UnsafeCell<[u8; N]>,
    head: AtomicUsize,
    tail: AtomicUsize,
}

// SAFETY: `push` and `pop` require that one context at a time produces and
// one at a time consumes. The producer then only writes slots outside
// `tail..head`, the consumer only reads slots inside it, and the
// release/acquire pairs on the indices order those accesses, so the two
// sides never touch the same byte at the same time.
unsafe impl<const N: usize> Sync for Ring<N> {}

impl<const N: usize> Ring<N> {
    const MASK: usize = {
        assert!(N.is_power_of_two(), "ring size must be a power of two");
        N - 1
    };

    /// An empty ring.
    pub const fn new() -> Self {
        Self::starting_at(0)
    }

    /// An empty ring whose indices start at `index`.
    const fn starting_at(index: usize) -> Self {
        Self {
            buf: UnsafeCell::new([0; N]),
            head: AtomicUsize::new(index),
            tail: AtomicUsize::new(index),
        }
    }

    /// The number of bytes waiting.
    pub fn len(&self) -> usize {
        let tail = self.tail.load(Ordering::Acquire);
        self.head.load(Ordering::Acquire).wrapping_sub(tail)
    }

    /// Whether no byte is waiting.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether there is no room for another byte.
    pub fn is_full(&self) -> bool {
        self.len() == N
    }

    /// Producer side: append `byte`, or give it back if the ring is full.
    ///
    /// # Safety
    ///
    /// Only one context may push at a time: the one producer.
    pub unsafe fn push(&self, byte: u8) -> Result<(), u8> {
        let head = self.head.load(Ordering::Relaxed);
        let tail = self.tail.load(Ordering::Acquire);
        if head.wrapping_sub(tail) == N {
            return Err(byte);
        }
        // SAFETY: slot `head` is outside `tail..head`, so the consumer does
        // not read it until the new head is published below, and we are the
        // only producer (the caller's promise).
        unsafe { (*self.buf.get())[head & Self::MASK] = byte };
        self.head.store(head.wrapping_add(1), Ordering::Release);
        Ok(())
    }

    /// Consumer side: take the oldest byte, if any.
    ///
    /// # Safety
    ///
    /// Only one context may pop at a time: the one consumer.
    pub unsafe fn pop(&self) -> Option<u8> {
        let tail = self.tail.load(Ordering::Relaxed);
        let head = self.head.load(Ordering::Acquire);
        if head == tail {
            return None;
        }
        // SAFETY: slot `tail` is inside `tail..head`, published by the
        // producer's release store, and it is not reused until we move
        // `tail` below; we are the only consumer (the caller's promise).
        let byte = unsafe { (*self.buf.get())[tail & Self::MASK] };
        self.tail.store(tail.wrapping_add(1), Ordering::Release);
        Some(byte)
    }
}
// ANCHOR_END: ring

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::VecDeque;

    const SIZE: usize = 8;

    // SAFETY (all tests): each test is a single thread, the only producer
    // and the only consumer of its own ring.

    #[test]
    fn starts_empty_and_keeps_order() {
        let ring = Ring::<SIZE>::new();
        assert!(ring.is_empty());
        // SAFETY: see above.
        unsafe {
            assert_eq!(ring.pop(), None);
            ring.push(b'a').unwrap();
            ring.push(b'b').unwrap();
            assert_eq!(ring.len(), 2);
            assert_eq!(ring.pop(), Some(b'a'));
            assert_eq!(ring.pop(), Some(b'b'));
            assert_eq!(ring.pop(), None);
        }
    }

    #[test]
    fn refuses_a_byte_when_full() {
        let ring = Ring::<SIZE>::new();
        // SAFETY: see above.
        unsafe {
            for byte in 0..SIZE as u8 {
                ring.push(byte).unwrap();
            }
            assert!(ring.is_full());
            assert_eq!(ring.push(0xff), Err(0xff));
            assert_eq!(ring.pop(), Some(0));
            assert!(!ring.is_full());
            ring.push(0xff).unwrap();
            let rest: Vec<u8> = std::iter::from_fn(|| ring.pop()).collect();
            assert_eq!(rest, [1, 2, 3, 4, 5, 6, 7, 0xff]);
        }
    }

    #[test]
    fn indices_wrap_around_usize_max() {
        let ring = Ring::<SIZE>::starting_at(usize::MAX - 2);
        // SAFETY: see above.
        unsafe {
            for byte in 0..SIZE as u8 {
                ring.push(byte).unwrap();
            }
            assert!(ring.is_full());
            let all: Vec<u8> = std::iter::from_fn(|| ring.pop()).collect();
            assert_eq!(all, [0, 1, 2, 3, 4, 5, 6, 7]);
            assert!(ring.is_empty());
        }
    }

    proptest! {
        /// Any interleaving of pushes (`Some(byte)`) and pops (`None`)
        /// behaves like a bounded FIFO queue.
        #[test]
        fn behaves_like_a_bounded_queue(
            start in any::<usize>(),
            ops in proptest::collection::vec(proptest::option::of(any::<u8>()), 0..200),
        ) {
            let ring = Ring::<SIZE>::starting_at(start);
            let mut model = VecDeque::new();
            for op in ops {
                // SAFETY: see above.
                unsafe {
                    match op {
                        Some(byte) => {
                            let expected = if model.len() < SIZE {
                                model.push_back(byte);
                                Ok(())
                            } else {
                                Err(byte)
                            };
                            prop_assert_eq!(ring.push(byte), expected);
                        }
                        None => prop_assert_eq!(ring.pop(), model.pop_front()),
                    }
                }
                prop_assert_eq!(ring.len(), model.len());
                prop_assert_eq!(ring.is_full(), model.len() == SIZE);
            }
        }
    }
}
