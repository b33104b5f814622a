//! The top of the hypervisor: the start-up order (CPU, MMU, devices,
//! console, the other cores), one [`Hypervisor`] (scheduler) per core, the
//! [`Shell`] on core 0, and the main loops. It imports everything and
//! nothing imports it.

pub mod cpu;
pub mod irq;
pub mod smp;

/// The core the firmware starts: it owns the UART and the shell.
pub const BOOT_CORE: usize = remote::SHELL_CORE;
/// How long core 0 waits at boot for cores 1-3 to come up.
const CORE_START_MICROS: u64 = 100_000;

use crate::arch::aarch64::timer;
use crate::arch::aarch64::{self as arch, exception, mmu};
use crate::board::{self, Revision};
use crate::console::remote;
use crate::console::shell::{self, Shell};
use crate::drivers::mailbox::CLOCK_ID_CORE;
use crate::drivers::mini_uart::BAUD_RATE;
use crate::log;
use crate::platform::fatal::emergency_writer;
use crate::platform::{
    mark_uart_ready, BootInfo, BOOT_INFO, GPIO, INTERRUPT_CONTROLLER, LOCAL_INTC, MAILBOX, UART,
};
use crate::vm::guest::Consoles;
use crate::vm::id::VmId;
use crate::vm::list::MAX_VMS;
use crate::vm::machine::Hypervisor;
use crate::vm::table::VM_CONFIGS;
use core::sync::atomic::Ordering;
use cpu::Aarch64;
use raspi3b::delay::CounterDelay;

// ANCHOR: owner
/// Every VM's console queues (in .bss: all zeros at start).
static CONSOLES: Consoles = Consoles::new();

/// One scheduler per core, over the VMs the list pins to that core. Core
/// 0 fills them all at boot, before any other core runs a VM; from then on
/// each is locked by its own core, once, for good: no other core touches a
/// core's VMs, it asks (`console::remote`).
static CORES: [spin::Mutex<Hypervisor>; board::CORES] =
    [const { spin::Mutex::new(Hypervisor::new(&CONSOLES)) }; board::CORES];
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
    // The EL2 map is final: the other cores may turn on their MMUs over it.
    smp::release();
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

    // This core's EL2 registers, as cores 1-3 set theirs.
    smp::init_core(BOOT_CORE);
    smp::ONLINE[BOOT_CORE].store(true, Ordering::Release);
    INTERRUPT_CONTROLLER.disable_all();
    INTERRUPT_CONTROLLER.enable(board::IRQ_AUX);
    // The console's interrupt goes to core 0, which owns the UART.
    LOCAL_INTC.route_gpu_irq_to(BOOT_CORE);
    log!(
        "console: mini UART, {} baud, receive interrupt on",
        BAUD_RATE
    );

    // The hypervisor runs with IRQs masked: they end a guest's run or the
    // idle WFI, and the main loop polls their sources.
    // SAFETY: once, on core 0 at EL2 with the MMU on.
    let mut cpu = unsafe { Aarch64::take(BOOT_CORE) };
    create_vms(&mut cpu, ram_end);
    smp::go();
    let mut hyp = CORES[BOOT_CORE].lock();
    shell::banner(&info);
    let mut shell = Shell::new();
    shell.prompt();
    run(&mut hyp, &mut shell, &mut cpu)
}
// ANCHOR_END: start

// ANCHOR: create_vms
/// Create every VM of the list in the scheduler of the core its line
/// names, in the order of the list (so the log reads in VM order). Core 0
/// builds each stage 2 and copies each image; the core that runs the VM
/// has not run anything yet, and its TLB holds nothing for that VMID.
fn create_vms(cpu: &mut Aarch64, ram_end: u64) {
    let count = VM_CONFIGS.len().min(MAX_VMS);
    // Wait a little for the other cores to come up, so that a VM is never
    // given to a core that is not there.
    let start = timer::now();
    let patience = start.freq * CORE_START_MICROS / 1_000_000;
    while smp::online() < board::CORES && timer::now().ticks - start.ticks < patience {
        core::hint::spin_loop();
    }
    log!("cores online: {} of {}", smp::online(), board::CORES);
    for core in CORES.iter() {
        core.lock().start(cpu, count);
    }
    for (index, config) in VM_CONFIGS.iter().enumerate().take(count) {
        let mut core = config.cpu as usize;
        if !smp::ONLINE[core].load(Ordering::Acquire) {
            log!(
                "VM {} '{}': core {} is not online; it runs on core 0",
                VmId::of_index(index),
                config.name,
                core
            );
            core = BOOT_CORE;
        }
        CONSOLES.cores[index].store(core, Ordering::Relaxed);
        CORES[core].lock().create_vm(cpu, index, config, ram_end);
    }
}
// ANCHOR_END: create_vms

// ANCHOR: main_loop
/// Core 0's main loop: serve a pending interrupt (typed bytes into the
/// console's ring; the UART is looked at only when its interrupt is
/// pending), the console, then one pass of the VMs pinned to core 0.
fn run(hyp: &mut Hypervisor, shell: &mut Shell, cpu: &mut Aarch64) -> ! {
    loop {
        hyp.serve_pending(cpu);
        shell.service(hyp, cpu);
        hyp.step(cpu);
    }
}

/// The loop of cores 1-3: what the shell asked of this core's VMs, a
/// pending interrupt (the EL2 timer, an IPI), then one pass of its VMs.
/// A core with no VM sleeps in WFI in `step` until it is asked something.
pub fn run_secondary(core: usize) -> ! {
    let mut hyp = CORES[core].lock();
    // SAFETY: once on this core, at EL2 with the MMU on.
    let mut cpu = unsafe { Aarch64::take(core) };
    loop {
        remote::CHANNELS[core].serve(|request| shell::execute(request, &mut hyp, &mut cpu));
        hyp.serve_pending(&mut cpu);
        hyp.step(&mut cpu);
    }
}
// ANCHOR_END: main_loop

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
