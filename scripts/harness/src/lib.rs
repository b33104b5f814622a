//! The ferrovisor system-test harness.
//!
//! System tests boot the real hypervisor image in QEMU (`raspi3b` machine)
//! and use its console the way a person at a serial terminal would: type a
//! line, wait for the answer, check it. This crate provides the pieces those
//! tests share:
//!
//! * [`Qemu`] starts the emulator with the board arguments from
//!   `boards/raspi3b/qemu.args`, connects the mini UART console to pipes and
//!   offers [`Qemu::expect`], [`Qemu::send`], [`Qemu::send_line`] and
//!   friends. Waiting is event driven (a condition variable signalled by the
//!   output reader threads), never a sleep loop.
//! * [`image_path`] finds the image built by `scripts/build.sh`.
//! * [`STEP_TIMEOUT`] and [`BOOT_TIMEOUT`] are the default limits, which the
//!   `FERROVISOR_TIMEOUT_SCALE` environment variable can stretch.
//!
//! * [`sampled`] runs a long test's rounds with a look at the system every
//!   few seconds (`soak`, `fuzz`).
//! * [`session`] parses the scripts that produce the book's console
//!   transcripts (`book/transcripts/*.session`).
//!
//! When a test fails, dropping its [`Qemu`] writes the full console log to
//! `target/systest-logs/<test name>.log` and prints the path.
//!
//! ```no_run
//! use ferrovisor_harness::{Qemu, BOOT_TIMEOUT, STEP_TIMEOUT};
//!
//! let mut qemu = Qemu::boot_default("example");
//! qemu.wait_for_prompt(BOOT_TIMEOUT);
//! qemu.send_line("help");
//! qemu.expect("info", STEP_TIMEOUT);
//! ```

#![deny(missing_docs)]

mod args;
pub mod linux;
mod paths;
mod qemu;
pub mod sampled;
pub mod session;
pub mod text;
mod timeouts;
mod transcript;

pub use args::{
    find_qemu, parse_qemu_args, qemu_command_line, qemu_command_line_with, QEMU_ARGS_FILE,
    QEMU_BINARY, QEMU_EXTRA_ARGS_VAR,
};
pub use paths::{image_path, log_path, workspace_root, DEFAULT_IMAGE, IMAGE_VAR, LOG_DIR};
pub use qemu::{Qemu, CONSOLE_KEYS, PROMPT};
pub use timeouts::{scaled, timeout_scale, BOOT_TIMEOUT, STEP_TIMEOUT, TIMEOUT_SCALE_VAR};
