//! The operations the fuzzer throws at the hypervisor, and how it draws
//! them from its random stream. Everything here is data: `main.rs` (on the
//! board) turns each [`Op`] into instructions.
//!
//! The mix, out of [`ROLL`] draws:
//!
//! | operation | share | what the hypervisor must do |
//! |---|---|---|
//! | load, every width and sign, pairs, writeback and exclusives included, anywhere in the two device windows | 34% | emulate it (absent addresses read 0; a pair, writeback or exclusive from the decoded instruction: a load-exclusive is the guest's data abort) |
//! | store, every width, pairs, writeback and exclusives included, anywhere in the windows | 16% | emulate it (a store-exclusive reports failure) |
//! | a write to a named device register (enables, compares, routing, ...) | 18% | emulate it |
//! | a trapped system register (timer, ACTLR, IMPDEF, DC by set/way, PMU, debug) | 10% | emulate it, or inject an undefined instruction |
//! | HVC/SMC with a PSCI/SMCCC or random function id | 5% | answer, NOT_SUPPORTED for unknown ids |
//! | the virtual timer with a random deadline | 5% | keep the guest's time and interrupt |
//! | a mailbox property message, random buffer and size | 4% | answer inside the buffer only |
//! | an undefined instruction | 3% | leave it to the guest's own vector |
//! | an unaligned load or store in the windows | 2% | emulate it, or the guest takes an alignment fault |
//! | WFI/WFE, interrupts masked or not, with a wake-up armed | 3% | sleep and wake the VM |
//! | a burst of console output (up to 120 bytes) | 0.2% | keep it in the VM's scrollback |
//! | something the VM cannot survive (below) | 0.005% | stop this VM alone, with a report |
//!
//! The last kind is announced by the guest before it runs (see
//! [`Op::expected_stop`]): a load or store past the VM's RAM,
//! PSCI SYSTEM_OFF, CPU_OFF (the VM has one core) or SYSTEM_RESET, and a
//! watchdog reset.

use crate::rng::Rng;
use raspi3b::map;

/// Draws are out of this many.
pub const ROLL: u64 = 100_000;

/// The BCM2837 peripheral window.
pub const PERIPHERAL_BASE: u64 = map::PERIPHERAL_BASE.as_u64();
/// End of the peripheral window (exclusive).
pub const PERIPHERAL_END: u64 = map::PERIPHERAL_END.as_u64();
/// The ARM local peripherals.
pub const LOCAL_BASE: u64 = map::LOCAL_PERIPHERAL_BASE.as_u64();
/// End of the local window ferrovisor traps (exclusive): 256 KiB, as the
/// BCM2836 decodes the QA7 block.
pub const LOCAL_END: u64 = 0x4004_0000;
/// The largest IPA the fuzzer reaches for past its RAM (a 40-bit IPA
/// space, as ferrovisor's stage 2 gives).
pub const IPA_END: u64 = 1 << 40;

/// The VideoCore mailbox: MAIL1_WRITE, which the fuzzer's own stores
/// steer to its scratch buffer (a random buffer address in its RAM would
/// let the firmware overwrite the guest's code, which is no test of the
/// hypervisor).
pub const MAIL1_WRITE: u64 = map::MAILBOX_BASE.as_u64() + 0x20;
/// The mailbox's property channel.
pub const CHANNEL_PROPERTY: u32 = 8;
/// Words in the scratch mailbox buffer.
pub const MAILBOX_WORDS: usize = 32;
/// Bytes in the scratch mailbox buffer.
const MAILBOX_BYTES: u32 = MAILBOX_WORDS as u32 * 4;
/// The PM watchdog's password (bits 31:24 of every write).
pub const PM_PASSWORD: u32 = 0x5a00_0000;
/// PM_RSTC and PM_WDOG.
pub const PM_RSTC: u64 = map::PM_BASE.as_u64() + 0x1c;
/// PM_WDOG: the watchdog's timeout.
pub const PM_WDOG: u64 = map::PM_BASE.as_u64() + 0x24;
/// PM_RSTC.WRCFG = full reset.
pub const PM_RSTC_WRCFG_FULL_RESET: u32 = 0x20;

