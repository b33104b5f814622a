//! lrtos: a tiny RTOS for the Raspberry Pi 3, written to be read.
//!
//! lrtos is an ordinary BCM2837 program: an EL1 kernel with its own MMU,
//! user tasks at EL0 that enter the kernel with `svc`, and a preemptive
//! round-robin scheduler driven by the ARM generic virtual timer. It boots
//! natively (QEMU `raspi3b`, a real Pi 3) and inside the ferrovisor
//! hypervisor, unchanged.
//!
//! This library holds the logic that does not touch the hardware, so it is
//! unit-tested on the host: the board's memory map, the system-call ABI,
//! the saved register frame, exception decoding, translation-table
//! descriptors, the run queue and time conversions. The kernel that drives
//! the hardware is the `lrtos` binary (`src/main.rs`, `src/kernel/`), and
//! the tasks it runs are in `src/user/`.
#![cfg_attr(not(test), no_std)]
#![deny(missing_docs)]
#![deny(clippy::undocumented_unsafe_blocks)]

pub mod board;
pub mod context;
pub mod paging;
pub mod sched;
pub mod syscall;
pub mod time;
pub mod trap;

/// lrtos's version, from Cargo.toml.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
