//! Running one [`Op`] on the CPU: the load and store instructions, the
//! system register slot, the calls, the timer, the waits. Every access is
//! meant to trap to the hypervisor or to fault at EL1, where
//! [`crate::exception`] steps over it; none may touch this guest's own
//! code or data, so a run only ends when the hypervisor ends it.

use aarch64_cpu::asm::barrier;
use aarch64_cpu::registers::{CNTVCT_EL0, CNTV_CTL_EL0, CNTV_CVAL_EL0, CNTV_TVAL_EL0, DAIF};
use core::arch::asm;
use core::sync::atomic::{AtomicBool, Ordering};
use fuzz::op::{
    LoadForm, Op, StoreForm, SysRegAccess, Width, CHANNEL_PROPERTY, MAILBOX_WORDS, PM_PASSWORD,
    PM_RSTC, PM_RSTC_WRCFG_FULL_RESET, PM_WDOG,
};
use raspi3b::map::{
    AUX_BASE as AUX, BAUD_RATE, DEFAULT_CORE_CLOCK_HZ, MAILBOX_BASE, SYSTEM_TIMER_BASE,
};
use rt::board::UART;
use tock_registers::interfaces::{Readable, Writeable};

/// The AUX block: after any store into it, the console is set up again.
const AUX_BASE: u64 = AUX.as_u64();
const AUX_END: u64 = AUX_BASE + 0x100;
/// The system timer's CLO.
const SYSTEM_TIMER_CLO: u64 = SYSTEM_TIMER_BASE.as_u64() + 0x04;
/// The mailbox: MAIL0_READ, MAIL0_STATUS, MAIL1_WRITE, MAIL1_STATUS.
const MAIL0_READ: u64 = MAILBOX_BASE.as_u64();
const MAIL0_STATUS: u64 = MAILBOX_BASE.as_u64() + 0x18;
const MAIL1_WRITE: u64 = MAILBOX_BASE.as_u64() + 0x20;
const MAIL1_STATUS: u64 = MAILBOX_BASE.as_u64() + 0x38;
const MAIL_FULL: u32 = 1 << 31;
const MAIL_EMPTY: u32 = 1 << 30;
/// The most answers to take off mailbox 0 after a message (it holds 8).
const MAIL0_DRAIN: usize = 16;
/// Registers quietened after an interrupt: the controller's three
/// disables (all ones), FIQ control, mailbox 0's configuration; the local
/// controller's core 0 timer and mailbox control, local timer, PMU routing
/// clear, and core 0's four mailboxes (read-to-clear, all ones).
const QUIET_ALL_ONES: [u64; 9] = [
    0x3f00_b21c,
    0x3f00_b220,
    0x3f00_b224,
    0x4000_0014,
    0x4000_00c0,
    0x4000_00c4,
    0x4000_00c8,
    0x4000_00cc,
    0x4000_0038,
];
const QUIET_ZERO: [u64; 5] = [
    0x3f00_b20c,
    0x3f00_b89c,
    0x4000_0040,
    0x4000_0050,
    0x4000_0034,
];
/// CNTV_CTL_EL0: ENABLE, and IMASK.
const CNTV_ENABLE: u64 = 1;
const CNTV_IMASK: u64 = 1 << 1;
/// CORE0_TIMERS_INTERRUPT_CONTROL: nCNTVIRQ to IRQ.
const CORE0_TIMERS_INTERRUPT_CONTROL: u64 = 0x4000_0040;
const CNTV_IRQ: u32 = 1 << 3;
/// The watchdog's timeout for a reset: 16 ticks of 1/65536 s.
const WATCHDOG_TICKS: u32 = 16;
/// How long to wait for the watchdog, in counter ticks (about a second).
const WATCHDOG_PATIENCE: u64 = 62_500_000;
/// `ret`, after the system register instruction in the slot.
const RET: u32 = 0xd65f_03c0;
/// Printable ASCII for the bursts.
const PRINTABLE_FIRST: u8 = b' ';
const PRINTABLE_COUNT: u16 = 95;

/// The scratch buffer the mailbox messages are built in, 16-byte aligned
/// as the mailbox requires.
#[repr(C, align(16))]
struct MailboxBuffer([u32; MAILBOX_WORDS]);
static mut MAILBOX_BUFFER: MailboxBuffer = MailboxBuffer([0; MAILBOX_WORDS]);

/// The instruction slot for system register accesses: an MRS, MSR or SYS
/// chosen at run time, then `ret`. The MMU is off, so RAM is executable.
#[repr(C, align(8))]
struct Slot([u32; 2]);
static mut SLOT: Slot = Slot([RET, RET]);

fn read32(address: u64) -> u32 {
    // SAFETY: `address` is a device register of the virtual board; the
    // access traps to the hypervisor.
    unsafe { core::ptr::read_volatile(address as *const u32) }
}

