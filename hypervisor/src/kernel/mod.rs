//! The top of the hypervisor: the start-up order (CPU, MMU, devices,
//! console), the one [`Hypervisor`] and [`Shell`], and the main loop. It
//! imports everything and nothing imports it.

pub mod cpu;
pub mod irq;

use crate::arch::aarch64::{self as arch, exception, mmu};
use crate::board::{self, Revision};
use crate::console::shell::{self, Shell};
use crate::drivers::mailbox::CLOCK_ID_CORE;
use crate::drivers::mini_uart::BAUD_RATE;
use crate::log;
use crate::platform::fatal::emergency_writer;
use crate::platform::{
    mark_uart_ready, BootInfo, BOOT_INFO, GPIO, INTERRUPT_CONTROLLER, LOCAL_INTC, MAILBOX, UART,
};
use crate::vm::guest::Consoles;
use crate::vm::machine::Hypervisor;
use crate::vm::table::VM_CONFIGS;
use aarch64_cpu::registers::HCR_EL2;
use cpu::Aarch64;
use raspi3b::delay::CounterDelay;
use tock_registers::interfaces::Writeable;

// ANCHOR: owner
/// Every VM's console queues (in .bss: all zeros at start).
static CONSOLES: Consoles = Consoles::new();

/// The one hypervisor; its lock is taken once, by the main loop.
static HYPERVISOR: spin::Mutex<Hypervisor> = spin::Mutex::new(Hypervisor::new(&CONSOLES));
// ANCHOR_END: owner

// ANCHOR: start_rust
/// Called by `boot.s` (in `arch/aarch64`) on core 0 with a stack and a
/// zeroed `.bss`.
///
/// # Safety
///
/// Only `boot.s` may call this, once, on the boot core.
#[no_mangle]
pub unsafe extern "C" fn _start_rust() -> ! {
    start()
}
// ANCHOR_END: start_rust

// ANCHOR: start
/// The start-up sequence on core 0. Never returns: it ends in the shell.
pub fn start() -> ! {
    // Check first: at EL1 even writing VBAR_EL2 would be undefined.
    if arch::cpu::current_el() != 2 {
        wrong_exception_level();
    }
    exception::install_vectors();
    // SAFETY: first and only call, on the boot core, before any lock or
    // atomic is used (exclusive accesses need the MMU on).
    unsafe { mmu::enable() };
    park_secondary_cores();

    let info = *BOOT_INFO.call_once(|| BootInfo {
        revision: Revision(MAILBOX.board_revision().unwrap_or(0)),
        arm_memory_bytes: MAILBOX.arm_memory().map_or(0, |(_, size)| size),
        core_clock_hz: MAILBOX
            .clock_rate(CLOCK_ID_CORE)
            .filter(|&hz| hz > 0)
            .unwrap_or(board::DEFAULT_CORE_CLOCK_HZ),
    });
    let arm_ram_end = MAILBOX
        .arm_memory()
        .map_or(0, |(base, size)| base as u64 + size as u64);
    // SAFETY: once, after `mmu::enable`; nothing lives above the ARM's RAM.
    let ram_end = unsafe { mmu::end_ram_at(arm_ram_end) };
    GPIO.map_mini_uart(&mut CounterDelay);
    UART.init(info.core_clock_hz);
    mark_uart_ready();

    log!("ferrovisor {} starting on core 0 at EL2", crate::VERSION);
    log!("MMU on: 1:1 map with 2 MiB blocks, caches on, MMIO as device memory");
    log!(
        "firmware: board revision {:#x}, ARM memory {} MiB, core clock {} MHz",
        info.revision.0,
        info.arm_memory_bytes >> 20,
        info.core_clock_hz / 1_000_000
    );

    // Physical IRQs go to EL2 (IMO); guests will run in AArch64 (RW).
    HCR_EL2.write(HCR_EL2::RW::EL1IsAarch64 + HCR_EL2::IMO::SET + HCR_EL2::FMO::SET);
    INTERRUPT_CONTROLLER.disable_all();
    INTERRUPT_CONTROLLER.enable(board::IRQ_AUX);
    LOCAL_INTC.route_gpu_irq_to(0);
    log!(
        "console: mini UART, {} baud, receive interrupt on",
        BAUD_RATE
    );

    // The hypervisor runs with IRQs masked: they end a guest's run or the
    // idle WFI, and the main loop polls their sources.
    let mut hyp = HYPERVISOR.lock();
    // SAFETY: once, on core 0 at EL2 with the MMU on.
    let mut cpu = unsafe { Aarch64::take() };
    hyp.create_vms(&mut cpu, &VM_CONFIGS, ram_end);
    shell::banner(&info);
    let mut shell = Shell::new();
    shell.prompt();
    run(&mut hyp, &mut shell, &mut cpu)
}
// ANCHOR_END: start

// ANCHOR: main_loop
/// The hypervisor's main loop: serve a pending interrupt (typed bytes into
/// the console's ring; the UART is looked at only when its interrupt is
/// pending), the console, then one pass of the VMs.
fn run(hyp: &mut Hypervisor, shell: &mut Shell, cpu: &mut Aarch64) -> ! {
    loop {
        hyp.serve_pending(cpu);
        shell.service(hyp, cpu);
        hyp.step(cpu);
    }
}
// ANCHOR_END: main_loop

// ANCHOR: park
/// Release cores 1-3 from the firmware's spin table into `_start`, where
/// they sleep in WFI for good. Left in the spin table they would spin on
/// WFE, which wakes on every event (and under QEMU, never sleeps at all).
fn park_secondary_cores() {
    extern "C" {
        fn _start();
    }
    // SAFETY: once, on the boot core, at EL2 (the level the firmware
    // started us in) and before anything else touched the spin table;
    // `_start` parks every core but 0 without using a stack.
    unsafe { raspi3b::spin_table::release_secondary_cores(_start as *const () as usize) };
}
// ANCHOR_END: park

// ANCHOR: wrong_el
/// ferrovisor needs EL2. If the firmware started it at EL1 (for example
/// with an armstub that drops to EL1), say so on the console and stop.
fn wrong_exception_level() -> ! {
    let clock = MAILBOX
        .clock_rate(CLOCK_ID_CORE)
        .filter(|&hz| hz > 0)
        .unwrap_or(board::DEFAULT_CORE_CLOCK_HZ);
    GPIO.map_mini_uart(&mut CounterDelay);
    UART.init(clock);
    mark_uart_ready();
    let mut w = emergency_writer();
    let _ = ufmt::uwriteln!(
        w,
        "ferrovisor: started at EL{}, but a hypervisor needs EL2.\nCheck config.txt: arm_64bit=1 and no armstub or kernel_old lines.",
        arch::cpu::current_el()
    );
    arch::cpu::halt()
}
// ANCHOR_END: wrong_el
