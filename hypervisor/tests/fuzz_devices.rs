//! Host fuzz targets for the virtual BCM2837: random register traffic, with
//! time passing and bytes arriving, through each model's [`Device`]
//! interface and through the [`VirtualBoard`] that routes a guest's loads
//! and stores. Beyond "never panics" (the models' own unit tests check
//! that) each target checks a property a guest relies on:
//!
//! - every model: a register's name depends only on its offset, and an
//!   offset that names no register reads as 0;
//! - the BCM2835 interrupt controller: its IRQ output is raised exactly when
//!   a source is both pending and enabled, as the pending registers show;
//! - the local controller and the board: the VM's IRQ (FIQ) line is
//!   raised exactly when CORE0_IRQ_SOURCE (CORE0_FIQ_SOURCE) is not 0;
//! - the mini UART: no typed byte is lost or reordered, only the ones a
//!   guest throws away by clearing the receive FIFO;
//! - the mailbox: the firmware writes only inside the buffer the guest
//!   handed it, and answers on mailbox 0 with the word it was sent;
//! - the system timer and the watchdog: the deadline the scheduler sleeps
//!   until is never late (the event has happened when it comes);
//! - the watchdog: a write without the password changes nothing;
//! - the board: addresses no model decodes read as 0.

mod common;

use common::test_env::{op_strategy, FakeEnv, Op};
use ferrovisor::emu::irq_controller::{IrqController, PeripheralLines};
use ferrovisor::emu::local_intc::{LocalInputs, LocalIntc, VCPU_CORE};
use ferrovisor::emu::mailbox::{Mailbox, CHANNEL_PROPERTY};
use ferrovisor::emu::system_timer::SystemTimer;
use ferrovisor::emu::watchdog::{Watchdog, PM_PASSWORD};
use ferrovisor::emu::{
    aux, emmc, gpio, irq_controller, local_intc, mailbox, sdhost, system_timer, usb, watchdog,
    window_of, AccessSize, Device, VirtualBoard, VmEnv, ABSENT, DEVICE_MAP, RESERVED,
};
use proptest::collection::vec;
use proptest::prelude::*;
use std::collections::{HashMap, VecDeque};

/// Operations per case.
const OPS: usize = 200;

/// IRQ controller registers (BCM2835 ARM Peripherals, 7.5).
const IRQ_BASIC_PENDING: u32 = 0x00;
const IRQ_PENDING_1: u32 = 0x04;
const IRQ_PENDING_2: u32 = 0x08;
const ENABLE_IRQS_1: u32 = 0x10;
const ENABLE_IRQS_2: u32 = 0x14;
const ENABLE_BASIC_IRQS: u32 = 0x18;
/// IRQ_BASIC_PENDING's ARM interrupts, bits 7:0.
const BASIC_ARM_IRQS: u32 = 0xff;
/// IRQ_BASIC_PENDING's "bits set in pending register 1/2", bits 8 and 9.
const BASIC_PENDING_REGISTERS: u32 = 0b11 << 8;
/// The GPU interrupts that have their own bit in IRQ_BASIC_PENDING, bits 10-20.
const SHORTCUTS: [u32; 11] = [7, 9, 10, 18, 19, 53, 54, 55, 56, 57, 62];

/// Local controller registers (QA7 rev 3.4).
const CORE0_IRQ_SOURCE: u32 = 0x60;
const CORE0_FIQ_SOURCE: u32 = 0x70;
/// COREn_IRQ_SOURCE / COREn_FIQ_SOURCE bit 8: the GPU interrupt.
const CORE_SOURCE_GPU: u32 = 1 << 8;

/// Mini UART registers (BCM2835 ARM Peripherals, 2.2).
const AUX_ENABLES: u32 = 0x04;
const AUX_MU_IO_REG: u32 = 0x40;
const AUX_MU_IIR_REG: u32 = 0x48;
const AUX_MU_LCR_REG: u32 = 0x4c;
const AUX_MU_STAT_REG: u32 = 0x64;
const MINI_UART_ENABLE: u32 = 1;
const CLEAR_RECEIVE_FIFO: u32 = 1 << 1;
const DLAB_ACCESS: u32 = 1 << 7;
const DATA_SIZE_EIGHT_BIT: u32 = 0b11;
const SEVEN_BIT_MASK: u8 = 0x7f;
const RECEIVE_FIFO_FILL_LEVEL_SHIFT: u32 = 16;
const RECEIVE_FIFO_FILL_LEVEL_MASK: u32 = 0xf;