/// PSCI 1.1 / SMCCC 1.1 function ids (Arm DEN0022, DEN0028).
pub const PSCI_VERSION: u32 = 0x8400_0000;
/// PSCI CPU_SUSPEND (SMC64).
pub const PSCI_CPU_SUSPEND: u32 = 0xc400_0001;
/// PSCI CPU_OFF.
pub const PSCI_CPU_OFF: u32 = 0x8400_0002;
/// PSCI CPU_ON (SMC64).
pub const PSCI_CPU_ON: u32 = 0xc400_0003;
/// PSCI AFFINITY_INFO (SMC64).
pub const PSCI_AFFINITY_INFO: u32 = 0xc400_0004;
/// PSCI SYSTEM_OFF: stops the VM.
pub const PSCI_SYSTEM_OFF: u32 = 0x8400_0008;
/// PSCI SYSTEM_RESET: restarts the VM.
pub const PSCI_SYSTEM_RESET: u32 = 0x8400_0009;
/// PSCI_FEATURES.
pub const PSCI_FEATURES: u32 = 0x8400_000a;
/// SMCCC_VERSION.
pub const SMCCC_VERSION: u32 = 0x8000_0000;
/// SMCCC_ARCH_FEATURES.
pub const SMCCC_ARCH_FEATURES: u32 = 0x8000_0001;
/// Function ids that answer and let the VM go on (CPU_OFF on a one-core
/// VM is the end of it: a stop, like SYSTEM_OFF).
const SURVIVABLE_CALLS: [u32; 7] = [
    PSCI_VERSION,
    PSCI_CPU_SUSPEND,
    PSCI_CPU_ON,
    PSCI_AFFINITY_INFO,
    PSCI_FEATURES,
    SMCCC_VERSION,
    SMCCC_ARCH_FEATURES,
];

/// The width of a load or store.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Width {
    /// 8 bits.
    Byte,
    /// 16 bits.
    Half,
    /// 32 bits.
    Word,
    /// 64 bits.
    Double,
}

impl Width {
    /// Bytes moved.
    pub const fn bytes(self) -> u64 {
        match self {
            Width::Byte => 1,
            Width::Half => 2,
            Width::Word => 4,
            Width::Double => 8,
        }
    }
}

const WIDTHS: [Width; 4] = [Width::Byte, Width::Half, Width::Word, Width::Double];

/// How a load is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoadForm {
    /// `ldrb`/`ldrh`/`ldr w`/`ldr x`.
    Plain(Width),
    /// `ldrsb`/`ldrsh`/`ldrsw` into an X register.
    Signed64(Width),
    /// `ldrsb`/`ldrsh` into a W register.
    Signed32(Width),
    /// `ldar`: load-acquire (ISV is set: emulable).
    Acquire(Width),
    /// `ldp x, x`: no syndrome, ferrovisor decodes it.
    Pair,
    /// `ldr x, [xn, #8]!`: no syndrome, decoded.
    PreIndex,
    /// `ldr x, [xn], #8`: no syndrome, decoded.
    PostIndex,
    /// `ldxr x`: no syndrome, decoded: the guest's data abort (unsupported
    /// exclusive).
    Exclusive,
}

/// How a store is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StoreForm {
    /// `strb`/`strh`/`str w`/`str x`.
    Plain(Width),
    /// `stlr`: store-release (emulable).
    Release(Width),
    /// `stp x, x`: no syndrome, decoded.
    Pair,
    /// `str x, [xn, #8]!`: no syndrome, decoded.
    PreIndex,
    /// `str x, [xn], #8`: no syndrome, decoded.
    PostIndex,
    /// `stxr`: no syndrome, decoded: stored, and reported failed.
    Exclusive,
}

/// A system register access: the MRS/MSR (or SYS) instruction word, with
/// Rt = x0, and for writes the value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SysRegAccess {
    /// The instruction, Rt = x0.
    pub instruction: u32,
    /// What is written (ignored by reads).
    pub value: u64,
}

