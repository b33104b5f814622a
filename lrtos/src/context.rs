//! A task's saved registers, and the frame the exception vectors build.
//!
//! Everything an EL0 task can see of the CPU is its general-purpose
//! registers x0-x30, its stack pointer SP_EL0, where it is in its program
//! (the PC, which an exception saves in ELR_EL1) and its PSTATE (flags and
//! interrupt masks, saved in SPSR_EL1). [`TaskContext`] holds exactly that;
//! switching tasks means saving one context and loading another.
//!
//! On every exception `kernel/vectors.s` stores a [`TrapFrame`] (a context
//! plus the syndrome and fault address) on the kernel stack. The layout
//! here and the offsets in `vectors.s` must agree; the constants below are
//! passed to the assembly so there is one source of truth.

// ANCHOR: context
/// The complete user-visible state of an EL0 task.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TaskContext {
    /// General-purpose registers x0 to x30 (x30 is the link register).
    pub x: [u64; 31],
    /// The task's stack pointer (SP_EL0).
    pub sp_el0: u64,
    /// Where the task resumes (ELR_EL1: the interrupted or next instruction).
    pub elr: u64,
    /// The PSTATE the task resumes with (SPSR_EL1).
    pub spsr: u64,
}
// ANCHOR_END: context

/// SPSR_EL1.M, bits `[3:0]`, for "EL0, using SP_EL0" (Arm ARM C5.2.18, "EL0t").
pub const SPSR_M_EL0T: u64 = 0b0000;
/// SPSR_EL1.{D, A, I, F} all clear: a task runs with interrupts unmasked,
/// so the timer can preempt it.
pub const SPSR_DAIF_UNMASKED: u64 = 0;

/// Argument registers of the system-call ABI (x0 to x5).
pub const SYSCALL_ARGS: usize = 6;
/// The register holding the system-call number (x8, as on Linux).
pub const SYSCALL_NUMBER_REGISTER: usize = 8;
/// The register holding the system call's result (x0).
pub const SYSCALL_RESULT_REGISTER: usize = 0;

impl TaskContext {
    /// All registers zero.
    pub const fn zeroed() -> Self {
        Self {
            x: [0; 31],
            sp_el0: 0,
            elr: 0,
            spsr: 0,
        }
    }

    // ANCHOR: new_task
    /// The context of a task that has not run yet: the first `eret` to it
    /// starts `entry` at EL0 on the stack ending at `stack_top`, with
    /// interrupts enabled. The link register is 0, so a task function that
    /// returns jumps to address 0, which is not mapped: the task faults and
    /// the kernel ends it.
    pub const fn new_user(entry: u64, stack_top: u64) -> Self {
        let mut context = Self::zeroed();
        context.elr = entry;
        context.sp_el0 = stack_top;
        context.spsr = SPSR_M_EL0T | SPSR_DAIF_UNMASKED;
        context
    }
    // ANCHOR_END: new_task

    /// The system-call number the task passed in x8.
    pub fn syscall_number(&self) -> u64 {
        self.x[SYSCALL_NUMBER_REGISTER]
    }

    /// The system-call arguments the task passed in x0 to x5.
    pub fn syscall_args(&self) -> [u64; SYSCALL_ARGS] {
        let mut args = [0; SYSCALL_ARGS];
        args.copy_from_slice(&self.x[..SYSCALL_ARGS]);
        args
    }

    /// Set the value the task finds in x0 when it resumes after `svc`.
    pub fn set_syscall_result(&mut self, value: u64) {
        self.x[SYSCALL_RESULT_REGISTER] = value;
    }
}

// ANCHOR: frame
/// What `vectors.s` saves on the kernel stack for every exception.
#[repr(C, align(16))]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrapFrame {
    /// The interrupted task's registers, restored by `eret`.
    pub context: TaskContext,
    /// Why the exception was taken (ESR_EL1).
    pub esr: u64,
    /// The faulting address, for aborts (FAR_EL1).
    pub far: u64,
}
// ANCHOR_END: frame

/// Size of a [`TrapFrame`] in bytes (a multiple of 16, as SP must be).
pub const FRAME_SIZE: usize = core::mem::size_of::<TrapFrame>();
/// Offset of `sp_el0` in a [`TrapFrame`] (it follows x30).
pub const FRAME_SP_EL0: usize = core::mem::offset_of!(TaskContext, sp_el0);
/// Offset of `elr` in a [`TrapFrame`] (followed by `spsr`).
pub const FRAME_ELR: usize = core::mem::offset_of!(TaskContext, elr);
/// Offset of `esr` in a [`TrapFrame`] (followed by `far`).
pub const FRAME_ESR: usize = core::mem::offset_of!(TrapFrame, esr);

impl TrapFrame {
    /// A frame of zeros.
    pub const fn zeroed() -> Self {
        Self {
            context: TaskContext::zeroed(),
            esr: 0,
            far: 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_layout_matches_vectors_s() {
        // vectors.s stores pairs of registers: x0/x1 at 0 ... x28/x29 at
        // 224, then x30/SP_EL0, ELR/SPSR and ESR/FAR.
        assert_eq!(FRAME_SIZE, 18 * 16);
        assert_eq!(FRAME_SIZE % 16, 0);
        assert_eq!(FRAME_SP_EL0, 31 * 8);
        assert_eq!(FRAME_ELR, 32 * 8);
        assert_eq!(core::mem::offset_of!(TaskContext, spsr), FRAME_ELR + 8);
        assert_eq!(FRAME_ESR, 34 * 8);
        assert_eq!(core::mem::offset_of!(TrapFrame, far), FRAME_ESR + 8);
        assert_eq!(core::mem::align_of::<TrapFrame>(), 16);
    }

    #[test]
    fn a_new_task_starts_at_el0_with_interrupts_on() {
        let c = TaskContext::new_user(0x20_1000, 0x30_0000);
        assert_eq!(c.elr, 0x20_1000);
        assert_eq!(c.sp_el0, 0x30_0000);
        assert_eq!(c.spsr & 0b1111, 0, "M = EL0t");
        assert_eq!(c.spsr & (0b1111 << 6), 0, "D, A, I, F unmasked");
        assert_eq!(c.x, [0; 31]);
    }

    #[test]
    fn syscall_registers() {
        let mut c = TaskContext::zeroed();
        for (i, r) in c.x.iter_mut().enumerate() {
            *r = 100 + i as u64;
        }
        assert_eq!(c.syscall_number(), 108);
        assert_eq!(c.syscall_args(), [100, 101, 102, 103, 104, 105]);
        c.set_syscall_result(7);
        assert_eq!(c.x[0], 7);
        assert_eq!(c.x[1], 101, "only x0 changes");
    }
}
