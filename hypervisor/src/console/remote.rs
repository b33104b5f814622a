//! The shell's requests to the core that runs a VM.
//!
//! The shell runs on core 0, but a VM's state belongs to the core the list
//! pins it to: only that core reads or changes it. So a command about a VM
//! of another core (`vmstop 3`, a row of `vml`) is not carried out by the
//! shell: it is handed to that core through its [`Channel`], the core is
//! kicked with an IPI, carries the command out between two runs of its
//! guests (printing what the command prints), and says it is done. The
//! shell waits for that before it prints its prompt, so output never
//! interleaves and commands happen in the order they were typed.
//!
//! One channel per core. Who writes what, and the ordering:
//!
//! - Core 0 (the shell, the only sender) fills `kind`, `index`, `len` and
//!   `line` while `busy` is false (then nobody else reads them), and then
//!   stores `busy = true` with Release: the request is published.
//! - The owner core loads `busy` with Acquire once per pass of its loop;
//!   seeing `true`, it reads the request, carries it out, and stores
//!   `busy = false` with Release: what it did (and printed) happens before.
//! - Core 0 waits for `busy == false` with Acquire before it goes on. While
//!   it waits, it keeps draining the UART's receiver, so no typed byte is
//!   lost; after [`ANSWER_MICROS`] it gives up and says so (the channel
//!   stays busy until the core answers, and the next request to it is
//!   refused until then).
//!
//! The host tests run this protocol with two threads, and loom checks it
//! in every interleaving (`crate::sync`).

#[cfg(not(loom))]
use crate::board::CORES;
use crate::console::line_editor::MAX_LINE;
use crate::sync::{const_fn, AtomicBool, AtomicU8, AtomicUsize, Ordering, UnsafeCell};
/// How long the shell waits for a core to carry out a request.
pub const ANSWER_MICROS: u64 = 1_000_000;

// ANCHOR: request
/// What the shell asks of a VM's core.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Request<'a> {
    /// A command line naming one of the core's VMs: carry it out.
    Line(&'a str),
    /// Print VM `index`'s row of `vml`.
    VmlRow(usize),
    /// Print this core's line of `info`.
    CoreRow,
}
// ANCHOR_END: request

/// `kind` values.
const KIND_LINE: u8 = 0;
const KIND_VML_ROW: u8 = 1;
const KIND_CORE_ROW: u8 = 2;

// ANCHOR: channel
/// One core's request slot.
pub struct Channel {
    /// A request is in the slot and not yet carried out.
    busy: AtomicBool,
    /// Which [`Request`] it is.
    kind: AtomicU8,
    /// The VM index of a [`Request::VmlRow`].
    index: AtomicUsize,
    /// Bytes of `line` in use.
    len: AtomicUsize,
    /// The command line of a [`Request::Line`].
    line: UnsafeCell<[u8; MAX_LINE]>,
}
// ANCHOR_END: channel

// SAFETY: `line` is written only by the sender while `busy` is false and
// read only by the owner while it is true; the Release/Acquire pairs on
// `busy` order those accesses (see the module's documentation).
unsafe impl Sync for Channel {}

/// Why a request was not carried out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AskError {
    /// The core is still working on an earlier request.
    Busy,
    /// The core did not answer in time.
    NoAnswer,
}

impl Channel {
    const_fn! {
        /// An empty slot.
        pub fn new() -> Self {
            Self {
                busy: AtomicBool::new(false),
                kind: AtomicU8::new(KIND_LINE),
                index: AtomicUsize::new(0),
                len: AtomicUsize::new(0),
                line: UnsafeCell::new([0; MAX_LINE]),
            }
        }
    }