fn write32(address: u64, value: u32) {
    // SAFETY: as in `read32`.
    unsafe { core::ptr::write_volatile(address as *mut u32, value) }
}

/// Put the console back as this guest uses it (an AUX store may have
/// turned the mini UART off, changed its data size or set DLAB).
pub fn restore_console() {
    UART.init(DEFAULT_CORE_CLOCK_HZ, BAUD_RATE);
}

/// Set while [`wait`] has armed the virtual timer to wake the VM: the
/// interrupt handler then leaves the timer asserted, so that a WFI after
/// the interrupt was taken still finds it pending and returns.
static WAITING: AtomicBool = AtomicBool::new(false);

/// Silence what the fuzzer may have left raising an interrupt (but the
/// wake-up of a wait in progress).
pub fn quieten_interrupts() {
    let waiting = WAITING.load(Ordering::Relaxed);
    if !waiting {
        CNTV_CTL_EL0.set(CNTV_IMASK);
    }
    for address in QUIET_ALL_ONES {
        write32(address, u32::MAX);
    }
    for address in QUIET_ZERO {
        if !(waiting && address == CORE0_TIMERS_INTERRUPT_CONTROL) {
            write32(address, 0);
        }
    }
    // AUX_MU_IER: the mini UART's interrupts off.
    write32(AUX_BASE + 0x44, 0);
}

/// Run one operation.
pub fn run(op: &Op) {
    match *op {
        Op::Load { address, form } => {
            load(address, form);
        }
        Op::Store {
            address,
            form,
            value,
        } => {
            store(address, form, value);
            if (AUX_BASE..AUX_END).contains(&address) {
                restore_console();
            }
        }
        Op::Register {
            address,
            value,
            plus_clo,
        } => {
            let value = if plus_clo {
                value.wrapping_add(read32(SYSTEM_TIMER_CLO))
            } else {
                value
            };
            write32(address, value);
            if (AUX_BASE..AUX_END).contains(&address) {
                restore_console();
            }
        }
        Op::SysReg(access) => system_register(access),
        Op::Call {
            smc,
            function,
            args,
        } => call(smc, function, args),
        Op::VirtualTimer { ctl, ticks, tval } => {
            if tval {
                CNTV_TVAL_EL0.set(ticks as u64);
            } else {
                CNTV_CVAL_EL0.set(CNTVCT_EL0.get().wrapping_add(ticks as u64));
            }
            CNTV_CTL_EL0.set(ctl);
        }
        Op::Mailbox {
            channel,
            words,
            outside_ram,
            alias,
        } => mailbox(channel, &words, outside_ram, alias),
        Op::Undefined => {
            // SAFETY: an undefined instruction; the EL1 vector steps over it.
            unsafe { asm!("udf #0x46", options(nostack)) }
        }
        Op::Wait { wfe, masked, ticks } => wait(wfe, masked, ticks),
        Op::Burst { len } => burst(len),
        Op::WatchdogReset => watchdog_reset(),
    }
}

/// One load; the value is thrown away.
fn load(address: u64, form: LoadForm) -> u64 {
    let a = address as usize;
    let v: u64;
    // SAFETY: every address the fuzzer loads from is a device window or
    // outside this guest's RAM: it traps to the hypervisor (or faults at
    // EL1, and the vector steps over it). Nothing in this guest changes.
    unsafe {
        match form {
            LoadForm::Plain(Width::Byte) => {
                asm!("ldrb {v:w}, [{a}]", a = in(reg) a, v = out(reg) v, options(nostack))
            }
            LoadForm::Plain(Width::Half) => {
                asm!("ldrh {v:w}, [{a}]", a = in(reg) a, v = out(reg) v, options(nostack))
            }
            LoadForm::Plain(Width::Word) => {
                asm!("ldr {v:w}, [{a}]", a = in(reg) a, v = out(reg) v, options(nostack))
            }
            LoadForm::Plain(Width::Double) => {
                asm!("ldr {v}, [{a}]", a = in(reg) a, v = out(reg) v, options(nostack))
            }
            LoadForm::Signed64(Width::Byte) => {
                asm!("ldrsb {v}, [{a}]", a = in(reg) a, v = out(reg) v, options(nostack))
            }
            LoadForm::Signed64(Width::Half) => {
                asm!("ldrsh {v}, [{a}]", a = in(reg) a, v = out(reg) v, options(nostack))
            }
            LoadForm::Signed64(_) => {
                asm!("ldrsw {v}, [{a}]", a = in(reg) a, v = out(reg) v, options(nostack))
            }
            LoadForm::Signed32(Width::Byte) => {
                asm!("ldrsb {v:w}, [{a}]", a = in(reg) a, v = out(reg) v, options(nostack))
            }
            LoadForm::Signed32(_) => {
                asm!("ldrsh {v:w}, [{a}]", a = in(reg) a, v = out(reg) v, options(nostack))
            }
            LoadForm::Acquire(Width::Byte) => {
                asm!("ldarb {v:w}, [{a}]", a = in(reg) a, v = out(reg) v, options(nostack))
            }
            LoadForm::Acquire(Width::Half) => {
                asm!("ldarh {v:w}, [{a}]", a = in(reg) a, v = out(reg) v, options(nostack))
            }
            LoadForm::Acquire(Width::Word) => {
                asm!("ldar {v:w}, [{a}]", a = in(reg) a, v = out(reg) v, options(nostack))
            }
            LoadForm::Acquire(Width::Double) => {
                asm!("ldar {v}, [{a}]", a = in(reg) a, v = out(reg) v, options(nostack))
            }
            LoadForm::Pair => {
                asm!("ldp {v}, {w}, [{a}]", a = in(reg) a, v = out(reg) v, w = out(reg) _, options(nostack))
            }
            LoadForm::PreIndex => {
                asm!("ldr {v}, [{a}, #8]!", a = inout(reg) a => _, v = out(reg) v, options(nostack))
            }
            LoadForm::PostIndex => {
                asm!("ldr {v}, [{a}], #8", a = inout(reg) a => _, v = out(reg) v, options(nostack))
            }
            LoadForm::Exclusive => {
                asm!("ldxr {v}, [{a}]", "clrex", a = in(reg) a, v = out(reg) v, options(nostack))
            }
        }
    }
    v
}