/// One thing the fuzzer does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// A load from `address`.
    Load {
        /// Where (an IPA).
        address: u64,
        /// Which instruction.
        form: LoadForm,
    },
    /// A store of `value` to `address`.
    Store {
        /// Where.
        address: u64,
        /// Which instruction.
        form: StoreForm,
        /// What.
        value: u64,
    },
    /// A 32-bit write to a device register that does something.
    Register {
        /// The register.
        address: u64,
        /// The value.
        value: u32,
        /// Add the system timer's CLO to `value` first (a compare due soon).
        plus_clo: bool,
    },
    /// A system register access.
    SysReg(SysRegAccess),
    /// HVC (or SMC) with x0 = `function` and x1-x3 = `args`.
    Call {
        /// SMC rather than HVC.
        smc: bool,
        /// x0.
        function: u64,
        /// x1-x3.
        args: [u64; 3],
    },
    /// Program the virtual timer: CNTV_CTL_EL0 = `ctl`, and a deadline
    /// `ticks` from now in CNTV_TVAL_EL0 (or CNTV_CVAL_EL0).
    VirtualTimer {
        /// CNTV_CTL_EL0 (ENABLE, IMASK).
        ctl: u64,
        /// Ticks until the deadline (may be "in the past": negative).
        ticks: i64,
        /// Through TVAL rather than CVAL.
        tval: bool,
    },
    /// A property message: `words` of random content, the first `len` in
    /// the scratch buffer, sent on `channel`; or sent to an address past
    /// the VM's RAM.
    Mailbox {
        /// The mailbox channel (8 = property tags).
        channel: u32,
        /// The buffer's content (word 0 is its size, as the guest claims).
        words: [u32; MAILBOX_WORDS],
        /// Send an address past RAM instead of the scratch buffer.
        outside_ram: Option<u64>,
        /// The VideoCore bus alias in address bits 31:30.
        alias: u32,
    },
    /// An undefined instruction (`udf`).
    Undefined,
    /// WFI (or WFE), with the virtual timer armed `ticks` ahead so the VM
    /// is woken, and IRQs masked or not.
    Wait {
        /// WFE rather than WFI.
        wfe: bool,
        /// PSTATE.I stays set during the wait.
        masked: bool,
        /// The wake-up, in counter ticks.
        ticks: u32,
    },
    /// `len` printable bytes on the console.
    Burst {
        /// How many.
        len: u16,
    },
    /// Arm the watchdog for a full reset of the VM.
    WatchdogReset,
}

/// What the guest knows about itself when it draws.
#[derive(Clone, Copy, Debug)]
pub struct Layout {
    /// The first address past its RAM.
    pub ram_end: u64,
}

/// What a stop-worthy operation makes of the VM.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stop {
    /// The hypervisor halts it with a report.
    Halt,
    /// It is reset (PSCI SYSTEM_RESET, the watchdog): it starts again.
    Reset,
    /// It powers off (PSCI SYSTEM_OFF).
    PowerOff,
}

impl Stop {
    /// The word the announcement uses.
    pub const fn word(self) -> &'static str {
        match self {
            Stop::Halt => "halt",
            Stop::Reset => "reset",
            Stop::PowerOff => "power-off",
        }
    }
}

/// Whether `address` is in one of the two trapped windows.
pub fn in_windows(address: u64) -> bool {
    (PERIPHERAL_BASE..PERIPHERAL_END).contains(&address)
        || (LOCAL_BASE..LOCAL_END).contains(&address)
}

impl Op {
    /// If this operation may end the VM's run, how: the guest announces
    /// it before running it, so the harness can tell an expected stop from
    /// a hypervisor failure.
    pub fn expected_stop(&self, layout: &Layout) -> Option<Stop> {
        let outside = |address: u64| address >= layout.ram_end && !in_windows(address);
        match *self {
            Op::Load { address, .. } => outside(address).then_some(Stop::Halt),
            Op::Store { address, .. } => outside(address).then_some(Stop::Halt),
            Op::Call { function, .. } => match function as u32 {
                PSCI_SYSTEM_OFF | PSCI_CPU_OFF if function >> 32 == 0 => Some(Stop::PowerOff),
                PSCI_SYSTEM_RESET if function >> 32 == 0 => Some(Stop::Reset),
                _ => None,
            },
            Op::WatchdogReset => Some(Stop::Reset),
            // A firmware buffer outside the VM's RAM may stop it (DESIGN:
            // a real board would not survive it either).
            Op::Mailbox {
                outside_ram: Some(_),
                ..
            } => Some(Stop::Halt),
            _ => None,
        }
    }

