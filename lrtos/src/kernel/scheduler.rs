//! The scheduler's kernel half: the task table with each task's saved
//! registers, and the context switch.
//!
//! The choice of the next task is [`lrtos::sched::RunQueue`]'s. This file
//! keeps one [`TaskContext`] per task and moves registers between the
//! table and the [`TrapFrame`] that `vectors.s` built on the kernel stack.
//! There is one kernel stack: when the kernel is entered, the running
//! task's registers are in the frame; if the kernel switches tasks, it
//! copies them into the table and copies the next task's registers into
//! the frame, and the `eret` at the end of `vectors.s` resumes the new task.

use super::exception;
use crate::user::{self, TaskSpec};
use lrtos::context::{TaskContext, TrapFrame};
use lrtos::sched::{RunQueue, IDLE};
use lrtos::trap::ExceptionClass;
use spin::Mutex;
use ufmt::{uwrite, uwriteln};

/// Slots in the task table: the idle task and the user tasks.
pub const SLOTS: usize = 1 + user::TASK_COUNT;

/// What the kernel knows about a task besides its state.
#[derive(Clone, Copy)]
struct Task {
    /// Its name, for messages.
    name: &'static str,
    /// Its registers while it is not running.
    context: TaskContext,
}

/// The task table and the run queue.
struct Scheduler {
    queue: RunQueue<SLOTS>,
    tasks: [Task; SLOTS],
}

/// The scheduler. The lock is never contended (one core, kernel entered
/// with interrupts masked); it only makes the shared state safe to reach.
static SCHEDULER: Mutex<Scheduler> = Mutex::new(Scheduler {
    queue: RunQueue::new(),
    tasks: [Task {
        name: "",
        context: TaskContext::zeroed(),
    }; SLOTS],
});

impl Scheduler {
    // ANCHOR: context_switch
    /// Save the registers of the task that was running (in `frame`), let
    /// the run queue choose the next task, and put that task's registers
    /// into `frame`, so the return from the exception resumes it.
    fn switch(&mut self, frame: &mut TrapFrame) {
        let current = self.queue.current();
        self.tasks[current].context = frame.context;
        let next = self.queue.pick_next();
        frame.context = self.tasks[next].context;
    }
    // ANCHOR_END: context_switch

    /// The current task's pid and name.
    fn current(&self) -> (usize, &'static str) {
        let slot = self.queue.current();
        (slot, self.tasks[slot].name)
    }

    /// End the current task and switch to the next.
    fn end_current(&mut self, frame: &mut TrapFrame) {
        self.queue.exit_current();
        if self.queue.live_tasks() == 0 {
            crate::kprintln!("lrtos: all tasks have exited; idling");
        }
        self.switch(frame);
    }
}

/// Print the line that lists the tasks, with their pids.
pub fn announce(tasks: &[TaskSpec]) {
    let mut w = rt::board::console();
    let _ = uwrite!(w, "lrtos: starting {} tasks:", tasks.len());
    for (i, task) in tasks.iter().enumerate() {
        let separator = if i == 0 { "" } else { "," };
        let _ = uwrite!(w, "{} {} (pid {})", separator, task.name, i + 1);
    }
    let _ = uwriteln!(w, "");
}

// ANCHOR: start
/// Set up the idle task (pid 0) and the user tasks (pids 1, 2, ...) and run
/// the first one. Each gets its own user stack.
pub fn start(idle: &TaskSpec, tasks: &[TaskSpec; user::TASK_COUNT]) -> ! {
    let mut frame = TrapFrame::zeroed();
    {
        let mut s = SCHEDULER.lock();
        for (slot, spec) in core::iter::once(idle).chain(tasks).enumerate() {
            s.tasks[slot] = Task {
                name: spec.name,
                context: TaskContext::new_user(spec.entry as usize as u64, user::stack_top(slot)),
            };
        }
        let first = s.queue.pick_next();
        frame.context = s.tasks[first].context;
    }
    // SAFETY: the frame holds a new task's EL0 context, and start-up code
    // (everything above this function's frame) never runs again.
    unsafe { exception::enter_first_task(&frame) }
}
// ANCHOR_END: start

// ANCHOR: tick
/// The timer tick: wake the tasks whose sleep is over, and end the running
/// task's time slice, which is what makes the scheduler preemptive.
pub fn tick(frame: &mut TrapFrame, now: u64) {
    let mut s = SCHEDULER.lock();
    s.queue.wake_expired(now);
    s.switch(frame);
}
// ANCHOR_END: tick

/// Give the CPU to the next ready task (the `yield` system call).
pub fn switch(frame: &mut TrapFrame) {
    SCHEDULER.lock().switch(frame);
}

/// Put the current task to sleep until the counter reaches `until`, and
/// switch to the next.
pub fn sleep_current(frame: &mut TrapFrame, until: u64) {
    let mut s = SCHEDULER.lock();
    s.queue.sleep_current(until);
    s.switch(frame);
}

/// The pid of the task on the CPU.
pub fn current_pid() -> u64 {
    SCHEDULER.lock().queue.current() as u64
}

/// End the current task, which asked to (the `exit` system call).
pub fn exit_current(frame: &mut TrapFrame, code: i64) {
    let mut s = SCHEDULER.lock();
    let (pid, name) = s.current();
    crate::kprintln!("lrtos: task {} ({}) exited with code {}", pid, name, code);
    s.end_current(frame);
}

// ANCHOR: kill
/// End the current task because it faulted; the other tasks run on.
pub fn kill_current(frame: &mut TrapFrame, class: ExceptionClass) {
    let mut s = SCHEDULER.lock();
    let (pid, name) = s.current();
    crate::kprintln!(
        "lrtos: task {} ({}) killed: {} at PC {:#x} (ESR {:#x}, FAR {:#x})",
        pid,
        name,
        class.name(),
        frame.context.elr,
        frame.esr,
        frame.far
    );
    if pid == IDLE {
        panic!("the idle task faulted");
    }
    s.end_current(frame);
}
// ANCHOR_END: kill