/// One store.
fn store(address: u64, form: StoreForm, value: u64) {
    let a = address as usize;
    // SAFETY: as in `load`: device windows or outside this guest's RAM
    // (never MAIL1_WRITE, see `fuzz::op`).
    unsafe {
        match form {
            StoreForm::Plain(Width::Byte) => {
                asm!("strb {v:w}, [{a}]", a = in(reg) a, v = in(reg) value, options(nostack))
            }
            StoreForm::Plain(Width::Half) => {
                asm!("strh {v:w}, [{a}]", a = in(reg) a, v = in(reg) value, options(nostack))
            }
            StoreForm::Plain(Width::Word) => {
                asm!("str {v:w}, [{a}]", a = in(reg) a, v = in(reg) value, options(nostack))
            }
            StoreForm::Plain(Width::Double) => {
                asm!("str {v}, [{a}]", a = in(reg) a, v = in(reg) value, options(nostack))
            }
            StoreForm::Release(Width::Byte) => {
                asm!("stlrb {v:w}, [{a}]", a = in(reg) a, v = in(reg) value, options(nostack))
            }
            StoreForm::Release(Width::Half) => {
                asm!("stlrh {v:w}, [{a}]", a = in(reg) a, v = in(reg) value, options(nostack))
            }
            StoreForm::Release(Width::Word) => {
                asm!("stlr {v:w}, [{a}]", a = in(reg) a, v = in(reg) value, options(nostack))
            }
            StoreForm::Release(Width::Double) => {
                asm!("stlr {v}, [{a}]", a = in(reg) a, v = in(reg) value, options(nostack))
            }
            StoreForm::Pair => {
                asm!("stp {v}, {v}, [{a}]", a = in(reg) a, v = in(reg) value, options(nostack))
            }
            StoreForm::PreIndex => {
                asm!("str {v}, [{a}, #8]!", a = inout(reg) a => _, v = in(reg) value, options(nostack))
            }
            StoreForm::PostIndex => {
                asm!("str {v}, [{a}], #8", a = inout(reg) a => _, v = in(reg) value, options(nostack))
            }
            StoreForm::Exclusive => {
                asm!("stxr {s:w}, {v}, [{a}]", a = in(reg) a, v = in(reg) value, s = out(reg) _, options(nostack))
            }
        }
    }
}

/// Run the MRS/MSR/SYS instruction of `access` from the slot, with x0 =
/// its value.
fn system_register(access: SysRegAccess) {
    let slot = &raw mut SLOT;
    // SAFETY: the slot is only written here, by the one core; the write
    // is made visible to instruction fetch (DSB, IC IALLU, DSB, ISB)
    // before the branch.
    unsafe {
        core::ptr::write_volatile(&raw mut (*slot).0[0], access.instruction);
        asm!("dsb sy", "ic iallu", "dsb sy", "isb", options(nostack));
        asm!(
            "blr {f}",
            f = in(reg) slot as usize,
            inout("x0") access.value => _,
            clobber_abi("C"),
        );
    }
}

/// PSCI CPU_SUSPEND (SMC32 and SMC64 ids differ in bit 30): a standby
/// that lasts until an interrupt, so it gets a wake-up as a WFI does.
const PSCI_CPU_SUSPEND: u64 = 0x8400_0001;
const SMC64_BIT: u64 = 1 << 30;
/// The wake-up of a CPU_SUSPEND, in counter ticks (about 2 ms).
const SUSPEND_TICKS: u64 = 125_000;

