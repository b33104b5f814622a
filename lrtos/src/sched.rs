//! The run queue: which task runs next, in round-robin order.
//!
//! Slot 0 is the idle task, which is always ready and runs only when no
//! other task is; slots 1 to N-1 are the user tasks (their slot is their
//! pid). A task is ready, asleep until a point in time, or has exited.
//! The queue only decides; saving and loading registers is the kernel's
//! job (`kernel/scheduler.rs`).

/// The slot (and pid) of the idle task.
pub const IDLE: usize = 0;

/// What a task is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskState {
    /// Running, or waiting for its turn on the CPU.
    Ready,
    /// Sleeping until the counter reaches `until`.
    Sleeping {
        /// Wake-up time, in generic-timer counter ticks.
        until: u64,
    },
    /// Finished; never runs again.
    Exited,
}

/// The states of the idle task and N-1 user tasks, and who runs now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunQueue<const N: usize> {
    states: [TaskState; N],
    current: usize,
    /// The user task that ran last, where the round-robin search resumes.
    last_user: usize,
}

impl<const N: usize> Default for RunQueue<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> RunQueue<N> {
    /// Every task ready; the idle task is current until the first choice.
    pub const fn new() -> Self {
        assert!(N >= 2, "the idle task and at least one user task");
        Self {
            states: [TaskState::Ready; N],
            current: IDLE,
            last_user: N - 1,
        }
    }

    /// The slot of the task on the CPU.
    pub fn current(&self) -> usize {
        self.current
    }

    /// The state of the task in `slot`.
    pub fn state(&self, slot: usize) -> TaskState {
        self.states[slot]
    }

    /// Put the current task to sleep until the counter reaches `until`.
    /// The idle task never sleeps.
    pub fn sleep_current(&mut self, until: u64) {
        if self.current != IDLE {
            self.states[self.current] = TaskState::Sleeping { until };
        }
    }

    /// Mark the current task as finished. The idle task never exits.
    pub fn exit_current(&mut self) {
        if self.current != IDLE {
            self.states[self.current] = TaskState::Exited;
        }
    }

    /// Make every task whose wake-up time has come ready again; returns
    /// how many woke up.
    pub fn wake_expired(&mut self, now: u64) -> usize {
        let mut woken = 0;
        for state in self.states.iter_mut() {
            if let TaskState::Sleeping { until } = *state {
                if until <= now {
                    *state = TaskState::Ready;
                    woken += 1;
                }
            }
        }
        woken
    }

    /// How many user tasks have not exited.
    pub fn live_tasks(&self) -> usize {
        self.states[1..]
            .iter()
            .filter(|s| **s != TaskState::Exited)
            .count()
    }

    // ANCHOR: pick_next
    /// Choose the task to run next and make it current: the first ready
    /// user task after the one that ran last, going round the slots in
    /// order (so the task that was just running goes to the back of the
    /// line), or the idle task if no user task is ready.
    pub fn pick_next(&mut self) -> usize {
        let users = N - 1;
        for step in 1..=users {
            let slot = (self.last_user - 1 + step) % users + 1;
            if self.states[slot] == TaskState::Ready {
                self.current = slot;
                self.last_user = slot;
                return slot;
            }
        }
        self.current = IDLE;
        IDLE
    }
    // ANCHOR_END: pick_next
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::vec::Vec;

    fn picks<const N: usize>(q: &mut RunQueue<N>, n: usize) -> Vec<usize> {
        (0..n).map(|_| q.pick_next()).collect()
    }

    #[test]
    fn round_robin_over_ready_tasks() {
        let mut q = RunQueue::<4>::new();
        assert_eq!(q.current(), IDLE);
        assert_eq!(picks(&mut q, 7), [1, 2, 3, 1, 2, 3, 1]);
    }

    #[test]
    fn a_lone_ready_task_keeps_the_cpu() {
        let mut q = RunQueue::<3>::new();
        assert_eq!(q.pick_next(), 1);
        q.sleep_current(100);
        assert_eq!(picks(&mut q, 3), [2, 2, 2]);
    }

    #[test]
    fn idle_runs_when_everyone_sleeps_and_sleepers_wake() {
        let mut q = RunQueue::<3>::new();
        assert_eq!(q.pick_next(), 1);
        q.sleep_current(100);
        assert_eq!(q.pick_next(), 2);
        q.sleep_current(50);
        assert_eq!(q.pick_next(), IDLE);
        q.sleep_current(10); // the idle task ignores this
        assert_eq!(q.state(IDLE), TaskState::Ready);

        assert_eq!(q.wake_expired(49), 0);
        assert_eq!(q.pick_next(), IDLE);
        assert_eq!(q.wake_expired(50), 1);
        assert_eq!(q.pick_next(), 2);
        assert_eq!(q.wake_expired(1000), 1);
        assert_eq!(q.state(1), TaskState::Ready);
        // Task 1 is next: task 2 just ran.
        assert_eq!(q.pick_next(), 1);
    }

    #[test]
    fn exited_tasks_never_run_again() {
        let mut q = RunQueue::<3>::new();
        assert_eq!(q.live_tasks(), 2);
        assert_eq!(q.pick_next(), 1);
        q.exit_current();
        assert_eq!(q.live_tasks(), 1);
        assert_eq!(q.wake_expired(u64::MAX), 0);
        assert_eq!(picks(&mut q, 3), [2, 2, 2]);
        q.exit_current();
        assert_eq!(q.live_tasks(), 0);
        assert_eq!(picks(&mut q, 2), [IDLE, IDLE]);
        q.exit_current();
        assert_eq!(q.state(IDLE), TaskState::Ready, "idle never exits");
    }

    #[test]
    fn search_resumes_after_the_last_user_task_not_after_idle() {
        let mut q = RunQueue::<4>::new();
        assert_eq!(q.pick_next(), 1);
        assert_eq!(q.pick_next(), 2);
        q.sleep_current(10);
        assert_eq!(q.pick_next(), 3);
        q.sleep_current(10);
        assert_eq!(q.pick_next(), 1);
        q.sleep_current(10);
        assert_eq!(q.pick_next(), IDLE);
        q.wake_expired(10);
        // Task 1 ran last, so task 2 is next even though idle ran since.
        assert_eq!(picks(&mut q, 3), [2, 3, 1]);
    }
}