/// Mailbox registers and the property buffer's layout.
const MAIL0_READ: u32 = 0x00;
const MAIL0_STATUS: u32 = 0x18;
const MAIL1_WRITE: u32 = 0x20;
const MAIL_EMPTY: u32 = 1 << 30;
const MAIL_FULL: u32 = 1 << 31;
const MAIL_CHANNEL_MASK: u32 = 0xf;
/// The VideoCore's bus aliases of ARM RAM, address bits 31:30.
const BUS_ALIAS_MASK: u32 = 0xc000_0000;
/// A property buffer: size, code, then tags; the firmware writes the code
/// even into a buffer too short to hold it.
const BUFFER_HEADER_BYTES: u64 = 8;

/// Watchdog registers.
const PM_RSTC: u32 = 0x1c;
const PM_RSTS: u32 = 0x20;
const PM_WDOG: u32 = 0x24;
const PASSWORD_MASK: u32 = 0xff00_0000;

/// The system timer's control/status register (match flags, write 1 to
/// clear) and its four compares.
const CS: u32 = 0x00;
const COMPARES: [u32; 4] = [0x0c, 0x10, 0x14, 0x18];

/// Every model with its block size, built fresh.
fn models() -> Vec<(&'static str, u64, Box<dyn Device>)> {
    vec![
        (
            "system_timer",
            system_timer::SIZE,
            Box::new(SystemTimer::new()),
        ),
        (
            "irq_controller",
            irq_controller::SIZE,
            Box::new(IrqController::new()),
        ),
        ("mailbox", mailbox::SIZE, Box::new(Mailbox::new())),
        ("watchdog", watchdog::SIZE, Box::new(Watchdog::new())),
        ("gpio", gpio::SIZE, Box::new(gpio::Gpio::new())),
        ("sdhost", sdhost::SIZE, Box::new(sdhost::SdHost::new())),
        ("aux", aux::SIZE, Box::new(aux::Aux::new())),
        ("emmc", emmc::SIZE, Box::new(emmc::Emmc::new())),
        ("usb", usb::SIZE, Box::new(usb::Usb::new())),
        ("local_intc", local_intc::SIZE, Box::new(LocalIntc::new())),
    ]
}

/// Random operations for any model: offsets up to the largest block, each
/// taken modulo the block of the model under test.
fn ops() -> impl Strategy<Value = Vec<Op>> {
    let largest = DEVICE_MAP.iter().map(|w| w.size).max().unwrap_or(0) as u32;
    vec(op_strategy(largest), 0..OPS)
}

/// A word offset inside a block of `size` bytes.
fn inside(offset: u32, size: u64) -> u32 {
    (offset % size as u32) & !3
}

// ANCHOR: every_model
proptest! {
    #![proptest_config(common::config())]

    /// Every model: names depend on the offset only, reserved offsets read 0.
    #[test]
    fn every_model_names_its_registers_and_reads_reserved_as_zero(ops in ops()) {
        for (model, size, mut device) in models() {
            let mut env = FakeEnv::new();
            let mut names: HashMap<u32, &'static str> = HashMap::new();
            for op in &ops {
                env.apply_time(op);
                let offset = inside(op.offset, size);
                let name = if op.write {
                    device.write(offset, op.value, &mut env)
                } else {
                    let reg = device.read(offset, &mut env);
                    if reg.name == RESERVED {
                        prop_assert_eq!(reg.value, 0, "{} {:#x}", model, offset);
                    }
                    reg.name
                };
                let first = *names.entry(offset).or_insert(name);
                prop_assert_eq!(first, name, "{} {:#x}", model, offset);
            }
        }
    }
}
// ANCHOR_END: every_model

