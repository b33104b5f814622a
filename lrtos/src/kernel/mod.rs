//! The EL1 kernel: what runs between `_start` and the first task, and the
//! modules that serve the tasks afterwards.
//!
//! Start-up order: the guest runtime (`rt`) parks the other cores, drops to
//! EL1 and calls [`start`], which installs the exception vectors, turns on the MMU,
//! brings up the console, starts the timer and hands the CPU to the
//! scheduler. From then on the kernel only runs when a task makes a system
//! call, faults, or is interrupted by the timer, always with interrupts
//! masked, so kernel code is never preempted.

pub mod console;
pub mod exception;
pub mod irq;
pub mod mmu;
pub mod scheduler;
pub mod syscalls;
pub mod timer;

use crate::user;
use lrtos::board;
use lrtos::time::TIME_SLICE_MS;
use rt::board::{BOOT_CORE, LOCAL_INTC};

// The runtime's boot code enters `start` at EL1 on core 0; its panic
// handler reports a kernel panic. The devices are the runtime's instances
// of the board crate's drivers, which `mmu` maps as device memory.
rt::entry!("lrtos", start);

// ANCHOR: start
/// The start-up sequence on core 0, at EL1. Never returns: it ends by
/// running the first task.
pub fn start() -> ! {
    exception::install_vectors();
    // SAFETY: first and only call, on the boot core, before any lock or
    // atomic is used (exclusive accesses need the MMU on).
    unsafe { mmu::enable() };
    rt::board::init_console();

    crate::kprintln!("");
    crate::kprintln!(
        "lrtos {}: a tiny RTOS for the Raspberry Pi 3",
        lrtos::VERSION
    );
    crate::kprintln!(
        "lrtos: started at EL{}, kernel at EL1, tasks at EL0",
        rt::boot::start_el()
    );
    crate::kprintln!(
        "lrtos: MMU on, {} MiB of RAM mapped, user pages at {:#x}",
        board::RAM_MAPPED >> 20,
        mmu::user_start()
    );
    crate::kprintln!(
        "lrtos: virtual timer at {} Hz, {} ms time slices",
        timer::frequency(),
        TIME_SLICE_MS
    );
    scheduler::announce(&user::TASKS);

    timer::allow_el0_counter_reads();
    LOCAL_INTC.route_virtual_timer_to(BOOT_CORE);
    timer::start_ticks();
    scheduler::start(&user::IDLE, &user::TASKS)
}
// ANCHOR_END: start
