//! The transmit ring against a model, and against a simulated mini UART
//! that takes 87 us per byte on a simulated clock.

extern crate std;
use super::*;
use proptest::prelude::*;
use std::boxed::Box;
use std::collections::VecDeque;
use std::vec::Vec;

/// The transmit FIFO's depth.
const FIFO_DEPTH: usize = raspi3b::aux::FIFO_DEPTH;
/// Nanoseconds one byte takes on the wire at 115200 baud (10 bits).
const BYTE_NS: u64 = 1_000_000_000 * 10 / 115_200;
/// Nanoseconds one register access costs the simulated core.
const ACCESS_NS: u64 = 100;
/// A scheduling slice: the longest the loop may be kept from the VMs.
const SLICE_NS: u64 = 10_000_000;
/// The largest replay (a full log or scrollback).
const REPLAY_BYTES: usize = 16 * 1024;

/// `bytes` as they go out on the wire: each `\n` as `\r\n`.
fn on_the_wire(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for &b in bytes {
        if b == b'\n' {
            out.push(b'\r');
        }
        out.push(b);
    }
    out
}

/// Lines of text, `len` bytes in all.
fn text(len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| {
            if i % 64 == 63 {
                b'\n'
            } else {
                b'a' + (i % 26) as u8
            }
        })
        .collect()
}

/// A mini UART on a simulated clock: its transmit FIFO sends one byte
/// every [`BYTE_NS`], keys typed every [`BYTE_NS`] fill its 8-byte receive
/// FIFO (lost when it is full), and every register access costs
/// [`ACCESS_NS`].
struct SimUart<'a> {
    now: u64,
    fifo: VecDeque<u8>,
    /// When the byte at the head of the FIFO is on the wire.
    head_done: u64,
    wire: Vec<u8>,
    interrupt: bool,
    /// Keys still to be typed, the next one at `next_key`.
    keys: VecDeque<u8>,
    next_key: u64,
    rx_fifo: VecDeque<u8>,
    received: Vec<u8>,
    rx_lost: usize,
    /// The lock a replay must not hold while it waits, and how often the
    /// receiver was served with it held.
    lock: Option<&'a Mutex<()>>,
    served_locked: usize,
}

impl<'a> SimUart<'a> {
    fn new(lock: Option<&'a Mutex<()>>) -> Self {
        Self {
            now: 0,
            fifo: VecDeque::new(),
            head_done: 0,
            wire: Vec::new(),
            interrupt: false,
            keys: VecDeque::new(),
            next_key: 0,
            rx_fifo: VecDeque::new(),
            received: Vec::new(),
            rx_lost: 0,
            lock,
            served_locked: 0,
        }
    }

    /// Let time pass until `t`.
    fn run_until(&mut self, t: u64) {
        while !self.fifo.is_empty() && self.head_done <= t {
            let byte = self.fifo.pop_front().unwrap();
            self.wire.push(byte);
            self.head_done += BYTE_NS;
        }
        while !self.keys.is_empty() && self.next_key <= t {
            let key = self.keys.pop_front().unwrap();
            if self.rx_fifo.len() < FIFO_DEPTH {
                self.rx_fifo.push_back(key);
            } else {
                self.rx_lost += 1;
            }
            self.next_key += BYTE_NS;
        }
        self.now = self.now.max(t);
    }

    fn access(&mut self) {
        let t = self.now + ACCESS_NS;
        self.run_until(t);
    }

    /// When the AUX interrupt asks for service next (the transmit FIFO
    /// empty with its interrupt on, or a key in the receive FIFO).
    fn next_interrupt(&self) -> u64 {
        let transmit = if self.interrupt {
            if self.fifo.is_empty() {
                self.now
            } else {
                self.head_done + BYTE_NS * (self.fifo.len() as u64 - 1)
            }
        } else {
            u64::MAX
        };
        let receive = if !self.rx_fifo.is_empty() {
            self.now
        } else if self.keys.is_empty() {
            u64::MAX
        } else {
            self.next_key
        };
        transmit.min(receive)
    }
}