/// The interrupt controller's output against what its registers show.
fn check_irq_controller(ic: &mut IrqController, env: &mut FakeEnv) -> Result<(), TestCaseError> {
    let mut read = |offset| ic.read(offset, env).value;
    let pending = u64::from(read(IRQ_PENDING_1)) | u64::from(read(IRQ_PENDING_2)) << 32;
    let basic = read(IRQ_BASIC_PENDING);
    let shortcuts = SHORTCUTS.iter().fold(0u64, |mask, &irq| mask | 1 << irq);
    let mut expected_basic = basic & BASIC_ARM_IRQS;
    let plain = pending & !shortcuts;
    if plain & 0xffff_ffff != 0 {
        expected_basic |= 1 << 8;
    }
    if plain >> 32 != 0 {
        expected_basic |= 1 << 9;
    }
    for (i, &irq) in SHORTCUTS.iter().enumerate() {
        if pending & 1 << irq != 0 {
            expected_basic |= 1 << (10 + i);
        }
    }
    prop_assert_eq!(basic, expected_basic);
    prop_assert_eq!(basic & BASIC_PENDING_REGISTERS != 0, plain != 0);
    prop_assert_eq!(ic.irq(), pending != 0 || basic & BASIC_ARM_IRQS != 0);
    Ok(())
}

proptest! {
    #![proptest_config(common::config())]

    /// The IRQ output is the pending-and-enabled set, not the raw lines.
    #[test]
    fn the_irq_controller_raises_exactly_the_pending_and_enabled_sources(
        steps in vec((op_strategy(irq_controller::SIZE as u32), any::<u64>(), any::<u32>()), 0..OPS),
    ) {
        let mut ic = IrqController::new();
        let mut env = FakeEnv::new();
        for (op, gpu, arm) in steps {
            ic.set_lines(PeripheralLines { gpu, arm: arm & BASIC_ARM_IRQS });
            if op.write {
                ic.write(op.offset, op.value, &mut env);
            } else {
                ic.read(op.offset, &mut env);
            }
            let enabled = u64::from(ic.read(ENABLE_IRQS_1, &mut env).value)
                | u64::from(ic.read(ENABLE_IRQS_2, &mut env).value) << 32;
            let pending = u64::from(ic.read(IRQ_PENDING_1, &mut env).value)
                | u64::from(ic.read(IRQ_PENDING_2, &mut env).value) << 32;
            prop_assert_eq!(pending, gpu & enabled);
            let basic_enabled = ic.read(ENABLE_BASIC_IRQS, &mut env).value;
            let basic = ic.read(IRQ_BASIC_PENDING, &mut env).value;
            prop_assert_eq!(basic & BASIC_ARM_IRQS, arm & basic_enabled & BASIC_ARM_IRQS);
            check_irq_controller(&mut ic, &mut env)?;
        }
    }

    /// The local controller's lines are its source registers being non-zero.
    #[test]
    fn the_local_controller_lines_are_its_source_registers(
        steps in vec((op_strategy(local_intc::SIZE as u32), any::<[bool; 4]>()), 0..OPS),
    ) {
        let mut intc = LocalIntc::new();
        let mut env = FakeEnv::new();
        for (op, [cntv, cntpns, gpu_irq, gpu_fiq]) in steps {
            env.apply_time(&op);
            intc.set_inputs(LocalInputs { cntv, cntpns, gpu_irq, gpu_fiq });
            if op.write {
                intc.write(op.offset, op.value, &mut env);
            } else {
                intc.read(op.offset, &mut env);
            }
            let irq_source = intc.read(CORE0_IRQ_SOURCE, &mut env).value;
            let fiq_source = intc.read(CORE0_FIQ_SOURCE, &mut env).value;
            prop_assert_eq!(intc.irq(VCPU_CORE), irq_source != 0);
            prop_assert_eq!(intc.fiq(VCPU_CORE), fiq_source != 0);
            // A routed source (timers, mailboxes) goes to IRQ or FIQ, never
            // both; only the GPU interrupt has two inputs of its own.
            prop_assert_eq!(irq_source & fiq_source & !CORE_SOURCE_GPU, 0);
        }
    }
}

/// Mini UART traffic: mostly the data, control and status registers.
fn uart_op() -> impl Strategy<Value = Op> {
    let offset = prop_oneof![
        4 => Just(AUX_MU_IO_REG),
        1 => Just(AUX_MU_IIR_REG),
        1 => Just(AUX_MU_LCR_REG),
        1 => Just(AUX_ENABLES),
        1 => Just(0x60u32), // AUX_MU_CNTL_REG: receiver on/off
        2 => (0..aux::SIZE as u32 / 4).prop_map(|w| w * 4),
    ];
    (offset, op_strategy(aux::SIZE as u32)).prop_map(|(offset, op)| Op { offset, ..op })
}