    /// Draw the next operation.
    pub fn draw(rng: &mut Rng, layout: &Layout) -> Op {
        let roll = rng.below(ROLL);
        match roll {
            0..28_000 => {
                let form = load_form(rng);
                Op::Load {
                    address: window_address(rng) & !alignment(form.touches_16()),
                    form,
                }
            }
            28_000..44_000 => {
                let form = if rng.chance(1, 8) {
                    rng.pick(&[
                        StoreForm::Pair,
                        StoreForm::PreIndex,
                        StoreForm::PostIndex,
                        StoreForm::Exclusive,
                    ])
                } else if rng.chance(1, 6) {
                    StoreForm::Release(rng.pick(&WIDTHS))
                } else {
                    StoreForm::Plain(rng.pick(&WIDTHS))
                };
                Op::Store {
                    address: steer_store(window_address(rng) & !alignment(form.touches_16())),
                    form,
                    value: rng.value(),
                }
            }
            44_000..62_000 => register(rng),
            62_000..72_000 => Op::SysReg(system_register(rng)),
            72_000..77_000 => Op::Call {
                smc: rng.chance(1, 2),
                function: if rng.chance(1, 2) {
                    u64::from(rng.pick(&SURVIVABLE_CALLS))
                } else {
                    survivable_function(rng.value())
                },
                args: [rng.value(), rng.value(), rng.value()],
            },
            77_000..82_000 => Op::VirtualTimer {
                ctl: rng.below(8),
                ticks: rng.range(0, 2_000_000) as i64 - 100_000,
                tval: rng.chance(1, 2),
            },
            82_000..86_000 => {
                let mut words = [0; MAILBOX_WORDS];
                for word in &mut words {
                    *word = rng.value() as u32;
                }
                // Mostly a plausible size, so the tags get parsed; never
                // more than the buffer, or the firmware would answer into
                // whatever follows it in this guest's RAM.
                if rng.chance(3, 4) {
                    words[0] = (rng.range(2, MAILBOX_WORDS as u64 + 1) * 4) as u32;
                    words[1] = 0;
                } else {
                    words[0] %= MAILBOX_BYTES + 1;
                }
                let outside_ram = rng
                    .chance(1, 200)
                    .then(|| rng.range(layout.ram_end, PERIPHERAL_BASE) & !0xf);
                Op::Mailbox {
                    channel: if rng.chance(4, 5) {
                        CHANNEL_PROPERTY
                    } else {
                        rng.below(16) as u32
                    },
                    words,
                    outside_ram,
                    alias: rng.pick(&[0, 0x4000_0000, 0x8000_0000, 0xc000_0000]),
                }
            }
            86_000..89_000 => Op::Undefined,
            89_000..91_000 => {
                let width = rng.pick(&[Width::Half, Width::Word, Width::Double]);
                let address = window_address(rng) & !7 | rng.range(1, width.bytes());
                if rng.chance(1, 2) {
                    Op::Load {
                        address,
                        form: LoadForm::Plain(width),
                    }
                } else {
                    Op::Store {
                        address: steer_store(address),
                        form: StoreForm::Plain(width),
                        value: rng.value(),
                    }
                }
            }
            91_000..94_000 => Op::Wait {
                wfe: rng.chance(1, 3),
                masked: rng.chance(1, 2),
                ticks: rng.range(1_000, 600_000) as u32,
            },
            94_000..94_200 => Op::Burst {
                len: rng.range(1, 120) as u16,
            },
            94_200..99_995 => Op::Load {
                address: window_address(rng) & !7,
                form: LoadForm::Plain(rng.pick(&WIDTHS)),
            },
            _ => stopping(rng, layout),
        }
    }
}