    // ANCHOR: ask
    /// Publish `request` (the sender, core 0), call `kick` to make the
    /// owner look, and wait until it is carried out, calling `meanwhile`
    /// on every turn of the wait and giving up when it says `false`
    /// (time is up).
    pub fn ask(
        &self,
        request: Request<'_>,
        kick: impl FnOnce(),
        mut meanwhile: impl FnMut() -> bool,
    ) -> Result<(), AskError> {
        if self.busy.load(Ordering::Acquire) {
            return Err(AskError::Busy);
        }
        match request {
            Request::Line(line) => {
                let len = line.len().min(MAX_LINE);
                let bytes = &line.as_bytes()[..len];
                // SAFETY: `busy` is false: the owner does not read `line`.
                self.line
                    .with_mut(|slot| unsafe { (&mut *slot)[..len].copy_from_slice(bytes) });
                self.len.store(len, Ordering::Relaxed);
                self.kind.store(KIND_LINE, Ordering::Relaxed);
            }
            Request::VmlRow(index) => {
                self.index.store(index, Ordering::Relaxed);
                self.kind.store(KIND_VML_ROW, Ordering::Relaxed);
            }
            Request::CoreRow => self.kind.store(KIND_CORE_ROW, Ordering::Relaxed),
        }
        self.busy.store(true, Ordering::Release);
        kick();
        while self.busy.load(Ordering::Acquire) {
            if !meanwhile() {
                return Err(AskError::NoAnswer);
            }
            core::hint::spin_loop();
        }
        Ok(())
    }
    // ANCHOR_END: ask

    // ANCHOR: serve
    /// If a request waits (the owner core, once per pass of its loop),
    /// carry it out with `execute` and say it is done.
    pub fn serve(&self, execute: impl FnOnce(Request<'_>)) {
        if !self.busy.load(Ordering::Acquire) {
            return;
        }
        let mut copy = [0u8; MAX_LINE];
        let request = match self.kind.load(Ordering::Relaxed) {
            KIND_VML_ROW => Request::VmlRow(self.index.load(Ordering::Relaxed)),
            KIND_CORE_ROW => Request::CoreRow,
            _ => {
                let len = self.len.load(Ordering::Relaxed).min(MAX_LINE);
                // SAFETY: `busy` is true: the sender does not write `line`.
                self.line
                    .with(|slot| copy[..len].copy_from_slice(unsafe { &(&*slot)[..len] }));
                // The shell sends only printable ASCII it parsed.
                Request::Line(core::str::from_utf8(&copy[..len]).unwrap_or(""))
            }
        };
        execute(request);
        self.busy.store(false, Ordering::Release);
    }
    // ANCHOR_END: serve
}

impl Default for Channel {
    fn default() -> Self {
        Self::new()
    }
}

/// Every core's channel. (Not under loom, which builds its atomics at run
/// time; nor is [`ONLINE`].)
#[cfg(not(loom))]
pub static CHANNELS: [Channel; CORES] = [const { Channel::new() }; CORES];

/// Whether each core has set itself up at EL2 and runs its loop (set once
/// by that core, `kernel::smp`); the shell asks only cores that are.
#[cfg(not(loom))]
pub static ONLINE: [AtomicBool; CORES] = [const { AtomicBool::new(false) }; CORES];

/// How many cores are online ([`ONLINE`]).
#[cfg(not(loom))]
pub fn online() -> usize {
    ONLINE.iter().filter(|c| c.load(Ordering::Acquire)).count()
}

/// The core the shell runs on (and the UART's interrupt goes to).
pub const SHELL_CORE: usize = 0;

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::string::String;
    use std::sync::{Arc, Mutex};
    use std::vec::Vec;

    #[test]
    fn a_request_is_carried_out_by_the_owner_before_ask_returns() {
        let channel: &'static Channel = std::boxed::Box::leak(std::boxed::Box::new(Channel::new()));
        let seen = Arc::new(Mutex::new(Vec::<String>::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let owner = {
            let (seen, stop) = (seen.clone(), stop.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::Acquire) {
                    channel.serve(|request| {
                        let text = match request {
                            Request::Line(line) => String::from(line),
                            Request::VmlRow(index) => std::format!("row {index}"),
                            Request::CoreRow => String::from("core"),
                        };
                        seen.lock().unwrap().push(text);
                    });
                    std::thread::yield_now();
                }
            })
        };
        for i in 0..200 {
            let line = std::format!("vmstop {i}");
            channel
                .ask(Request::Line(&line), || {}, || true)
                .expect("the owner answers");
            // Carried out, and in order, by the time ask returns.
            assert_eq!(seen.lock().unwrap().last().unwrap(), &line);
            channel.ask(Request::VmlRow(i), || {}, || true).unwrap();
            assert_eq!(seen.lock().unwrap().len(), 2 * i + 2);
        }
        stop.store(true, Ordering::Release);
        owner.join().unwrap();
    }

