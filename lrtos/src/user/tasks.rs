//! The task bodies: two tasks that print, and the idle task.
//!
//! Each printing task runs in bursts: it prints its line, then *busy-waits*
//! (spins on the counter, never calling the kernel) before the next line,
//! [`LINES_PER_BURST`] times, and then sleeps. Neither task ever yields the
//! CPU during a burst, so the only reason the other task's lines appear in
//! between is the timer interrupt preempting the spinning task every time
//! slice. Without preemption a burst would come out as one block of
//! identical lines. The sleep between bursts leaves both tasks asleep for
//! a while, when the idle task runs and the CPU rests in `wfi` (under
//! ferrovisor, the hypervisor gives it to other VMs).

use super::sys;
use core::arch::asm;
use lrtos::time::MS_PER_SECOND;

/// Lines each task prints in one burst.
pub const LINES_PER_BURST: u32 = 6;
/// Busy-wait between two lines: about three lines a second per task.
const BUSY_MS: u64 = 300;
/// Sleep after a burst.
const REST_MS: u64 = 1200;

/// Task 1's line.
#[link_section = ".user.rodata"]
static NUMBERS: [u8; 6] = *b"12345\n";
/// Task 2's line.
#[link_section = ".user.rodata"]
static LETTERS: [u8; 6] = *b"abcde\n";

// ANCHOR: task_bodies
/// Task 1 (pid 1): prints `12345` lines.
#[link_section = ".user.text"]
pub extern "C" fn numbers() -> ! {
    print_in_bursts(&NUMBERS)
}

/// Task 2 (pid 2): prints `abcde` lines.
#[link_section = ".user.text"]
pub extern "C" fn letters() -> ! {
    print_in_bursts(&LETTERS)
}

/// Print `line` [`LINES_PER_BURST`] times, spinning [`BUSY_MS`] after each,
/// then sleep [`REST_MS`]; forever.
#[link_section = ".user.text"]
#[inline(never)]
fn print_in_bursts(line: &[u8]) -> ! {
    loop {
        let mut printed = 0;
        while printed < LINES_PER_BURST {
            sys::write(line);
            busy_wait_ms(BUSY_MS);
            printed += 1;
        }
        sys::sleep(REST_MS);
    }
}

/// How often lab 4's `uptime` task prints.
#[cfg(feature = "uptime")]
const UPTIME_PERIOD_MS: u64 = 2000;
/// The longest uptime line: the prefix, 20 digits, the suffix.
#[cfg(feature = "uptime")]
const UPTIME_LINE_MAX: usize = 32;
/// What the uptime line starts with.
#[cfg(feature = "uptime")]
#[link_section = ".user.rodata"]
static UPTIME_PREFIX: [u8; 8] = *b"uptime: ";
/// What the uptime line ends with.
#[cfg(feature = "uptime")]
#[link_section = ".user.rodata"]
static UPTIME_SUFFIX: [u8; 4] = *b" ms\n";

/// Byte `at` of `bytes`, read so the compiler cannot turn a loop of them
/// into a call to memcpy.
#[cfg(feature = "uptime")]
#[inline(always)]
fn take(bytes: &[u8], at: usize) -> u8 {
    // SAFETY: `at` is in bounds (the callers loop over the length) and the
    // byte is ordinary readable memory.
    unsafe { core::ptr::read_volatile(&bytes[at]) }
}

/// Append `byte` to `line` (dropped if full), as [`take`] reads.
#[cfg(feature = "uptime")]
#[inline(always)]
fn put(line: &mut [u8], len: &mut usize, byte: u8) {
    if let Some(slot) = line.get_mut(*len) {
        // SAFETY: `slot` is a valid, exclusive reference into `line`.
        unsafe { core::ptr::write_volatile(slot, byte) };
        *len += 1;
    }
}

/// Lab 4's task 3: prints `uptime: N ms` every [`UPTIME_PERIOD_MS`], N from
/// the `uptime` system call, in decimal without leading zeros.
#[cfg(feature = "uptime")]
#[link_section = ".user.text"]
pub extern "C" fn uptime() -> ! {
    loop {
        // LAB 4: BEGIN SOLUTION
        // The line is built byte by byte with volatile accesses, so the
        // compiler neither copies a literal from the kernel's .rodata nor
        // calls memcpy (kernel text): EL0 may touch neither.
        let mut line = [0u8; UPTIME_LINE_MAX];
        let mut len = 0;
        for at in 0..UPTIME_PREFIX.len() {
            put(&mut line, &mut len, take(&UPTIME_PREFIX, at));
        }
        let ms = sys::uptime();
        let mut scale = 1;
        while ms / scale >= 10 {
            scale *= 10;
        }
        while scale > 0 {
            put(&mut line, &mut len, b'0' + (ms / scale % 10) as u8);
            scale /= 10;
        }
        for at in 0..UPTIME_SUFFIX.len() {
            put(&mut line, &mut len, take(&UPTIME_SUFFIX, at));
        }
        sys::write(&line[..len]);
        // LAB 4: END SOLUTION
        sys::sleep(UPTIME_PERIOD_MS);
    }
}

/// The idle task (pid 0): wait for the next interrupt, forever.
#[link_section = ".user.text"]
pub extern "C" fn idle() -> ! {
    loop {
        // SAFETY: WFI only waits; SCTLR_EL1.nTWI lets EL0 execute it.
        unsafe { asm!("wfi", options(nomem, nostack)) };
    }
}
// ANCHOR_END: task_bodies

// ANCHOR: busy_wait
/// Spin for `ms` milliseconds of wall-clock time, reading the virtual
/// counter directly (the kernel lets EL0 read it). The task stays runnable
/// all along: only the timer interrupt can take the CPU away from it.
#[inline(always)]
fn busy_wait_ms(ms: u64) {
    let start = counter();
    let ticks = ms.wrapping_mul(counter_frequency()) / MS_PER_SECOND;
    while counter().wrapping_sub(start) < ticks {
        core::hint::spin_loop();
    }
}

/// CNTVCT_EL0, the virtual counter.
#[inline(always)]
fn counter() -> u64 {
    let ticks: u64;
    // SAFETY: reading the counter has no side effects; ISB keeps the read
    // from being done early.
    unsafe { asm!("isb", "mrs {}, cntvct_el0", out(reg) ticks, options(nomem, nostack)) };
    ticks
}

/// CNTFRQ_EL0, the counter's rate in Hz.
#[inline(always)]
fn counter_frequency() -> u64 {
    let hz: u64;
    // SAFETY: reading the frequency register has no side effects.
    unsafe { asm!("mrs {}, cntfrq_el0", out(reg) hz, options(nomem, nostack)) };
    hz
}
// ANCHOR_END: busy_wait