/// An address in the windows: mostly near the emulated devices.
fn window_address(rng: &mut Rng) -> u64 {
    const DEVICES: [(u64, u64); 10] = [
        (PERIPHERAL_BASE + 0x3000, 0x1c),      // system timer
        (PERIPHERAL_BASE + 0xb200, 0x28),      // interrupt controller
        (PERIPHERAL_BASE + 0xb880, 0x40),      // mailbox
        (PERIPHERAL_BASE + 0x10_0000, 0x28),   // PM / watchdog
        (PERIPHERAL_BASE + 0x20_0000, 0xb4),   // GPIO
        (PERIPHERAL_BASE + 0x20_2000, 0x54),   // SD host
        (PERIPHERAL_BASE + 0x21_5000, 0x100),  // AUX
        (PERIPHERAL_BASE + 0x30_0000, 0x100),  // EMMC
        (PERIPHERAL_BASE + 0x98_0000, 0x1000), // USB
        (LOCAL_BASE, 0x100),                   // local interrupt controller
    ];
    match rng.below(4) {
        0 => rng.range(PERIPHERAL_BASE, PERIPHERAL_END),
        1 => rng.range(LOCAL_BASE, LOCAL_END),
        _ => {
            let (base, size) = rng.pick(&DEVICES);
            // A little past the block too: the gaps read as absent.
            (base + rng.below(size + 0x40)).min(LOCAL_END - 8)
        }
    }
}

/// A store to MAIL1_WRITE would hand the firmware a random buffer address;
/// move it to the next word (MAIL1_WRITE's neighbour is reserved).
fn steer_store(address: u64) -> u64 {
    if address & !7 == MAIL1_WRITE & !7 {
        MAIL1_WRITE + 0x10
    } else {
        address
    }
}

/// Any function id but the ones that end the VM.
fn survivable_function(value: u64) -> u64 {
    match value as u32 {
        PSCI_SYSTEM_OFF | PSCI_SYSTEM_RESET | PSCI_CPU_OFF if value >> 32 == 0 => {
            u64::from(PSCI_VERSION)
        }
        _ => value,
    }
}

fn load_form(rng: &mut Rng) -> LoadForm {
    match rng.below(9) {
        0..4 => LoadForm::Plain(rng.pick(&WIDTHS)),
        4 => LoadForm::Signed64(rng.pick(&[Width::Byte, Width::Half, Width::Word])),
        5 => LoadForm::Signed32(rng.pick(&[Width::Byte, Width::Half])),
        6 | 7 => LoadForm::Acquire(rng.pick(&WIDTHS)),
        _ => rng.pick(&[
            LoadForm::Pair,
            LoadForm::PreIndex,
            LoadForm::PostIndex,
            LoadForm::Exclusive,
        ]),
    }
}

/// The alignment mask of an access's address: 16 bytes for the forms that
/// touch the 16 bytes from it (a pair of X registers, `[xn, #8]!`), so the
/// last access stays in the window; else 8.
fn alignment(touches_16: bool) -> u64 {
    if touches_16 {
        15
    } else {
        7
    }
}

impl LoadForm {
    /// Whether the form reaches up to 16 bytes from its address.
    fn touches_16(self) -> bool {
        matches!(self, LoadForm::Pair | LoadForm::PreIndex)
    }
}

impl StoreForm {
    /// As [`LoadForm::touches_16`].
    fn touches_16(self) -> bool {
        matches!(self, StoreForm::Pair | StoreForm::PreIndex)
    }
}

