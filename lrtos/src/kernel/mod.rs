//! The EL1 kernel: what runs between `_start` and the first task, and the
//! modules that serve the tasks afterwards.
//!
//! Start-up order: `boot.s` parks the other cores, drops to EL1 and calls
//! [`start`], which installs the exception vectors, turns on the MMU,
//! brings up the console, starts the timer and hands the CPU to the
//! scheduler. From then on the kernel only runs when a task makes a system
//! call, faults, or is interrupted by the timer, always with interrupts
//! masked, so kernel code is never preempted.

pub mod boot;
pub mod console;
pub mod cpu;
pub mod exception;
pub mod gpio;
pub mod irq;
pub mod local_intc;
pub mod mmio;
pub mod mmu;
pub mod panic;
pub mod scheduler;
pub mod syscalls;
pub mod timer;
pub mod uart;

use crate::user;
use lrtos::board;
use lrtos::time::TIME_SLICE_MS;

/// The console UART.
// SAFETY: AUX_BASE is the AUX block holding the mini UART, mapped as
// device memory by `mmu` (and accessed before that with the MMU off).
pub static UART: uart::MiniUart = unsafe { uart::MiniUart::new(board::AUX_BASE as usize) };
/// The GPIO block.
// SAFETY: GPIO_BASE is the GPIO block.
pub static GPIO: gpio::Gpio = unsafe { gpio::Gpio::new(board::GPIO_BASE as usize) };
/// The ARM local interrupt controller.
pub static LOCAL_INTC: local_intc::LocalIntc =
    // SAFETY: LOCAL_PERIPHERAL_BASE is the ARM local peripherals block.
    unsafe { local_intc::LocalIntc::new(board::LOCAL_PERIPHERAL_BASE as usize) };

// ANCHOR: start
/// The start-up sequence on core 0, at EL1. `boot_el` is the Exception
/// Level the CPU was in at `_start`. Never returns: it ends by running the
/// first task.
pub fn start(boot_el: u64) -> ! {
    exception::install_vectors();
    // SAFETY: first and only call, on the boot core, before any lock or
    // atomic is used (exclusive accesses need the MMU on).
    unsafe { mmu::enable() };
    GPIO.map_mini_uart();
    UART.init(board::CORE_CLOCK_HZ);

    crate::kprintln!("");
    crate::kprintln!(
        "lrtos {}: a tiny RTOS for the Raspberry Pi 3",
        lrtos::VERSION
    );
    crate::kprintln!(
        "lrtos: started at EL{}, kernel at EL1, tasks at EL0",
        boot_el
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
    LOCAL_INTC.route_virtual_timer_irq_to_core0();
    timer::start_ticks();
    scheduler::start(&user::IDLE, &user::TASKS)
}
// ANCHOR_END: start