impl Uart for SimUart<'_> {
    fn transmit_room(&mut self) -> usize {
        self.access();
        FIFO_DEPTH - self.fifo.len()
    }

    fn transmit(&mut self, byte: u8) {
        self.access();
        assert!(self.fifo.len() < FIFO_DEPTH, "a byte into a full FIFO");
        if self.fifo.is_empty() {
            self.head_done = self.now + BYTE_NS;
        }
        self.fifo.push_back(byte);
    }

    fn transmit_interrupt(&mut self, on: bool) {
        self.access();
        self.interrupt = on;
    }

    fn receive(&mut self) {
        if self.lock.is_some_and(|lock| lock.is_locked()) {
            self.served_locked += 1;
        }
        loop {
            self.access();
            let Some(key) = self.rx_fifo.pop_front() else {
                break;
            };
            self.received.push(key);
        }
    }
}

/// The main loop over a simulated time: VMs run until the slice ends or
/// the AUX interrupt asks, then the loop serves it (the ring's drain and
/// the receiver). Until the wire has sent everything; the longest time
/// the loop spent serving, and the share of the time the VMs had.
fn run_loop(ring: &TxRing<TX_RING_BYTES>, uart: &mut SimUart<'_>) -> (u64, f64) {
    let start = uart.now;
    let (mut longest, mut guest) = (0, 0);
    while !ring.is_empty() || !uart.fifo.is_empty() || !uart.keys.is_empty() {
        let until = uart.next_interrupt().min(uart.now + SLICE_NS);
        guest += until.saturating_sub(uart.now);
        uart.run_until(until);
        let served = uart.now;
        uart.receive();
        ring.drain(uart);
        longest = u64::max(longest, uart.now - served);
    }
    (longest, guest as f64 / (uart.now - start) as f64)
}

// ANCHOR: replay_test
#[test]
fn a_16_kib_replay_never_keeps_the_loop_for_a_slice_and_loses_nothing() {
    let lock = Mutex::new(());
    let ring: Box<TxRing<TX_RING_BYTES>> = Box::default();
    let mut uart = SimUart::new(Some(&lock));
    let log = text(REPLAY_BYTES);
    // Someone types all along.
    uart.keys.extend(b"vml\r".iter().cycle().take(4096));
    let copy = |at: usize, out: &mut [u8]| {
        out.copy_from_slice(&log[at..at + out.len()]);
        out.len()
    };
    ring.replay(copy, (0, log.len()), true, &lock, &mut uart);
    assert!(
        uart.now < SLICE_NS,
        "the replay kept the loop {} us",
        uart.now / 1000
    );
    assert!(uart.interrupt, "the rest goes out on the interrupt");
    let (longest, guest_share) = run_loop(&ring, &mut uart);
    assert!(longest < SLICE_NS, "one service took {} us", longest / 1000);
    assert!(guest_share > 0.99, "the VMs had {guest_share} of the time");
    assert_eq!(uart.wire, on_the_wire(&log), "every byte, in order");
    assert!(!uart.interrupt, "off once the ring is empty");
    let wire_ns = BYTE_NS * uart.wire.len() as u64;
    assert!(uart.now < wire_ns + wire_ns / 100, "the wire never idled");
    assert_eq!((uart.rx_lost, uart.received.len()), (0, 4096));
}
// ANCHOR_END: replay_test