/// A write to a register that makes a device do something, with values
/// drawn for it.
fn register(rng: &mut Rng) -> Op {
    const IRQ: u64 = map::INTERRUPT_CONTROLLER_BASE.as_u64();
    const TIMER: u64 = map::SYSTEM_TIMER_BASE.as_u64();
    const GPIO: u64 = map::GPIO_BASE.as_u64();
    const AUX: u64 = map::AUX_BASE.as_u64();
    const MAILBOX: u64 = map::MAILBOX_BASE.as_u64();
    // Interrupt controller: FIQ control, enables, disables.
    const IRQ_REGISTERS: [u64; 7] = [
        IRQ + 0x0c,
        IRQ + 0x10,
        IRQ + 0x14,
        IRQ + 0x18,
        IRQ + 0x1c,
        IRQ + 0x20,
        IRQ + 0x24,
    ];
    // Local controller: control, prescaler, GPU routing, PMU routing set/
    // clear, core 0-3 timer and mailbox control, local timer, core 0's
    // mailbox set and read-to-clear registers.
    const LOCAL_REGISTERS: [u64; 16] = [
        LOCAL_BASE,
        LOCAL_BASE + 0x08,
        LOCAL_BASE + 0x0c,
        LOCAL_BASE + 0x10,
        LOCAL_BASE + 0x14,
        LOCAL_BASE + 0x24,
        LOCAL_BASE + 0x34,
        LOCAL_BASE + 0x38,
        LOCAL_BASE + 0x40,
        LOCAL_BASE + 0x44,
        LOCAL_BASE + 0x50,
        LOCAL_BASE + 0x54,
        LOCAL_BASE + 0x80,
        LOCAL_BASE + 0x8c,
        LOCAL_BASE + 0xc0,
        LOCAL_BASE + 0xcc,
    ];
    // GPIO: function selects, set, clear, event detects, pull control.
    const GPIO_REGISTERS: [u64; 12] = [
        GPIO,
        GPIO + 0x04,
        GPIO + 0x08,
        GPIO + 0x14,
        GPIO + 0x1c,
        GPIO + 0x28,
        GPIO + 0x40,
        GPIO + 0x4c,
        GPIO + 0x58,
        GPIO + 0x64,
        GPIO + 0x94,
        GPIO + 0x98,
    ];
    // AUX: enables, IER, IIR (FIFO clears), LCR, MCR, scratch, CNTL, baud.
    const AUX_REGISTERS: [u64; 8] = [
        AUX + 0x04,
        AUX + 0x44,
        AUX + 0x48,
        AUX + 0x4c,
        AUX + 0x50,
        AUX + 0x5c,
        AUX + 0x60,
        AUX + 0x68,
    ];
    let value = rng.value() as u32;
    match rng.below(8) {
        0 | 1 => Op::Register {
            address: rng.pick(&IRQ_REGISTERS),
            value,
            plus_clo: false,
        },
        2 => {
            // CS (clear flags) or a compare due within ~0.1 s.
            if rng.chance(1, 3) {
                Op::Register {
                    address: TIMER,
                    value,
                    plus_clo: false,
                }
            } else {
                Op::Register {
                    address: TIMER + 0x0c + 4 * rng.below(4),
                    value: rng.range(0, 100_000) as u32,
                    plus_clo: true,
                }
            }
        }
        3 | 4 => Op::Register {
            address: rng.pick(&LOCAL_REGISTERS),
            value,
            plus_clo: false,
        },
        5 => Op::Register {
            address: rng.pick(&GPIO_REGISTERS),
            value,
            plus_clo: false,
        },
        6 => Op::Register {
            address: rng.pick(&AUX_REGISTERS),
            value,
            plus_clo: false,
        },
        _ => {
            // Mailbox 0/1 configuration, or the watchdog without its
            // password (which must change nothing).
            let address = rng.pick(&[
                MAILBOX + 0x1c,
                MAILBOX + 0x3c,
                PM_RSTC,
                PM_WDOG,
                PM_RSTC + 4,
            ]);
            let value = if address >= PM_RSTC && value & 0xff00_0000 == PM_PASSWORD {
                value ^ 0x0100_0000
            } else {
                value
            };
            Op::Register {
                address,
                value,
                plus_clo: false,
            }
        }
    }
}

/// A system register encoding: op0, op1, CRn, CRm, op2.
type Encoding = (u32, u32, u32, u32, u32);

/// MRS (`read`) or MSR with Rt = x0 (Arm ARM C6.2.193/195): for op0 = 1,
/// the same layout is SYS (DC and friends).
pub const fn sysreg_instruction((op0, op1, crn, crm, op2): Encoding, read: bool) -> u32 {
    const MSR: u32 = 0xd500_0000;
    const L: u32 = 1 << 21;
    MSR | if read { L } else { 0 } | op0 << 19 | op1 << 16 | crn << 12 | crm << 8 | op2 << 5
}