/// HVC or SMC with x0-x3; a CPU_SUSPEND with the virtual timer armed to
/// wake the VM.
fn call(smc: bool, function: u64, args: [u64; 3]) {
    let suspend = function & !SMC64_BIT == PSCI_CPU_SUSPEND;
    if suspend {
        WAITING.store(true, Ordering::Relaxed);
        CNTV_TVAL_EL0.set(SUSPEND_TICKS);
        CNTV_CTL_EL0.set(CNTV_ENABLE);
        write32(CORE0_TIMERS_INTERRUPT_CONTROL, CNTV_IRQ);
    }
    raw_call(smc, function, args);
    if suspend {
        CNTV_CTL_EL0.set(CNTV_IMASK);
        WAITING.store(false, Ordering::Relaxed);
    }
}

/// The HVC or SMC instruction.
fn raw_call(smc: bool, function: u64, args: [u64; 3]) {
    // SAFETY: the hypervisor answers in x0-x3 (SMCCC); nothing else changes.
    unsafe {
        if smc {
            asm!("smc #0", inout("x0") function => _, inout("x1") args[0] => _,
                 inout("x2") args[1] => _, inout("x3") args[2] => _, options(nostack));
        } else {
            asm!("hvc #0", inout("x0") function => _, inout("x1") args[0] => _,
                 inout("x2") args[1] => _, inout("x3") args[2] => _, options(nostack));
        }
    }
}

/// A property message in the scratch buffer (or an address past RAM).
fn mailbox(channel: u32, words: &[u32; MAILBOX_WORDS], outside_ram: Option<u64>, alias: u32) {
    let buffer = &raw mut MAILBOX_BUFFER;
    let address = match outside_ram {
        Some(address) => address as u32,
        None => {
            for (i, &word) in words.iter().enumerate() {
                // SAFETY: the buffer is this module's, used by one core.
                unsafe { core::ptr::write_volatile(&raw mut (*buffer).0[i], word) };
            }
            buffer as u32
        }
    };
    for _ in 0..MAIL0_DRAIN {
        if read32(MAIL1_STATUS) & MAIL_FULL == 0 {
            break;
        }
        read32(MAIL0_READ);
    }
    let channel = if outside_ram.is_some() {
        CHANNEL_PROPERTY
    } else {
        channel
    };
    write32(MAIL1_WRITE, (address & !0xf) | alias | channel);
    for _ in 0..MAIL0_DRAIN {
        if read32(MAIL0_STATUS) & MAIL_EMPTY != 0 {
            break;
        }
        read32(MAIL0_READ);
    }
}

/// WFI or WFE with the virtual timer armed to wake the VM.
fn wait(wfe: bool, masked: bool, ticks: u32) {
    WAITING.store(true, Ordering::Relaxed);
    CNTV_TVAL_EL0.set(u64::from(ticks));
    CNTV_CTL_EL0.set(CNTV_ENABLE);
    write32(CORE0_TIMERS_INTERRUPT_CONTROL, CNTV_IRQ);
    if !masked {
        DAIF.write(DAIF::I::Unmasked + DAIF::F::Unmasked);
    }
    if wfe {
        aarch64_cpu::asm::wfe();
    } else {
        aarch64_cpu::asm::wfi();
    }
    DAIF.write(DAIF::D::Masked + DAIF::A::Masked + DAIF::I::Masked + DAIF::F::Masked);
    barrier::isb(barrier::SY);
    CNTV_CTL_EL0.set(CNTV_IMASK);
    WAITING.store(false, Ordering::Relaxed);
}

/// `len` printable bytes on one line.
fn burst(len: u16) {
    let mut w = rt::board::console();
    let _ = ufmt::uwrite!(w, "fuzz: burst ");
    for i in 0..len {
        UART.write_byte(
            PRINTABLE_FIRST + (i.wrapping_mul(7).wrapping_add(len) % PRINTABLE_COUNT) as u8,
        );
    }
    let _ = ufmt::uwrite!(w, "\n");
}

/// Arm the watchdog for a full reset and wait for it.
fn watchdog_reset() {
    write32(PM_WDOG, PM_PASSWORD | WATCHDOG_TICKS);
    write32(PM_RSTC, PM_PASSWORD | PM_RSTC_WRCFG_FULL_RESET);
    let start = CNTVCT_EL0.get();
    while CNTVCT_EL0.get().wrapping_sub(start) < WATCHDOG_PATIENCE {
        read32(SYSTEM_TIMER_CLO);
    }
    let mut w = rt::board::console();
    let _ = ufmt::uwriteln!(w, "fuzz: FAILED: the watchdog did not reset this VM");
}