/// The mini UART's receive FIFO fill level, with the UART enabled.
fn rx_level(uart: &mut aux::Aux, env: &mut FakeEnv) -> usize {
    let stat = uart.read(AUX_MU_STAT_REG, env).value;
    ((stat >> RECEIVE_FIFO_FILL_LEVEL_SHIFT) & RECEIVE_FIFO_FILL_LEVEL_MASK) as usize
}

proptest! {
    #![proptest_config(common::config())]

    // ANCHOR: uart_bytes
    /// Every byte typed is read by the guest, in order, or still waiting,
    /// or was in the FIFO when the guest cleared it.
    #[test]
    fn the_mini_uart_loses_and_reorders_no_byte(ops in vec(uart_op(), 0..OPS)) {
        let mut uart = aux::Aux::new();
        let mut env = FakeEnv::new();
        // Bytes typed and not yet read or cleared: the FIFO's, then the queue's.
        let mut in_flight: VecDeque<u8> = VecDeque::new();
        for op in &ops {
            if let Some(byte) = op.typed {
                in_flight.push_back(byte);
            }
            env.apply_time(op);
            let enabled = uart.read(AUX_ENABLES, &mut env).value & MINI_UART_ENABLE != 0;
            let lcr = uart.read(AUX_MU_LCR_REG, &mut env).value;
            if !enabled {
                if op.write { uart.write(op.offset, op.value, &mut env); }
                else { uart.read(op.offset, &mut env); }
                continue;
            }
            let level = rx_level(&mut uart, &mut env);
            prop_assert!(level <= aux::RX_FIFO_DEPTH);
            if op.write {
                if op.offset == AUX_MU_IIR_REG && op.value & CLEAR_RECEIVE_FIFO != 0 {
                    in_flight.drain(..level);
                }
                uart.write(op.offset, op.value, &mut env);
            } else {
                let value = uart.read(op.offset, &mut env).value;
                if op.offset == AUX_MU_IO_REG && lcr & DLAB_ACCESS == 0 && level > 0 {
                    let byte = in_flight.pop_front().unwrap();
                    let mask = if lcr & DATA_SIZE_EIGHT_BIT == DATA_SIZE_EIGHT_BIT {
                        u8::MAX
                    } else {
                        SEVEN_BIT_MASK
                    };
                    prop_assert_eq!(value, u32::from(byte & mask));
                }
            }
        }
        uart.write(AUX_ENABLES, MINI_UART_ENABLE, &mut env);
        let waiting = rx_level(&mut uart, &mut env) + env.input.len();
        prop_assert_eq!(waiting, in_flight.len());
    }
    // ANCHOR_END: uart_bytes
}

/// A mailbox write: a buffer address anywhere (mostly in RAM, some near
/// its end and beyond), a random channel, maybe a bus alias.
fn mailbox_message() -> impl Strategy<Value = (u32, u32, Vec<u32>)> {
    let ram = common::test_env::RAM_BYTES as u32;
    let address = prop_oneof![0..ram, (ram - 0x100)..ram + 0x100, any::<u32>(),];
    let channel = prop_oneof![4 => Just(CHANNEL_PROPERTY), 1 => 0..16u32];
    let alias = prop_oneof![
        Just(0u32),
        Just(0x4000_0000),
        Just(0x8000_0000),
        Just(0xc000_0000)
    ];
    let words = vec(
        prop_oneof![any::<u32>(), 0..0x100u32, 0x0001_0000..0x0004_8050u32],
        0..24,
    );
    (address, channel, alias, words, 0..0x200u32).prop_map(
        |(address, channel, alias, mut words, size)| {
            if let Some(first) = words.first_mut() {
                *first = size; // A plausible buffer size most of the time.
            }
            (
                (address & !BUS_ALIAS_MASK & !MAIL_CHANNEL_MASK) | alias | channel,
                channel,
                words,
            )
        },
    )
}

