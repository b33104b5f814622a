//! The system-call wrappers a task calls: each puts the call number in x8
//! and the arguments in x0.., executes `svc #0`, and takes the result from
//! x0 (the ABI is documented in [`lrtos::syscall`]).
//!
//! They are `#[inline(always)]`, so their code lands inside the task
//! functions, in `.user.text`, and no task ever calls into kernel code.

use core::arch::asm;
#[cfg(feature = "uptime")]
use lrtos::syscall::SYS_UPTIME;
use lrtos::syscall::{SYS_EXIT, SYS_GETPID, SYS_SLEEP, SYS_WRITE, SYS_YIELD};

// ANCHOR: wrappers
/// Print `bytes` on the console; returns the number written, or a negative
/// error.
#[inline(always)]
pub fn write(bytes: &[u8]) -> i64 {
    let result: i64;
    // SAFETY: `svc` enters the kernel, which reads the buffer (checking it
    // is ours) and changes no register but x0.
    unsafe {
        asm!(
            "svc #0",
            in("x8") SYS_WRITE,
            inlateout("x0") bytes.as_ptr() => result,
            in("x1") bytes.len(),
            options(nostack, readonly),
        );
    }
    result
}

/// Sleep for at least `ms` milliseconds.
#[inline(always)]
pub fn sleep(ms: u64) {
    // SAFETY: the kernel changes no register but x0 (the result, 0).
    unsafe {
        asm!("svc #0", in("x8") SYS_SLEEP, inlateout("x0") ms => _, options(nostack));
    }
}

/// Let the next ready task run.
#[inline(always)]
#[allow(dead_code)] // part of the ABI; the demo tasks are preempted instead
pub fn yield_now() {
    // SAFETY: the kernel changes no register but x0 (the result, 0).
    unsafe {
        asm!("svc #0", in("x8") SYS_YIELD, lateout("x0") _, options(nostack));
    }
}

/// This task's process id.
#[inline(always)]
#[allow(dead_code)] // part of the ABI; the demo tasks do not need it
pub fn getpid() -> u64 {
    let pid: u64;
    // SAFETY: the kernel changes no register but x0 (the pid).
    unsafe {
        asm!("svc #0", in("x8") SYS_GETPID, lateout("x0") pid, options(nostack, nomem));
    }
    pid
}

/// Milliseconds since the virtual counter started (lab 4).
#[inline(always)]
#[cfg(feature = "uptime")]
pub fn uptime() -> u64 {
    // LAB 4: BEGIN SOLUTION
    let ms: u64;
    // SAFETY: the kernel changes no register but x0 (the milliseconds).
    unsafe {
        asm!("svc #0", in("x8") SYS_UPTIME, lateout("x0") ms, options(nostack, nomem));
    }
    ms
    // LAB 4: END SOLUTION
    // LAB 4: BEGIN STUB
    // let _ = SYS_UPTIME;
    // 0
    // LAB 4: END STUB
}

/// End this task with exit code `code`.
#[inline(always)]
#[allow(dead_code)] // part of the ABI; the demo tasks run forever
pub fn exit(code: i64) -> ! {
    // SAFETY: the kernel never returns to a task that exited.
    unsafe {
        asm!("svc #0", in("x8") SYS_EXIT, in("x0") code, options(noreturn, nostack));
    }
}
// ANCHOR_END: wrappers