    #[test]
    fn a_core_that_does_not_answer_is_given_up_and_then_refused() {
        let channel = Channel::new();
        let mut turns = 0;
        let kicked = core::cell::Cell::new(false);
        let result = channel.ask(
            Request::Line("vmstop 2"),
            || kicked.set(true),
            || {
                turns += 1;
                turns < 10
            },
        );
        assert!(kicked.get());
        assert_eq!(result, Err(AskError::NoAnswer));
        // Still busy: the next request waits for the owner.
        assert_eq!(
            channel.ask(Request::VmlRow(0), || {}, || true),
            Err(AskError::Busy)
        );
        // The owner finally answers the first request.
        let mut got = None;
        channel.serve(|r| {
            got = Some(match r {
                Request::Line(l) => String::from(l),
                Request::VmlRow(_) | Request::CoreRow => String::new(),
            })
        });
        assert_eq!(got.as_deref(), Some("vmstop 2"));
        // Nothing waits now.
        channel.serve(|_| panic!("no request"));
    }
}

/// Model checks (`RUSTFLAGS="--cfg loom"`, see `crate::sync`): every
/// interleaving of the shell and an owner core, and every value each load
/// may see.
#[cfg(loom)]
#[cfg(test)]
mod loom_tests {
    extern crate std;
    use super::*;
    use crate::sync::UnsafeCell;
    use loom::sync::Arc;
    use loom::thread;
    use std::string::String;
    use std::vec::Vec;

    /// What the owner carried out, in order: written by `execute` on the
    /// owner's thread, read by the shell's after `ask` returns. A cell loom
    /// tracks, so a read not ordered after the write fails the test.
    struct Done(UnsafeCell<Vec<String>>);

    // SAFETY: the protocol under test orders the two threads' accesses;
    // loom checks that it does.
    unsafe impl Sync for Done {}
    // SAFETY: as above.
    unsafe impl Send for Done {}

    // ANCHOR: loom_channel
    /// The shell asks twice (a command line, then a row of `vml`); the
    /// owner core serves whatever it finds. When `ask` returns, the owner
    /// has carried that request out, with the bytes the shell wrote, and
    /// nothing twice.
    #[test]
    fn ask_returns_after_serve_finished() {
        loom::model(|| {
            let channel = Arc::new(Channel::new());
            let done = Arc::new(Done(UnsafeCell::new(Vec::new())));
            let owner = {
                let (channel, done) = (channel.clone(), done.clone());
                thread::spawn(move || loop {
                    // SAFETY: only this thread writes `done`, and the
                    // shell reads it only after `ask` returned.
                    let served = done.0.with(|d| unsafe { (*d).len() });
                    if served == 2 {
                        break;
                    }
                    channel.serve(|request| {
                        let text = match request {
                            Request::Line(line) => String::from(line),
                            Request::VmlRow(index) => std::format!("row {index}"),
                            Request::CoreRow => String::from("core"),
                        };
                        // SAFETY: as above.
                        done.0.with_mut(|d| unsafe { (*d).push(text) });
                    });
                    thread::yield_now();
                })
            };
            let wait = || {
                thread::yield_now();
                true
            };
            channel.ask(Request::Line("vmstop 1"), || {}, wait).unwrap();
            // SAFETY: `ask` returned: the owner is done with `done`.
            let seen = done.0.with(|d| unsafe { (*d).clone() });
            assert_eq!(seen, ["vmstop 1"]);
            channel.ask(Request::VmlRow(1), || {}, wait).unwrap();
            // SAFETY: as above.
            let seen = done.0.with(|d| unsafe { (*d).clone() });
            assert_eq!(seen, ["vmstop 1", "row 1"]);
            owner.join().unwrap();
        });
    }
    // ANCHOR_END: loom_channel
}