proptest! {
    #![proptest_config(common::config())]

    // ANCHOR: mailbox_writes
    /// The firmware writes only inside the buffer it was handed (at most
    /// the size its first word declares, at least the header), and answers
    /// with the word it was sent.
    #[test]
    fn the_mailbox_writes_only_inside_the_buffer(
        messages in vec(mailbox_message(), 1..12),
        drain in any::<bool>(),
    ) {
        let mut mailbox = Mailbox::new();
        let mut env = FakeEnv::new();
        let ram = env.ram_bytes();
        for (word, channel, contents) in messages {
            let ipa = u64::from(word & !BUS_ALIAS_MASK & !MAIL_CHANNEL_MASK);
            if ipa + contents.len() as u64 * 4 <= ram {
                env.poke(ipa, &contents);
            }
            let declared = env.read_guest_u32(ipa).map(u64::from).unwrap_or(0);
            let full = mailbox.read(MAIL0_STATUS, &mut env).value & MAIL_FULL != 0;
            env.writes.clear();
            mailbox.write(MAIL1_WRITE, word, &mut env);
            let end = ipa + declared.max(BUFFER_HEADER_BYTES);
            for &at in &env.writes {
                prop_assert!(at >= ipa && at + 4 <= end, "wrote {:#x}, buffer {:#x}..{:#x}", at, ipa, end);
            }
            if full {
                prop_assert!(env.writes.is_empty(), "a full mailbox takes no message");
                continue;
            }
            if drain {
                prop_assert_eq!(mailbox.read(MAIL0_STATUS, &mut env).value & MAIL_EMPTY, 0);
                let answer = mailbox.read(MAIL0_READ, &mut env).value;
                if channel == CHANNEL_PROPERTY {
                    prop_assert_eq!(answer, word);
                } else {
                    prop_assert_eq!(answer & MAIL_CHANNEL_MASK, channel);
                }
            }
        }
    }
    // ANCHOR_END: mailbox_writes
}

proptest! {
    #![proptest_config(common::config())]

    // ANCHOR: deadlines
    /// The system timer's next deadline is never later than the first
    /// compare that will match (worked out here from the writes), and when
    /// it comes a match flag is set: a VM asleep until then is woken for
    /// its interrupt, not late.
    #[test]
    fn the_system_timer_deadline_is_never_late(
        ops in vec(op_strategy(system_timer::SIZE as u32), 0..OPS),
    ) {
        let mut timer = SystemTimer::new();
        let mut env = FakeEnv::new();
        // When (in microseconds) each channel first matches after its
        // last write; `None` once it matched.
        let mut due: [Option<u64>; 4] = [None; 4];
        for op in &ops {
            env.apply_time(op);
            let now = system_timer::micros(&env);
            if op.write {
                timer.write(op.offset, op.value, &mut env);
                if let Some(channel) = COMPARES.iter().position(|&c| c == op.offset) {
                    let delta = match op.value.wrapping_sub(now as u32) {
                        0 => 1 << 32,
                        delta => u64::from(delta),
                    };
                    due[channel] = Some(now.saturating_add(delta));
                }
            } else {
                timer.read(op.offset, &mut env);
            }
            // A channel matched if its flag is up, or if its time has
            // passed (the flag may have been cleared by this very write).
            let lines = timer.match_lines();
            let after = system_timer::micros(&env);
            for (channel, at) in due.iter_mut().enumerate() {
                if lines & 1 << channel != 0 || at.is_some_and(|at| at <= after) {
                    *at = None;
                }
            }
            let first = due.iter().flatten().min().copied();
            let deadline = timer.next_deadline(&env);
            if let Some(first) = first {
                let deadline = deadline.expect("a compare is armed");
                prop_assert!(deadline <= env.ticks_at_micros(first), "deadline {} after the match at {} us", deadline, first);
            }
            let Some(deadline) = deadline else { continue };
            if deadline <= env.now || deadline == u64::MAX {
                continue;
            }
            let before = timer.match_lines();
            let mut later = FakeEnv::new();
            later.now = deadline;
            timer.update(&later);
            prop_assert_ne!(timer.match_lines() & !before, 0, "nothing matched at {}", deadline);
            // Clear what matched, so the next step starts from a clean CS.
            timer.write(CS, timer.match_lines() & !before, &mut env);
            for at in &mut due {
                if at.is_some_and(|at| env.ticks_at_micros(at) <= deadline) {
                    *at = None;
                }
            }
        }
    }

    /// An armed watchdog's deadline is when it resets the VM, not later;
    /// and a write without the password changes nothing.
    #[test]
    fn the_watchdog_keeps_its_deadline_and_its_password(
        ops in vec(op_strategy(watchdog::SIZE as u32), 0..OPS),
    ) {
        let mut dog = Watchdog::new();
        let mut env = FakeEnv::new();
        for op in &ops {
            env.apply_time(op);
            let registers = |dog: &mut Watchdog, env: &mut FakeEnv| {
                [PM_RSTC, PM_RSTS, PM_WDOG].map(|r| dog.read(r, env).value)
            };
            let before = registers(&mut dog, &mut env);
            let deadline_before = dog.deadline(&env);
            if op.write {
                dog.write(op.offset, op.value, &mut env);
                if op.value & PASSWORD_MASK != PM_PASSWORD {
                    prop_assert_eq!(registers(&mut dog, &mut env), before);
                    prop_assert_eq!(dog.deadline(&env), deadline_before);
                }
            } else {
                dog.read(op.offset, &mut env);
            }
            dog.take_reset_request();
            if let Some(deadline) = dog.deadline(&env) {
                if deadline > env.now {
                    let mut later = FakeEnv::new();
                    later.now = deadline;
                    dog.update(&later);
                    prop_assert!(dog.take_reset_request(), "no reset at the deadline {}", deadline);
                    dog = Watchdog::new();
                }
            }
        }
    }
    // ANCHOR_END: deadlines
}

