//! The fuzzer's run: set up, get the seed, then draw and run operations
//! for ever, with a heartbeat every [`HEARTBEAT_EVERY`] operations.

use crate::{exception, exec};
use aarch64_cpu::registers::{CNTFRQ_EL0, CNTVCT_EL0};
use fuzz::op::{Layout, Op, Stop};
use fuzz::report::{Announcement, Counters, Heartbeat, HEARTBEAT_EVERY};
use fuzz::rng::Rng;
use fuzz::seed::{SeedLine, Typed, PROMPT};
use raspi3b::map::SYSTEM_TIMER_BASE;
use rt::board::{console, MAILBOX, UART};
use tock_registers::interfaces::Readable;
use ufmt::{uwrite, uwriteln};

/// The RAM size to assume if the firmware does not answer: the fuzz list
/// gives this guest 16 MiB.
const DEFAULT_RAM_END: u64 = 16 << 20;
/// How long to wait for a seed to be typed, in seconds.
const SEED_WAIT_SECONDS: u64 = 5;
/// The system timer's CLO: where an untyped seed comes from.
const SYSTEM_TIMER_CLO: u64 = SYSTEM_TIMER_BASE.as_u64() + 0x04;

/// Set up, ask for the seed, fuzz for ever.
pub fn start() -> ! {
    rt::exception::install_vectors();
    rt::board::init_console();
    let ram_end = MAILBOX.arm_memory_end().unwrap_or(DEFAULT_RAM_END);
    let mut w = console();
    let _ = uwriteln!(
        w,
        "fuzz: a guest that throws random traps at its hypervisor; RAM ends at {:#x}",
        ram_end
    );
    let (seed, typed) = match ask_seed() {
        Some(seed) => (seed, "typed"),
        None => (board_seed(), "from the system timer"),
    };
    let _ = uwriteln!(w, "fuzz: seed {:#x} ({})", seed, typed);
    fuzz(seed, Layout { ram_end })
}

/// Print the prompt and read a seed line, for a few seconds at most.
fn ask_seed() -> Option<u64> {
    let mut w = console();
    let _ = uwrite!(w, "{}", PROMPT);
    let mut line = SeedLine::new();
    let start = CNTVCT_EL0.get();
    let patience = CNTFRQ_EL0.get() * SEED_WAIT_SECONDS;
    while CNTVCT_EL0.get().wrapping_sub(start) < patience {
        if let Some(byte) = UART.read_byte() {
            UART.write_byte(byte);
            if let Typed::Done(seed) = line.feed(byte) {
                let _ = uwrite!(w, "\n");
                return seed;
            }
        }
    }
    let _ = uwrite!(w, "\n");
    None
}

/// A seed from the board: the system timer and the virtual counter.
fn board_seed() -> u64 {
    // SAFETY: CLO is a device register of the virtual board.
    let clo = unsafe { core::ptr::read_volatile(SYSTEM_TIMER_CLO as *const u32) };
    u64::from(clo) ^ CNTVCT_EL0.get().rotate_left(32)
}

/// Draw and run operations for ever.
fn fuzz(seed: u64, layout: Layout) -> ! {
    let mut rng = Rng::new(seed);
    let mut w = console();
    let mut ops = 0u64;
    loop {
        let op = Op::draw(&mut rng, &layout);
        if let Some(stop) = op.expected_stop(&layout) {
            let (what, at) = describe(&op);
            let outcome = stop.word();
            let _ = uwriteln!(
                w,
                "{}",
                Announcement {
                    op: ops,
                    outcome,
                    what,
                    at
                }
            );
            if stop == Stop::Reset || stop == Stop::PowerOff {
                heartbeat(seed, ops);
            }
        }
        exec::run(&op);
        ops += 1;
        if ops.is_multiple_of(HEARTBEAT_EVERY) {
            heartbeat(seed, ops);
        }
    }
}

/// Print a heartbeat.
fn heartbeat(seed: u64, ops: u64) {
    let mut w = console();
    let counters = Counters {
        ops,
        exceptions: exception::exceptions(),
        interrupts: exception::interrupts(),
    };
    let _ = uwriteln!(w, "{}", Heartbeat { seed, counters });
}

/// An operation in a few words and the address it is about.
fn describe(op: &Op) -> (&'static str, u64) {
    use fuzz::op::{LoadForm, StoreForm};
    match *op {
        Op::Load { address, form } => (
            match form {
                LoadForm::Pair => "load pair",
                LoadForm::PreIndex | LoadForm::PostIndex => "load with writeback",
                LoadForm::Exclusive => "load exclusive",
                _ => "load",
            },
            address,
        ),
        Op::Store { address, form, .. } => (
            match form {
                StoreForm::Pair => "store pair",
                StoreForm::PreIndex | StoreForm::PostIndex => "store with writeback",
                StoreForm::Exclusive => "store exclusive",
                _ => "store",
            },
            address,
        ),
        Op::Call {
            smc: true,
            function,
            ..
        } => ("SMC", function),
        Op::Call { function, .. } => ("HVC", function),
        Op::Mailbox {
            outside_ram: Some(address),
            ..
        } => ("mailbox buffer", address),
        Op::WatchdogReset => ("watchdog reset", fuzz::op::PM_RSTC),
        _ => ("operation", 0),
    }
}