#[test]
fn a_writer_facing_a_full_ring_serves_the_uart_without_the_lock() {
    let lock = Mutex::new(());
    let ring: Box<TxRing<TX_RING_BYTES>> = Box::default();
    let mut uart = SimUart::new(Some(&lock));
    // Two replays back to back: the second finds the ring full and waits,
    // as long as the wire needs, draining the receiver as keys come.
    let log = text(REPLAY_BYTES);
    uart.keys.extend(b"paste".iter().cycle().take(2000));
    for _ in 0..3 {
        ring.feed(&log, true, &lock, &mut uart);
    }
    assert_eq!(uart.served_locked, 0, "no lock held while waiting");
    run_loop(&ring, &mut uart);
    assert_eq!(uart.wire, on_the_wire(&log.repeat(3)));
    assert_eq!((uart.rx_lost, uart.received.len()), (0, 2000));
}

#[test]
fn the_focused_vm_is_told_busy_above_the_high_water_mark() {
    let ring: Box<TxRing<TX_RING_BYTES>> = Box::default();
    let headroom = TX_RING_BYTES / HEADROOM_DIVISOR;
    let below = TX_RING_BYTES - headroom;
    assert_eq!(ring.push(&text(below), false), below);
    assert!(!ring.busy());
    ring.push(b"x", false);
    assert!(ring.busy());
}

#[test]
fn a_crash_report_is_preceded_by_everything_queued() {
    let ring: TxRing<64> = TxRing::new();
    let mut uart = SimUart::new(None);
    ring.push(b"reading 0xdead0000...\n", true);
    // Crashed in the middle of a drain: its flag is still taken.
    ring.draining.store(true, Ordering::Relaxed);
    ring.flush_for_crash(&mut uart);
    uart.run_until(uart.now + BYTE_NS * FIFO_DEPTH as u64);
    assert_eq!(uart.wire, b"reading 0xdead0000...\r\n");
}

#[test]
fn a_newline_goes_in_whole_or_not_at_all() {
    let ring: TxRing<4> = TxRing::new();
    assert_eq!(ring.push(b"abc\nd", true), 3, "\\r\\n needs two slots");
    assert_eq!(ring.len(), 3);
}

/// What a test step does.
#[derive(Clone, Debug)]
enum Step {
    /// Enqueue bytes, translating newlines or not.
    Push(Vec<u8>, bool),
    /// Let the FIFO send this many bytes, then drain.
    Drain(usize),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        (proptest::collection::vec(any::<u8>(), 0..40), any::<bool>())
            .prop_map(|(bytes, crlf)| Step::Push(bytes, crlf)),
        (0..=FIFO_DEPTH).prop_map(Step::Drain),
    ]
}

proptest! {
    // ANCHOR: property
    /// Whatever the interleaving of writers and drains, the wire carries
    /// exactly what was accepted, in order; the ring never holds more than
    /// it can; the FIFO is never overfilled; and the transmit interrupt is
    /// on after a drain exactly when bytes are left.
    #[test]
    fn the_wire_carries_what_was_accepted_in_order(steps in proptest::collection::vec(step(), 0..200)) {
        let ring: TxRing<64> = TxRing::new();
        let mut uart = SimUart::new(None);
        let mut accepted = Vec::new();
        for step in steps {
            match step {
                Step::Push(bytes, crlf) => {
                    let taken = ring.push(&bytes, crlf);
                    prop_assert!(taken == bytes.len() || ring.len() + 2 > 64);
                    let part = &bytes[..taken];
                    accepted.extend(if crlf { on_the_wire(part) } else { part.to_vec() });
                }
                Step::Drain(sent) => {
                    let t = uart.head_done + BYTE_NS * (sent as u64).saturating_sub(1);
                    if sent > 0 {
                        uart.run_until(t);
                    }
                    ring.drain(&mut uart);
                    prop_assert_eq!(uart.interrupt, !ring.is_empty());
                }
            }
            prop_assert!(ring.len() <= 64);
            prop_assert!(uart.fifo.len() <= FIFO_DEPTH);
        }
        while !ring.is_empty() || !uart.fifo.is_empty() {
            let t = uart.now + BYTE_NS;
            uart.run_until(t);
            ring.drain(&mut uart);
        }
        prop_assert_eq!(uart.wire, accepted);
    }
    // ANCHOR_END: property
}