/// A load or store anywhere in (and just around) the two windows.
fn board_access() -> impl Strategy<Value = (u64, AccessSize, Op)> {
    let ipa = prop_oneof![
        0x3eff_fff0u64..0x4004_0010,
        proptest::sample::select(DEVICE_MAP).prop_flat_map(|w| w.base..w.base + w.size),
    ];
    let size = prop_oneof![
        Just(AccessSize::Byte),
        Just(AccessSize::Half),
        Just(AccessSize::Word),
        Just(AccessSize::Double),
    ];
    (ipa, size, op_strategy(0x100))
}

proptest! {
    #![proptest_config(common::config())]

    // ANCHOR: board_lines
    /// The VM's interrupt lines are what its guest reads in
    /// CORE0_IRQ_SOURCE and CORE0_FIQ_SOURCE, and absent addresses read 0.
    #[test]
    fn the_board_lines_match_the_source_registers(accesses in vec(board_access(), 0..OPS)) {
        let mut board = VirtualBoard::new();
        let mut env = FakeEnv::new();
        let irq_source = local_intc::BASE + u64::from(CORE0_IRQ_SOURCE);
        let fiq_source = local_intc::BASE + u64::from(CORE0_FIQ_SOURCE);
        for (ipa, size, op) in accesses {
            env.apply_time(&op);
            let access = if op.write {
                board.write(ipa, size, u64::from(op.value), &mut env)
            } else {
                board.read(ipa, size, &mut env)
            };
            prop_assert_eq!(access.is_some(), VirtualBoard::claims(ipa));
            if let Some(access) = access {
                let word = ipa & !3;
                prop_assert_eq!(access.device == ABSENT, window_of(word).is_none());
                let high_absent = size != AccessSize::Double || window_of(word + 4).is_none();
                if !op.write && access.device == ABSENT && high_absent {
                    prop_assert_eq!(access.value, 0);
                }
            }
            let vtimer = env.vtimer;
            let irq = board.irq_line(&mut env, vtimer);
            let fiq = board.fiq_line(&mut env, vtimer);
            let read = |board: &mut VirtualBoard, env: &mut FakeEnv, at| {
                board.read(at, AccessSize::Word, env).unwrap().value
            };
            prop_assert_eq!(irq, read(&mut board, &mut env, irq_source) != 0);
            prop_assert_eq!(fiq, read(&mut board, &mut env, fiq_source) != 0);
            if board.take_reset_request() {
                board.reset();
            }
        }
    }
    // ANCHOR_END: board_lines
}
