//! Start-up: the order in which ferrovisor brings up the CPU, the MMU, the
//! devices and the console, and the device instances it uses.

pub mod irq;

use crate::arch::aarch64::{cpu, exception, mmu, timer::Delay};
use crate::board::{self, Revision};
use crate::console::commands::{self, Shell};
use crate::console::output;
use crate::drivers::bcm2835_ic::InterruptController;
use crate::drivers::gpio::Gpio;
use crate::drivers::local_intc::LocalIntc;
use crate::drivers::mailbox::{Mailbox, CLOCK_ID_CORE};
use crate::drivers::mini_uart::{MiniUart, BAUD_RATE};
use crate::log;
use crate::vm::machine::{self, HYPERVISOR};
use aarch64_cpu::registers::HCR_EL2;
use spin::Once;
use tock_registers::interfaces::Writeable;

// ANCHOR: devices
// The addresses below are the BCM2837's own register blocks, which the
// hypervisor's MMU maps as device memory.

/// The console UART.
// SAFETY: AUX_BASE is the AUX block holding the mini UART.
pub static UART: MiniUart = unsafe { MiniUart::new(board::AUX_BASE) };
/// The GPIO block.
// SAFETY: GPIO_BASE is the GPIO block.
pub static GPIO: Gpio = unsafe { Gpio::new(board::GPIO_BASE) };
/// The VideoCore mailbox.
// SAFETY: MAILBOX_BASE is the VideoCore mailbox.
pub static MAILBOX: Mailbox = unsafe { Mailbox::new(board::MAILBOX_BASE) };
/// The peripheral interrupt controller.
pub static INTERRUPT_CONTROLLER: InterruptController =
    // SAFETY: INTERRUPT_CONTROLLER_BASE is the BCM2835 interrupt controller.
    unsafe { InterruptController::new(board::INTERRUPT_CONTROLLER_BASE) };
/// The ARM local interrupt controller.
// SAFETY: LOCAL_PERIPHERAL_BASE is the ARM local peripherals block.
pub static LOCAL_INTC: LocalIntc = unsafe { LocalIntc::new(board::LOCAL_PERIPHERAL_BASE) };
// ANCHOR_END: devices

/// What the firmware told us at boot.
#[derive(Debug, Clone, Copy)]
pub struct BootInfo {
    /// The board revision code.
    pub revision: Revision,
    /// Bytes of RAM the ARM owns (the rest belongs to the VideoCore).
    pub arm_memory_bytes: u32,
    /// The core clock that drives the mini UART.
    pub core_clock_hz: u32,
}

/// Facts gathered at boot, for `info`.
pub static BOOT_INFO: Once<BootInfo> = Once::new();

// ANCHOR: start
/// The start-up sequence on core 0. Never returns: it ends in the shell.
pub fn start() -> ! {
    // Check first: at EL1 even writing VBAR_EL2 would be undefined.
    if cpu::current_el() != 2 {
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
    GPIO.map_mini_uart(&mut Delay);
    UART.init(info.core_clock_hz);
    output::mark_ready();

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
    let ram_end = MAILBOX
        .arm_memory()
        .map_or(0, |(base, size)| base as u64 + size as u64);
    hyp.create_vms(ram_end);
    commands::banner(&info);
    let mut shell = Shell::new();
    shell.prompt();
    machine::run(&mut hyp, &mut shell)
}
// ANCHOR_END: start

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
    GPIO.map_mini_uart(&mut Delay);
    UART.init(clock);
    output::mark_ready();
    let mut w = output::emergency_writer();
    let _ = ufmt::uwriteln!(
        w,
        "ferrovisor: started at EL{}, but a hypervisor needs EL2.\nCheck config.txt: arm_64bit=1 and no armstub or kernel_old lines.",
        cpu::current_el()
    );
    cpu::halt()
}
// ANCHOR_END: wrong_el