/// The registers ferrovisor traps from EL1 (HCR_EL2.TACR, TIDCP, TSW,
/// CNTHCTL_EL2), and the debug and PMU registers (MDCR_EL2), with what may
/// safely be written to each (bits that would arm a breakpoint, a
/// watchpoint or single-step at EL1 are kept clear).
const TRAPPED: [(Encoding, u64); 17] = [
    ((3, 3, 14, 0, 1), 0),                       // CNTPCT_EL0 (read only)
    ((3, 3, 14, 2, 0), u64::MAX),                // CNTP_TVAL_EL0
    ((3, 3, 14, 2, 1), u64::MAX),                // CNTP_CTL_EL0
    ((3, 3, 14, 2, 2), u64::MAX),                // CNTP_CVAL_EL0
    ((3, 0, 1, 0, 1), u64::MAX),                 // ACTLR_EL1
    ((1, 0, 7, 6, 2), u64::MAX),                 // DC ISW
    ((1, 0, 7, 10, 2), u64::MAX),                // DC CSW
    ((1, 0, 7, 14, 2), u64::MAX),                // DC CISW
    ((3, 3, 9, 12, 0), 0x7e),                    // PMCR_EL0: not E (bit 0)
    ((3, 3, 9, 13, 0), u64::MAX),                // PMCCNTR_EL0
    ((3, 3, 9, 12, 5), 0x1f),                    // PMSELR_EL0
    ((3, 3, 9, 12, 2), u64::MAX),                // PMCNTENCLR_EL0
    ((3, 3, 9, 14, 0), 0),                       // PMUSERENR_EL0: EL0 keeps out
    ((2, 0, 0, 2, 2), !(1 << 15 | 1 << 13 | 1)), // MDSCR_EL1: not MDE, KDE, SS
    ((2, 0, 0, 0, 4), u64::MAX),                 // DBGBVR0_EL1
    ((2, 0, 0, 0, 5), !1),                       // DBGBCR0_EL1: not E
    ((2, 0, 0, 0, 7), !1),                       // DBGWCR0_EL1: not E
];

/// A trapped register with a random value, or an IMPLEMENTATION DEFINED
/// one (op0 = 3, CRn = 11 or 15: trapped by TIDCP).
fn system_register(rng: &mut Rng) -> SysRegAccess {
    let (encoding, writable) = if rng.chance(1, 4) {
        let crn = rng.pick(&[11, 15]);
        (
            (
                3,
                rng.below(8) as u32,
                crn,
                rng.below(16) as u32,
                rng.below(8) as u32,
            ),
            u64::MAX,
        )
    } else {
        rng.pick(&TRAPPED)
    };
    // DC by set/way has no read form; a register with nothing writable is
    // only read.
    let read = encoding.0 != 1 && (writable == 0 || rng.chance(1, 2));
    SysRegAccess {
        instruction: sysreg_instruction(encoding, read),
        value: rng.value() & writable,
    }
}

