//! The user program: the tasks lrtos runs at EL0, their stacks, and the
//! system-call wrappers they use.
//!
//! Everything a task executes or touches must be in the user sections
//! (`.user.text`, `.user.rodata`, `.user.bss`), which the kernel maps with
//! EL0 permissions; the rest of the image is kernel-only, and a task that
//! strays there faults. That is why each function and constant here carries
//! a `#[link_section]` attribute, and why task code calls nothing that is
//! not in this folder (no formatting, no panics: those live in kernel code).
//!
//! The kernel side (the task table below, the stack addresses) is ordinary
//! kernel data.

pub mod sys;
pub mod tasks;

use core::cell::UnsafeCell;

/// What the kernel needs to start a task.
pub struct TaskSpec {
    /// Its name, for the boot banner and messages.
    pub name: &'static str,
    /// Where it starts, at EL0.
    pub entry: extern "C" fn() -> !,
}

/// The number of user tasks.
#[cfg(not(feature = "uptime"))]
pub const TASK_COUNT: usize = 2;
/// The number of user tasks, with lab 4's `uptime` task.
#[cfg(feature = "uptime")]
pub const TASK_COUNT: usize = 3;

// ANCHOR: task_table
/// The user tasks, in pid order (pid 1, 2, ...).
#[cfg(not(feature = "uptime"))]
pub const TASKS: [TaskSpec; TASK_COUNT] = [
    TaskSpec {
        name: "12345",
        entry: tasks::numbers,
    },
    TaskSpec {
        name: "abcde",
        entry: tasks::letters,
    },
];

/// The user tasks with lab 4's `uptime` task as pid 3 (built with
/// `--features uptime`).
#[cfg(feature = "uptime")]
pub const TASKS: [TaskSpec; TASK_COUNT] = [
    TaskSpec {
        name: "12345",
        entry: tasks::numbers,
    },
    TaskSpec {
        name: "abcde",
        entry: tasks::letters,
    },
    TaskSpec {
        name: "uptime",
        entry: tasks::uptime,
    },
];

/// The idle task (pid 0): runs when every other task sleeps.
pub const IDLE: TaskSpec = TaskSpec {
    name: "idle",
    entry: tasks::idle,
};
// ANCHOR_END: task_table

/// Bytes of stack per task: the tasks are small and do not recurse.
const STACK_SIZE: usize = 4096;

/// One task's stack, 16-byte aligned as SP must be.
#[repr(C, align(16))]
struct Stack(UnsafeCell<[u8; STACK_SIZE]>);

// SAFETY: the kernel only takes the address; each stack is used by one
// task, which runs on one core.
unsafe impl Sync for Stack {}

/// The stacks of the idle task and the user tasks, in the user's
/// read/write pages.
#[link_section = ".user.bss"]
static STACKS: [Stack; 1 + TASK_COUNT] =
    [const { Stack(UnsafeCell::new([0; STACK_SIZE])) }; 1 + TASK_COUNT];

/// The initial stack pointer of the task in `slot` (stacks grow down).
pub fn stack_top(slot: usize) -> u64 {
    STACKS[slot].0.get() as u64 + STACK_SIZE as u64
}
