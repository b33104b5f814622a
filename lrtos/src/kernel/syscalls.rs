//! The system calls: what the kernel does when a task executes `svc`.
//!
//! The ABI (numbers, registers, errors) is documented in
//! [`lrtos::syscall`]. The calls that give up the CPU (`sleep`, `yield`,
//! `exit`) end with a context switch; the others return to the caller.

use super::{console, mmu, scheduler, timer};
use lrtos::context::TrapFrame;
use lrtos::paging::user_readable;
use lrtos::syscall::{self, errno, error, Syscall};
use lrtos::time;

// ANCHOR: dispatch
/// Carry out the system call whose number and arguments are in `frame`.
///
/// The result goes into the frame's x0 *before* any context switch: the
/// switch saves the frame as the caller's context, so the caller finds the
/// result when it next runs.
pub fn dispatch(frame: &mut TrapFrame) {
    let context = &mut frame.context;
    match syscall::decode(context.syscall_number(), context.syscall_args()) {
        Syscall::Write { addr, len } => context.set_syscall_result(write(addr, len)),
        Syscall::GetPid => context.set_syscall_result(scheduler::current_pid()),
        Syscall::Yield => {
            context.set_syscall_result(0);
            scheduler::switch(frame);
        }
        Syscall::Sleep { ms } => {
            context.set_syscall_result(0);
            let until = time::deadline(timer::now(), ms, timer::frequency());
            scheduler::sleep_current(frame, until);
        }
        Syscall::Exit { code } => scheduler::exit_current(frame, code),
        // LAB 4: BEGIN SOLUTION
        Syscall::Uptime => {
            context.set_syscall_result(time::ticks_to_ms(timer::now(), timer::frequency()))
        }
        // LAB 4: END SOLUTION
        // LAB 4: BEGIN STUB
        // Syscall::Uptime => context.set_syscall_result(error(errno::ENOSYS)),
        // LAB 4: END STUB
        Syscall::Unknown(_) => context.set_syscall_result(error(errno::ENOSYS)),
    }
}
// ANCHOR_END: dispatch

// ANCHOR: write
/// `write(addr, len)`: print the task's bytes, all in one go (the kernel
/// is not preempted, so no other task's output can get in between).
fn write(addr: u64, len: u64) -> u64 {
    let len = syscall::write_len(len);
    if len == 0 {
        return 0;
    }
    if !user_readable(&mmu::regions(), addr, len) {
        return error(errno::EFAULT);
    }
    // SAFETY: the whole range is mapped memory the task can read (checked
    // just above), identity mapped, and not written while we read it.
    let bytes = unsafe { core::slice::from_raw_parts(addr as *const u8, len as usize) };
    console::write_bytes(bytes);
    len
}
// ANCHOR_END: write