/// An operation the VM does not survive.
fn stopping(rng: &mut Rng, layout: &Layout) -> Op {
    let past_ram = || (layout.ram_end, IPA_END);
    match rng.below(6) {
        0..3 => {
            let (low, high) = past_ram();
            let address = loop {
                let a = rng.range(low, high) & !7;
                if !in_windows(a) {
                    break a;
                }
            };
            if rng.chance(1, 2) {
                Op::Load {
                    address,
                    form: LoadForm::Plain(rng.pick(&WIDTHS)),
                }
            } else {
                Op::Store {
                    address,
                    form: StoreForm::Plain(rng.pick(&WIDTHS)),
                    value: rng.value(),
                }
            }
        }
        3 => Op::Call {
            smc: rng.chance(1, 2),
            function: u64::from(rng.pick(&[PSCI_SYSTEM_OFF, PSCI_CPU_OFF])),
            args: [0; 3],
        },
        4 => Op::Call {
            smc: rng.chance(1, 2),
            function: u64::from(PSCI_SYSTEM_RESET),
            args: [0; 3],
        },
        _ => Op::WatchdogReset,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LAYOUT: Layout = Layout { ram_end: 16 << 20 };

    #[test]
    fn sysreg_instructions_match_the_assembler() {
        // What `as` makes of `mrs x0, cntpct_el0`, `msr actlr_el1, x0`,
        // `dc isw, x0` and `mrs x0, s3_1_c15_c2_0` (CPUACTLR_EL1).
        assert_eq!(sysreg_instruction((3, 3, 14, 0, 1), true), 0xd53b_e020);
        assert_eq!(sysreg_instruction((3, 0, 1, 0, 1), false), 0xd518_1020);
        assert_eq!(sysreg_instruction((1, 0, 7, 6, 2), false), 0xd508_7640);
        assert_eq!(sysreg_instruction((3, 1, 15, 2, 0), true), 0xd539_f200);
    }

    #[test]
    fn the_same_seed_draws_the_same_operations() {
        let mut a = Rng::new(42);
        let mut b = Rng::new(42);
        for _ in 0..10_000 {
            assert_eq!(Op::draw(&mut a, &LAYOUT), Op::draw(&mut b, &LAYOUT));
        }
    }

    #[test]
    fn every_kind_is_drawn_and_stops_are_rare() {
        let mut rng = Rng::new(3);
        let mut kinds = [0u32; 12];
        let mut stops = 0;
        const DRAWS: u32 = 200_000;
        for _ in 0..DRAWS {
            let op = Op::draw(&mut rng, &LAYOUT);
            let kind = match op {
                Op::Load { .. } => 0,
                Op::Store { .. } => 1,
                Op::Register { .. } => 2,
                Op::SysReg(_) => 3,
                Op::Call { .. } => 4,
                Op::VirtualTimer { .. } => 5,
                Op::Mailbox { .. } => 6,
                Op::Undefined => 7,
                Op::Wait { .. } => 8,
                Op::Burst { .. } => 9,
                Op::WatchdogReset => 10,
            };
            kinds[kind] += 1;
            if op.expected_stop(&LAYOUT).is_some() {
                stops += 1;
            }
        }
        // The watchdog reset is one of the rare stops: drawn below.
        assert!(kinds[..10].iter().all(|&n| n > 0), "{kinds:?}");
        assert!((2..60).contains(&stops), "{stops} stops in {DRAWS}");
    }

    #[test]
    fn only_announced_operations_may_stop_the_vm() {
        let mut rng = Rng::new(11);
        for _ in 0..100_000 {
            let op = Op::draw(&mut rng, &LAYOUT);
            if op.expected_stop(&LAYOUT).is_some() {
                continue;
            }
            match op {
                Op::Load { address, .. } => {
                    assert!(in_windows(address), "{op:?}");
                }
                Op::Store { address, .. } => {
                    assert!(in_windows(address), "{op:?}");
                    assert_ne!(address & !7, MAIL1_WRITE & !7, "no random mailbox buffer");
                }
                Op::Call { function, .. } => {
                    assert!(
                        !matches!(function, 0x8400_0008 | 0x8400_0009 | 0x8400_0002),
                        "{op:?}"
                    )
                }
                Op::Register { address, value, .. } if address == PM_RSTC || address == PM_WDOG => {
                    assert_ne!(value & 0xff00_0000, PM_PASSWORD, "{op:?}")
                }
                _ => {}
            }
        }
    }

    #[test]
    fn stops_past_ram_are_outside_ram_and_devices() {
        let mut rng = Rng::new(5);
        let mut kinds = [false; 3];
        for _ in 0..1000 {
            match stopping(&mut rng, &LAYOUT).expected_stop(&LAYOUT) {
                Some(Stop::Halt) => kinds[0] = true,
                Some(Stop::Reset) => kinds[1] = true,
                Some(Stop::PowerOff) => kinds[2] = true,
                None => panic!("a stopping operation that does not stop"),
            }
        }
        assert_eq!(kinds, [true; 3]);
        for _ in 0..1000 {
            if let Op::Load { address, .. } | Op::Store { address, .. } =
                stopping(&mut rng, &LAYOUT)
            {
                assert!(address >= LAYOUT.ram_end);
                assert!(address < IPA_END);
            }
        }
    }
}
