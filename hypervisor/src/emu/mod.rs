//! The virtual Raspberry Pi 3 each VM sees: one model per emulated BCM2837
//! device, and the [`VirtualBoard`] that routes a trapped load or store to
//! the right model by its address.
//!
//! Everything here is pure logic: the models are register files in plain
//! structs, and whatever they need from their VM (its time, its RAM, its
//! console) they ask of a [`VmEnv`]. So they build and are tested on the host.
//!
//! # Windows and absent devices
//!
//! Two windows of the VM's physical address space (IPA) are trapped: the
//! BCM2837 peripherals (`0x3F00_0000..0x4000_0000`) and the ARM local
//! peripherals (`0x4000_0000..0x4004_0000`). Inside them [`DEVICE_MAP`] names
//! the register block of each model. An address inside a window that no
//! model decodes is *absent*: it reads as 0 and ignores writes, so a guest
//! probing a device the virtual board does not have (the random number
//! generator, I2C, SPI, PWM, the PL011) sees an idle, empty device and gives
//! up, never a hang. The PL011 is absent on purpose: on a Pi 3 it is wired to
//! the Bluetooth chip, which the virtual board does not have, and the console
//! is the mini UART. Linux still binds `ttyAMA0` to it (the device tree says
//! it is there); its flag register reads 0 (transmit FIFO never full, never
//! busy), so writing to it never waits, and with no interrupt nothing is ever
//! received. An address inside a model's block that names no register reads
//! as 0 too (`reserved`). Where reading 0 would not do, because a driver
//! polls a status bit and would wait for its timeout, the controller is
//! modelled with nothing attached: the SD host and the EMMC with no card,
//! USB with an empty root port. A driver then fails at once, as on a board
//! with an empty slot.
//!
//! # Access sizes
//!
//! Every register is 32 bits wide. A byte or halfword *load* returns the
//! bytes of the register it addresses, as the bus does (little-endian lanes),
//! after one 32-bit read of that register (so a byte load of `AUX_MU_IO_REG`
//! takes one byte from the receive FIFO, like `ldrb` on the hardware). A byte
//! or halfword *store* becomes a 32-bit write of the value moved to its byte
//! lane, the other lanes zero: no read-modify-write, since reads have side
//! effects and many registers are write-1-to-clear. A 64-bit access is two
//! 32-bit accesses, to the word it addresses and the next one, low word
//! first (so `ldr x0, [CLO]` reads CLO and CHI together); its trace names the
//! first register. Addresses are taken down to their 32-bit word.
//!
//! # Power-on state
//!
//! A VM starts as a `kernel8.img` starts on a real Pi 3 once the firmware
//! hands over with this repository's `config.txt` (`enable_uart=1`,
//! `core_freq=250`): GPIO14/15 on ALT5 (the mini UART's TXD1/RXD1), the mini
//! UART enabled at 8 bits and 115200 baud for a 250 MHz core clock, and the
//! local core-timer prescaler at 1:1. Guests rely on this: U-Boot refuses to
//! use the mini UART unless GPIO15 is on ALT5, and never programs it. Every
//! other register has its datasheet reset value.
//!
//! # Time and interrupts
//!
//! The models keep no clock: time is the VM's virtual counter
//! ([`VmEnv::counter`]). What happens "by itself" (a system timer compare
//! matching, the watchdog running out) is brought up to date whenever the
//! board is touched: on every access and in [`VirtualBoard::irq_line`] /
//! [`VirtualBoard::fiq_line`]. [`VirtualBoard::next_deadline`] says when the
//! next such event is due, so the scheduler can wake a sleeping VM then and
//! ask for its interrupt lines again.

pub mod aux;
pub mod cprman;
pub mod dma;
pub mod emmc;
pub mod gpio;
pub mod irq_controller;
pub mod local_intc;
pub mod mailbox;
pub mod rng;
pub mod sdhost;
pub mod system_timer;
pub mod usb;
pub mod watchdog;

#[cfg(test)]
mod test_env;

use crate::board::{IRQ_AUX, LOCAL_PERIPHERAL_BASE, PERIPHERAL_BASE, PERIPHERAL_END};
use aux::Aux;
use cprman::Cprman;
use dma::Dma;
use emmc::Emmc;
use gpio::Gpio;
use irq_controller::{IrqController, PeripheralLines};
use local_intc::{LocalInputs, LocalIntc};
use mailbox::Mailbox;
use sdhost::SdHost;
use system_timer::SystemTimer;
use usb::Usb;
use watchdog::Watchdog;

/// Width of a trapped access (from ESR's SAS).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum AccessSize {
    /// 8 bits (`ldrb`/`strb`).
    Byte,
    /// 16 bits (`ldrh`/`strh`).
    Half,
    /// 32 bits (`ldr w`/`str w`).
    Word,
    /// 64 bits (`ldr x`/`str x`).
    Double,
}

impl AccessSize {
    /// Bytes moved by the access.
    pub const fn bytes(self) -> u8 {
        match self {
            AccessSize::Byte => 1,
            AccessSize::Half => 2,
            AccessSize::Word => 4,
            AccessSize::Double => 8,
        }
    }

    /// The bits an access of this size carries.
    pub const fn mask(self) -> u64 {
        match self {
            AccessSize::Double => u64::MAX,
            _ => (1 << (self.bytes() as u32 * BITS_PER_BYTE)) - 1,
        }
    }
}

// ANCHOR: vm_env
/// What a device model may ask of the VM it belongs to.
pub trait VmEnv {
    /// The VM's virtual counter now (CNTVCT, ticks since the VM started).
    fn counter(&self) -> u64;
    /// Counter ticks per second (CNTFRQ_EL0).
    fn counter_freq(&self) -> u64;
    /// Bytes of RAM the VM has (at IPA 0).
    fn ram_bytes(&self) -> u64;
    /// Read a 32-bit word of guest RAM at an IPA; `None` if outside RAM or
    /// unaligned.
    fn read_guest_u32(&self, ipa: u64) -> Option<u32>;
    /// Write a 32-bit word of guest RAM at an IPA; `false` if outside RAM or
    /// unaligned.
    fn write_guest_u32(&mut self, ipa: u64, value: u32) -> bool;
    /// The guest's UART wrote a byte (goes to the VM's console/scrollback).
    fn console_write(&mut self, byte: u8);
    /// Whether the console takes the guest's output now: false while the
    /// VM has the focus and the console's transmit ring is above its
    /// high-water mark. The mini UART then reads busy, as a real one does
    /// while its FIFO is full. A console that is never full (a test's)
    /// need not say.
    fn console_room(&self) -> bool {
        true
    }
    /// Take the next byte typed to this VM, if any (the VM's input queue).
    fn console_read(&mut self) -> Option<u8>;
    /// How many input bytes are waiting.
    fn console_pending(&self) -> usize;
    /// Whether the VM's virtual generic timer asserts its interrupt now
    /// (CNTV_CTL_EL0: ENABLE set, IMASK clear, ISTATUS set). It is the
    /// CNTVIRQ input of the local interrupt controller, which a guest sees
    /// when it reads `CORE0_IRQ_SOURCE` in its interrupt handler.
    fn virtual_timer_irq(&self) -> bool;
}
// ANCHOR_END: vm_env

// ANCHOR: device
/// The result of one emulated access, named for tracing (`vmtrace` prints
/// these). For reads `value` is what the guest gets; for writes, what it
/// wrote.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Access {
    /// The device model that answered (a [`Window`] name), or `absent`.
    pub device: &'static str,
    /// The register's datasheet name, `reserved` or `-` (absent).
    pub register: &'static str,
    /// The value read or written.
    pub value: u64,
}

/// One 32-bit register access as a device model answers it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reg {
    /// The register's name, exactly as the datasheet spells it.
    pub name: &'static str,
    /// The value read (or written).
    pub value: u32,
}

/// A device model: a block of 32-bit registers at word offsets from its base.
pub trait Device {
    /// Read the register at `offset` (a multiple of 4 inside the block).
    fn read(&mut self, offset: u32, env: &mut dyn VmEnv) -> Reg;
    /// Write `value` to the register at `offset`; returns the register's name.
    fn write(&mut self, offset: u32, value: u32, env: &mut dyn VmEnv) -> &'static str;
}
// ANCHOR_END: device

/// The name of an offset inside a model's block that is no register.
pub const RESERVED: &str = "reserved";
/// The device name of an address no model decodes.
pub const ABSENT: &str = "absent";
/// The register name of an absent address.
const NO_REGISTER: &str = "-";

/// Bits in a byte, for lane arithmetic.
const BITS_PER_BYTE: u32 = 8;
/// Bytes in a 32-bit register.
const WORD_BYTES: u64 = 4;
/// Mask that takes an address down to its 32-bit word.
const WORD_ALIGN: u64 = !(WORD_BYTES - 1);
/// Bits in a 32-bit register (the high word of a 64-bit access).
const WORD_BITS: u32 = 32;

/// End of the ARM local peripherals window the VM sees (exclusive): the
/// QA7 block is 0x100 bytes, but the BCM2836 decodes 256 KiB for it.
pub const LOCAL_WINDOW_END: u64 = LOCAL_PERIPHERAL_BASE.as_u64() + 0x4_0000;

/// Declares a model's register offsets as consts named exactly as in the
/// datasheet, and `register_name`, which gives those names back for tracing
/// (`RESERVED` for any other offset).
macro_rules! register_offsets {
    ($( $(#[$meta:meta])* $name:ident = $offset:expr ),* $(,)?) => {
        $(
            $(#[$meta])*
            const $name: u32 = $offset;
        )*

        /// The datasheet name of the register at `offset`.
        fn register_name(offset: u32) -> &'static str {
            match offset {
                $( $name => stringify!($name), )*
                _ => $crate::emu::RESERVED,
            }
        }
    };
}
pub(crate) use register_offsets;

// ANCHOR: dispatch_table
/// Which model answers a window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum DeviceId {
    SystemTimer,
    IrqController,
    Mailbox,
    Watchdog,
    Gpio,
    SdHost,
    Aux,
    Emmc,
    Usb,
    LocalIntc,
    Cprman,
    Dma,
    // LAB 3: BEGIN SOLUTION
    Rng,
    // LAB 3: END SOLUTION
}

/// A device model's place in the VM's physical address space.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    /// The model's name, as `vmtrace` prints it.
    pub name: &'static str,
    /// First IPA of its register block.
    pub base: u64,
    /// Bytes of registers from `base`.
    pub size: u64,
    device: DeviceId,
}

/// Every emulated device, by address: the virtual board's memory map.
pub const DEVICE_MAP: &[Window] = &[
    Window {
        name: "system_timer",
        base: system_timer::BASE,
        size: system_timer::SIZE,
        device: DeviceId::SystemTimer,
    },
    Window {
        name: "irq_controller",
        base: irq_controller::BASE,
        size: irq_controller::SIZE,
        device: DeviceId::IrqController,
    },
    Window {
        name: "mailbox",
        base: mailbox::BASE,
        size: mailbox::SIZE,
        device: DeviceId::Mailbox,
    },
    Window {
        name: "dma",
        base: dma::BASE,
        size: dma::SIZE,
        device: DeviceId::Dma,
    },
    Window {
        name: "cprman",
        base: cprman::BASE,
        size: cprman::SIZE,
        device: DeviceId::Cprman,
    },
    Window {
        name: "watchdog",
        base: watchdog::BASE,
        size: watchdog::SIZE,
        device: DeviceId::Watchdog,
    },
    Window {
        name: "gpio",
        base: gpio::BASE,
        size: gpio::SIZE,
        device: DeviceId::Gpio,
    },
    Window {
        name: "sdhost",
        base: sdhost::BASE,
        size: sdhost::SIZE,
        device: DeviceId::SdHost,
    },
    Window {
        name: "aux",
        base: aux::BASE,
        size: aux::SIZE,
        device: DeviceId::Aux,
    },
    Window {
        name: "emmc",
        base: emmc::BASE,
        size: emmc::SIZE,
        device: DeviceId::Emmc,
    },
    Window {
        name: "usb",
        base: usb::BASE,
        size: usb::SIZE,
        device: DeviceId::Usb,
    },
    Window {
        name: "local_intc",
        base: local_intc::BASE,
        size: local_intc::SIZE,
        device: DeviceId::LocalIntc,
    },
    // LAB 3: BEGIN SOLUTION
    Window {
        name: "rng",
        base: rng::BASE,
        size: rng::SIZE,
        device: DeviceId::Rng,
    },
    // LAB 3: END SOLUTION
];

/// The window holding `ipa`, if a model decodes it.
pub fn window_of(ipa: u64) -> Option<&'static Window> {
    DEVICE_MAP
        .iter()
        .find(|w| ipa >= w.base && ipa - w.base < w.size)
}
// ANCHOR_END: dispatch_table

/// The ARM basic interrupt the VideoCore mailbox raises ("ARM Mailbox IRQ",
/// bit 1 of IRQ_BASIC_PENDING).
const ARM_IRQ_MAILBOX: u32 = raspi3b::irq::BASIC_ARM_MAILBOX;

/// How many counters `vmstat` shows: one per window, and `absent`.
pub const COUNTED: usize = DEVICE_MAP.len() + 1;

/// One VM's virtual Raspberry Pi 3 peripherals.
pub struct VirtualBoard {
    // LAB 2: BEGIN SOLUTION
    /// MMIO accesses per window of [`DEVICE_MAP`], then absent ones.
    counts: [u64; COUNTED],
    // LAB 2: END SOLUTION
    system_timer: SystemTimer,
    irq_controller: IrqController,
    mailbox: Mailbox,
    watchdog: Watchdog,
    gpio: Gpio,
    sdhost: SdHost,
    aux: Aux,
    emmc: Emmc,
    usb: Usb,
    local_intc: LocalIntc,
    cprman: Cprman,
    dma: Dma,
    // LAB 3: BEGIN SOLUTION
    rng: rng::Rng,
    // LAB 3: END SOLUTION
}

impl VirtualBoard {
    /// The board at power-on (see the module documentation).
    pub const fn new() -> Self {
        Self {
            // LAB 2: BEGIN SOLUTION
            counts: [0; COUNTED],
            // LAB 2: END SOLUTION
            system_timer: SystemTimer::new(),
            irq_controller: IrqController::new(),
            mailbox: Mailbox::new(),
            watchdog: Watchdog::new(),
            gpio: Gpio::new(),
            sdhost: SdHost::new(),
            aux: Aux::new(),
            emmc: Emmc::new(),
            usb: Usb::new(),
            local_intc: LocalIntc::new(),
            cprman: Cprman::new(),
            dma: Dma::new(),
            // LAB 3: BEGIN SOLUTION
            rng: rng::Rng::new(),
            // LAB 3: END SOLUTION
        }
    }

    /// Back to the power-on state, as after a guest's watchdog reset. Only
    /// PM_RSTS survives, as on the hardware (the firmware reads it after a
    /// reset to learn the boot partition or a halt request).
    pub fn reset(&mut self) {
        let watchdog = self.watchdog.after_reset();
        *self = Self::new();
        self.watchdog = watchdog;
    }

    /// Whether `ipa` is in an emulated window: the BCM2837 peripherals
    /// `0x3F00_0000..0x4000_0000` or the ARM local peripherals
    /// `0x4000_0000..0x4004_0000`.
    pub fn claims(ipa: u64) -> bool {
        (PERIPHERAL_BASE.as_u64()..PERIPHERAL_END.as_u64()).contains(&ipa)
            || (LOCAL_PERIPHERAL_BASE.as_u64()..LOCAL_WINDOW_END).contains(&ipa)
    }

    // LAB 2: BEGIN SOLUTION
    /// The names `vmstat` prints: every window's, then `absent`.
    pub fn counted_devices() -> [&'static str; COUNTED] {
        let mut names = [ABSENT; COUNTED];
        for (name, window) in names.iter_mut().zip(DEVICE_MAP) {
            *name = window.name;
        }
        names
    }

    /// The accesses counted for each of [`VirtualBoard::counted_devices`].
    pub fn access_counts(&self) -> &[u64; COUNTED] {
        &self.counts
    }

    /// Count one guest access at `ipa`, for the window that decodes it.
    fn count(&mut self, ipa: u64) {
        let slot = DEVICE_MAP
            .iter()
            .position(|w| ipa >= w.base && ipa - w.base < w.size)
            .unwrap_or(DEVICE_MAP.len());
        self.counts[slot] += 1;
    }

    /// The counter of the AUX window, found when the hypervisor is built:
    /// the trap fast path counts there without searching the map.
    const AUX_COUNTER: usize = {
        let mut slot = 0;
        while slot < DEVICE_MAP.len()
            && !(aux::BASE >= DEVICE_MAP[slot].base
                && aux::BASE - DEVICE_MAP[slot].base < DEVICE_MAP[slot].size)
        {
            slot += 1;
        }
        slot
    };
    // LAB 2: END SOLUTION

    // ANCHOR: board_access
    /// Emulate a load. `None` if `ipa` is not in a window (the caller then
    /// stops the VM with a fault).
    pub fn read(&mut self, ipa: u64, size: AccessSize, env: &mut dyn VmEnv) -> Option<Access> {
        if !Self::claims(ipa) {
            return None;
        }
        let vtimer = env.virtual_timer_irq();
        self.wire(env, vtimer);
        // LAB 2: BEGIN SOLUTION
        self.count(ipa);
        // LAB 2: END SOLUTION
        let word = ipa & WORD_ALIGN;
        let (device, reg) = self.read_word(word, env);
        let value = if size == AccessSize::Double {
            let (_, high) = self.read_word(word + WORD_BYTES, env);
            u64::from(reg.value) | u64::from(high.value) << WORD_BITS
        } else {
            (u64::from(reg.value) >> lane_shift(ipa)) & size.mask()
        };
        Some(Access {
            device,
            register: reg.name,
            value,
        })
    }

    /// Emulate a store. `None` if `ipa` is not in a window.
    pub fn write(
        &mut self,
        ipa: u64,
        size: AccessSize,
        value: u64,
        env: &mut dyn VmEnv,
    ) -> Option<Access> {
        if !Self::claims(ipa) {
            return None;
        }
        let vtimer = env.virtual_timer_irq();
        self.wire(env, vtimer);
        // LAB 2: BEGIN SOLUTION
        self.count(ipa);
        // LAB 2: END SOLUTION
        let value = value & size.mask();
        let word = ipa & WORD_ALIGN;
        let (device, register) = if size == AccessSize::Double {
            let first = self.write_word(word, value as u32, env);
            self.write_word(word + WORD_BYTES, (value >> WORD_BITS) as u32, env);
            first
        } else {
            self.write_word(word, (value << lane_shift(ipa)) as u32, env)
        };
        Some(Access {
            device,
            register,
            value,
        })
    }

    /// One 32-bit read at a word address: the device name and its answer.
    fn read_word(&mut self, ipa: u64, env: &mut dyn VmEnv) -> (&'static str, Reg) {
        let Some(window) = window_of(ipa) else {
            let absent = Reg {
                name: NO_REGISTER,
                value: 0,
            };
            return (ABSENT, absent);
        };
        let offset = (ipa - window.base) as u32;
        (window.name, self.device(window.device).read(offset, env))
    }

    /// One 32-bit write at a word address: the device and register names.
    fn write_word(
        &mut self,
        ipa: u64,
        value: u32,
        env: &mut dyn VmEnv,
    ) -> (&'static str, &'static str) {
        let Some(window) = window_of(ipa) else {
            return (ABSENT, NO_REGISTER);
        };
        let offset = (ipa - window.base) as u32;
        let register = self.device(window.device).write(offset, value, env);
        (window.name, register)
    }

    /// The model behind a window.
    fn device(&mut self, id: DeviceId) -> &mut dyn Device {
        match id {
            DeviceId::SystemTimer => &mut self.system_timer,
            DeviceId::IrqController => &mut self.irq_controller,
            DeviceId::Mailbox => &mut self.mailbox,
            DeviceId::Watchdog => &mut self.watchdog,
            DeviceId::Gpio => &mut self.gpio,
            DeviceId::SdHost => &mut self.sdhost,
            DeviceId::Aux => &mut self.aux,
            DeviceId::Emmc => &mut self.emmc,
            DeviceId::Usb => &mut self.usb,
            DeviceId::LocalIntc => &mut self.local_intc,
            DeviceId::Cprman => &mut self.cprman,
            DeviceId::Dma => &mut self.dma,
            // LAB 3: BEGIN SOLUTION
            DeviceId::Rng => &mut self.rng,
            // LAB 3: END SOLUTION
        }
    }
    // ANCHOR_END: board_access

    // ANCHOR: irq_lines
    /// Bring time-driven state up to date and propagate every interrupt
    /// line: peripherals into the BCM2835 controller, its IRQ/FIQ outputs
    /// and the core timers into the local controller.
    fn wire(&mut self, env: &mut dyn VmEnv, vtimer: bool) {
        self.system_timer.update(env);
        self.watchdog.update(env);
        let mut gpu = u64::from(self.system_timer.match_lines());
        if self.aux.interrupt(env) {
            gpu |= 1 << IRQ_AUX;
        }
        let arm = u32::from(self.mailbox.interrupt()) << ARM_IRQ_MAILBOX;
        self.irq_controller.set_lines(PeripheralLines { gpu, arm });
        self.local_intc.set_inputs(LocalInputs {
            cntv: vtimer,
            cntpns: false,
            gpu_irq: self.irq_controller.irq(),
            gpu_fiq: self.irq_controller.fiq(),
        });
    }

    /// The level of the VM's IRQ line (-> HCR_EL2.VI), given whether the
    /// VM's virtual generic timer condition is met (ENABLE && !IMASK &&
    /// ISTATUS). The CNTPNS input is held low for now.
    pub fn irq_line(&mut self, env: &mut dyn VmEnv, vtimer: bool) -> bool {
        self.wire(env, vtimer);
        self.local_intc.irq(local_intc::VCPU_CORE)
    }

    /// The level of the VM's FIQ line (-> HCR_EL2.VF); see [`Self::irq_line`].
    pub fn fiq_line(&mut self, env: &mut dyn VmEnv, vtimer: bool) -> bool {
        self.wire(env, vtimer);
        self.local_intc.fiq(local_intc::VCPU_CORE)
    }

    /// Both lines, (IRQ, FIQ), bringing the board up to date once.
    pub fn lines(&mut self, env: &mut dyn VmEnv, vtimer: bool) -> (bool, bool) {
        self.wire(env, vtimer);
        (
            self.local_intc.irq(local_intc::VCPU_CORE),
            self.local_intc.fiq(local_intc::VCPU_CORE),
        )
    }
    // ANCHOR_END: irq_lines

    // ANCHOR: mini_uart_fast
    /// The trap fast path's way to the mini UART's data and status
    /// registers (AUX_MU_IO_REG, AUX_MU_LSR_REG, AUX_MU_STAT_REG,
    /// AUX_MU_IIR_REG and AUX_IRQ), the accesses a console driver makes for
    /// every byte: the access
    /// as [`Self::read`] / [`Self::write`] would do it, without bringing the
    /// rest of the board up to date (no other model depends on these
    /// registers, and none of them depends on the others' time-driven
    /// state): the value read or written, and whether the mini UART's
    /// interrupt output changed. If it
    /// did, the lines [`Self::wire`] last propagated are stale and the
    /// caller must compute them again before the guest runs.
    ///
    /// `None`, having done nothing, for any other address, a 64-bit access
    /// or one that is not to the whole register.
    pub fn mini_uart_access(
        &mut self,
        ipa: u64,
        size: AccessSize,
        write: Option<u64>,
        env: &mut dyn VmEnv,
    ) -> Option<(u64, bool)> {
        let offset = u32::try_from(ipa.checked_sub(aux::BASE)?).ok()?;
        if size != AccessSize::Word {
            return None;
        }
        // (`console_access` refuses any other register, having done nothing.)
        // The interrupt output is looked at only around an access that may
        // move it: a transmitted byte or a status read cannot.
        let may_change = self.aux.may_change_interrupt(offset, write.is_some());
        let before = may_change && self.aux.interrupt(env);
        let value = self
            .aux
            .console_access(offset, write.map(|v| v as u32), env)?;
        // LAB 2: BEGIN SOLUTION
        self.counts[Self::AUX_COUNTER] += 1;
        // LAB 2: END SOLUTION
        let changed = may_change && self.aux.interrupt(env) != before;
        Some((u64::from(value), changed))
    }
    // ANCHOR_END: mini_uart_fast

    // ANCHOR: console_shadow
    /// What the trap fast path's shadow of the mini UART's page
    /// ([`aux::Aux::shadow`]) must be before the guest runs again.
    pub fn console_shadow(&mut self, env: &mut dyn VmEnv) -> ConsoleShadow {
        if !self.aux.shadow_stale(env) {
            // Still what the page reads, unless input made a read matter.
            return if self.aux.shadow_possible(env) {
                ConsoleShadow::Unchanged
            } else {
                ConsoleShadow::Trap
            };
        }
        match self.aux.shadow(env) {
            Some(words) => ConsoleShadow::New(words),
            None => ConsoleShadow::Trap,
        }
    }

    /// Whether a register of the mini UART's page may read differently
    /// since [`Self::console_shadow`] last looked (a write, or the
    /// console's room changed).
    pub fn console_shadow_stale(&self, env: &dyn VmEnv) -> bool {
        self.aux.shadow_stale(env)
    }

    /// Whether [`Self::console_shadow`] would let the shadow stand in now:
    /// no read of the page has a side effect (nothing waits to be received).
    pub fn console_shadow_possible(&self, env: &dyn VmEnv) -> bool {
        self.aux.shadow_possible(env)
    }
    // ANCHOR_END: console_shadow

    // ANCHOR: next_deadline
    /// The virtual counter value at which a device will next raise an
    /// interrupt or act by itself (a system timer compare, the watchdog), so
    /// the scheduler can wake a sleeping VM then; `None` if nothing is armed.
    /// The value may be in the past: the event is due, wake the VM now. A
    /// compare counts whether or not the guest enabled its interrupt: waking
    /// a VM for nothing costs one look at [`Self::irq_line`], missing a
    /// wake-up would hang it.
    pub fn next_deadline(&self, env: &dyn VmEnv) -> Option<u64> {
        [
            self.system_timer.next_deadline(env),
            self.watchdog.deadline(env),
            self.aux.transmit_deadline(env),
        ]
        .into_iter()
        .flatten()
        .min()
    }
    // ANCHOR_END: next_deadline

    /// Whether the guest asked for a reset (PM watchdog) since the last
    /// call; clears the request. The watchdog is checked on every access and
    /// in [`Self::irq_line`], so call this after those.
    pub fn take_reset_request(&mut self) -> bool {
        self.watchdog.take_reset_request()
    }

    /// Whether a watchdog reset now halts the board instead (PM_RSTS
    /// partition 63, how Linux powers a Pi off).
    pub fn halt_on_reset(&self) -> bool {
        self.watchdog.halt_on_reset()
    }
}

/// What [`VirtualBoard::console_shadow`] says of the mini UART's page.
// The words travel by value from the board to the CPU once per slow exit
// at most: no heap in the hypervisor, and a copy of 256 bytes is cheap.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsoleShadow {
    /// A read may have a side effect (a received byte is ready): every
    /// access must trap.
    Trap,
    /// The shadow may stand in for the page, and holds what it reads.
    Unchanged,
    /// The shadow may stand in for the page once it holds these words.
    New([u32; aux::SHADOW_WORDS]),
}

impl Default for VirtualBoard {
    fn default() -> Self {
        Self::new()
    }
}

/// How far the byte addressed by `ipa` is from bit 0 of its word.
fn lane_shift(ipa: u64) -> u64 {
    (ipa & (WORD_BYTES - 1)) * u64::from(BITS_PER_BYTE)
}

/// Counter ticks to `units` per second, rounded down: how many whole units
/// have passed after `ticks`. A zero frequency counts as no time passing.
pub(crate) fn ticks_to_units(ticks: u64, freq: u64, units_per_second: u64) -> u64 {
    if freq == 0 {
        return 0;
    }
    (u128::from(ticks) * u128::from(units_per_second) / u128::from(freq)) as u64
}

/// The first counter value at which `units` (per second) have passed: the
/// inverse of [`ticks_to_units`], rounded up, saturating. With a zero
/// frequency time never passes, so that is never (`u64::MAX`).
pub(crate) fn units_to_ticks(units: u64, freq: u64, units_per_second: u64) -> u64 {
    if freq == 0 {
        return u64::MAX;
    }
    let ticks = (u128::from(units) * u128::from(freq)).div_ceil(u128::from(units_per_second));
    u64::try_from(ticks).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::test_env::{FakeEnv, Op};
    use super::*;
    use proptest::prelude::*;

    const AUX_MU_IO: u64 = aux::BASE + 0x40;
    const AUX_MU_IER: u64 = aux::BASE + 0x44;
    const AUX_MU_LSR: u64 = aux::BASE + 0x54;
    const ENABLE_IRQS_1: u64 = irq_controller::BASE + 0x10;
    const IRQ_PENDING_1: u64 = irq_controller::BASE + 0x04;
    const IRQ_BASIC_PENDING: u64 = irq_controller::BASE;
    const CORE0_TIMERS_INTERRUPT_CONTROL: u64 = local_intc::BASE + 0x40;
    const CORE0_IRQ_SOURCE: u64 = local_intc::BASE + 0x60;
    const CS: u64 = system_timer::BASE;
    const CLO: u64 = system_timer::BASE + 0x04;
    const C1: u64 = system_timer::BASE + 0x10;
    const PM_RSTC: u64 = watchdog::BASE + 0x1c;
    const PM_WDOG: u64 = watchdog::BASE + 0x24;

    fn read32(board: &mut VirtualBoard, env: &mut FakeEnv, ipa: u64) -> u32 {
        board.read(ipa, AccessSize::Word, env).unwrap().value as u32
    }

    fn write32(board: &mut VirtualBoard, env: &mut FakeEnv, ipa: u64, value: u32) {
        board
            .write(ipa, AccessSize::Word, value.into(), env)
            .unwrap();
    }

    #[test]
    fn sizes() {
        assert_eq!(AccessSize::Byte.bytes(), 1);
        assert_eq!(AccessSize::Half.bytes(), 2);
        assert_eq!(AccessSize::Word.bytes(), 4);
        assert_eq!(AccessSize::Double.bytes(), 8);
        assert_eq!(AccessSize::Half.mask(), 0xffff);
        assert_eq!(AccessSize::Double.mask(), u64::MAX);
    }

    #[test]
    fn windows_do_not_overlap_and_lie_inside_the_claimed_ranges() {
        for (i, a) in DEVICE_MAP.iter().enumerate() {
            assert!(VirtualBoard::claims(a.base));
            assert!(VirtualBoard::claims(a.base + a.size - 1));
            for b in &DEVICE_MAP[i + 1..] {
                assert!(a.base + a.size <= b.base || b.base + b.size <= a.base);
            }
        }
    }

    #[test]
    fn claims_exactly_the_two_windows() {
        assert!(!VirtualBoard::claims(0x3eff_fffc));
        assert!(VirtualBoard::claims(0x3f00_0000));
        assert!(VirtualBoard::claims(0x3fff_fffc));
        assert!(VirtualBoard::claims(0x4000_0000));
        assert!(VirtualBoard::claims(0x4003_fffc));
        assert!(!VirtualBoard::claims(0x4004_0000));
        let mut board = VirtualBoard::new();
        let mut env = FakeEnv::new();
        assert_eq!(board.read(0x1000, AccessSize::Word, &mut env), None);
        assert_eq!(
            board.write(0x4004_0000, AccessSize::Word, 1, &mut env),
            None
        );
    }

    #[test]
    fn an_absent_device_reads_zero_and_ignores_writes() {
        let mut board = VirtualBoard::new();
        let mut env = FakeEnv::new();
        const PL011_DR: u64 = 0x3f20_1000;
        let access = board
            .write(PL011_DR, AccessSize::Word, 0x41, &mut env)
            .unwrap();
        assert_eq!((access.device, access.register), (ABSENT, "-"));
        let access = board.read(PL011_DR, AccessSize::Word, &mut env).unwrap();
        assert_eq!(
            access,
            Access {
                device: ABSENT,
                register: "-",
                value: 0
            }
        );
        assert!(env.output.is_empty());
    }

    #[test]
    fn accesses_are_named_for_tracing() {
        let mut board = VirtualBoard::new();
        let mut env = FakeEnv::new();
        let access = board
            .write(AUX_MU_IO, AccessSize::Word, 0x68, &mut env)
            .unwrap();
        assert_eq!(
            access,
            Access {
                device: "aux",
                register: "AUX_MU_IO_REG",
                value: 0x68
            }
        );
        assert_eq!(env.output, b"h");
        let access = board.read(AUX_MU_LSR, AccessSize::Word, &mut env).unwrap();
        assert_eq!((access.device, access.register), ("aux", "AUX_MU_LSR_REG"));
    }

    #[test]
    fn sub_word_reads_return_their_byte_lanes() {
        let mut board = VirtualBoard::new();
        let mut env = FakeEnv::new();
        env.set_micros(0x1122_3344);
        assert_eq!(read32(&mut board, &mut env, CLO), 0x1122_3344);
        let byte = |board: &mut VirtualBoard, env: &mut FakeEnv, at| {
            board.read(at, AccessSize::Byte, env).unwrap().value
        };
        assert_eq!(byte(&mut board, &mut env, CLO), 0x44);
        assert_eq!(byte(&mut board, &mut env, CLO + 3), 0x11);
        let half = board.read(CLO + 2, AccessSize::Half, &mut env).unwrap();
        assert_eq!(half.value, 0x1122);
        assert_eq!(half.register, "CLO");
    }

    #[test]
    fn byte_stores_write_their_lane() {
        let mut board = VirtualBoard::new();
        let mut env = FakeEnv::new();
        board
            .write(AUX_MU_IO, AccessSize::Byte, 0x7a, &mut env)
            .unwrap();
        assert_eq!(env.output, b"z");
        // A byte store to the second lane of C1 puts it in bits 15:8.
        board
            .write(C1 + 1, AccessSize::Byte, 0xab, &mut env)
            .unwrap();
        assert_eq!(read32(&mut board, &mut env, C1), 0xab00);
    }

    #[test]
    fn double_accesses_are_two_words() {
        let mut board = VirtualBoard::new();
        let mut env = FakeEnv::new();
        env.set_micros(0x0000_0007_89ab_cdef);
        let access = board.read(CLO, AccessSize::Double, &mut env).unwrap();
        assert_eq!(access.value, 0x0000_0007_89ab_cdef);
        assert_eq!(access.register, "CLO");
        board
            .write(C1, AccessSize::Double, 0x2222_2222_1111_1111, &mut env)
            .unwrap();
        assert_eq!(read32(&mut board, &mut env, C1), 0x1111_1111);
        assert_eq!(read32(&mut board, &mut env, C1 + 4), 0x2222_2222);
    }

    // ANCHOR: uart_irq_test
    #[test]
    fn a_typed_byte_raises_the_irq_through_both_controllers() {
        let mut board = VirtualBoard::new();
        let mut env = FakeEnv::new();
        const ENABLE_RECEIVE_INTERRUPT: u32 = 1;
        const GPU_INTERRUPT: u32 = 1 << 8;
        write32(&mut board, &mut env, AUX_MU_IER, ENABLE_RECEIVE_INTERRUPT);
        write32(&mut board, &mut env, ENABLE_IRQS_1, 1 << IRQ_AUX);
        assert!(!board.irq_line(&mut env, false), "nothing typed yet");

        env.type_bytes(b"x");
        assert!(board.irq_line(&mut env, false));
        assert!(!board.fiq_line(&mut env, false));
        assert_eq!(read32(&mut board, &mut env, IRQ_PENDING_1), 1 << IRQ_AUX);
        assert_eq!(read32(&mut board, &mut env, IRQ_BASIC_PENDING), 1 << 8);
        assert_eq!(
            read32(&mut board, &mut env, CORE0_IRQ_SOURCE),
            GPU_INTERRUPT
        );

        assert_eq!(read32(&mut board, &mut env, AUX_MU_IO), u32::from(b'x'));
        assert!(!board.irq_line(&mut env, false), "the FIFO is drained");
    }
    // ANCHOR_END: uart_irq_test

    #[test]
    fn the_virtual_timer_reaches_the_irq_line_when_enabled() {
        let mut board = VirtualBoard::new();
        let mut env = FakeEnv::new();
        const CNTVIRQ: u32 = 1 << 3;
        assert!(!board.irq_line(&mut env, true), "CNTVIRQ not enabled");
        write32(
            &mut board,
            &mut env,
            CORE0_TIMERS_INTERRUPT_CONTROL,
            CNTVIRQ,
        );
        assert!(board.irq_line(&mut env, true));
        assert!(!board.irq_line(&mut env, false));
        env.vtimer = true;
        assert_eq!(read32(&mut board, &mut env, CORE0_IRQ_SOURCE), CNTVIRQ);
    }

    #[test]
    fn system_timer_deadline_wakes_and_raises() {
        let mut board = VirtualBoard::new();
        let mut env = FakeEnv::new();
        const M1: u32 = 1 << 1;
        assert_eq!(board.next_deadline(&env), None);
        write32(&mut board, &mut env, ENABLE_IRQS_1, M1);
        let now = read32(&mut board, &mut env, CLO);
        write32(&mut board, &mut env, C1, now + 1000);
        let deadline = board.next_deadline(&env).unwrap();
        assert_eq!(deadline, env.ticks_at_micros(u64::from(now) + 1000));
        env.now = deadline - 1;
        assert!(!board.irq_line(&mut env, false));
        env.now = deadline;
        assert!(board.irq_line(&mut env, false));
        assert_eq!(read32(&mut board, &mut env, CS), M1);
        assert_eq!(
            board.next_deadline(&env),
            None,
            "matched, nothing to wait for"
        );
        write32(&mut board, &mut env, CS, M1);
        assert!(!board.irq_line(&mut env, false));
    }

    #[test]
    fn watchdog_reset_is_requested_after_the_timeout() {
        let mut board = VirtualBoard::new();
        let mut env = FakeEnv::new();
        const PASSWORD: u32 = 0x5a00_0000;
        const FULL_RESET: u32 = 0x20;
        const TEN_TICKS: u32 = 10;
        write32(&mut board, &mut env, PM_WDOG, PASSWORD | TEN_TICKS);
        write32(&mut board, &mut env, PM_RSTC, PASSWORD | FULL_RESET);
        assert!(!board.take_reset_request());
        let deadline = board.next_deadline(&env).unwrap();
        env.now = deadline;
        read32(&mut board, &mut env, AUX_MU_LSR);
        assert!(board.take_reset_request());
        assert!(!board.take_reset_request(), "the request is taken once");
        board.reset();
        assert_eq!(board.next_deadline(&env), None);
    }

    #[test]
    fn the_storage_and_usb_controllers_answer_as_empty() {
        let mut board = VirtualBoard::new();
        let mut env = FakeEnv::new();
        const SDCMD: u64 = sdhost::BASE;
        const SDHSTS: u64 = sdhost::BASE + 0x20;
        const EMMC_STATUS: u64 = emmc::BASE + 0x24;
        const GSNPSID: u64 = usb::BASE + 0x40;
        const HPRT0: u64 = usb::BASE + 0x440;
        const NEW_FLAG: u32 = 1 << 15;
        const SEND_IF_COND: u32 = 8;
        write32(&mut board, &mut env, SDCMD, NEW_FLAG | SEND_IF_COND);
        let sdcmd = board.read(SDCMD, AccessSize::Word, &mut env).unwrap();
        assert_eq!((sdcmd.device, sdcmd.register), ("sdhost", "SDCMD"));
        assert_eq!(sdcmd.value & u64::from(NEW_FLAG), 0, "done at once");
        assert_ne!(read32(&mut board, &mut env, SDHSTS), 0, "timed out");
        let status = board.read(EMMC_STATUS, AccessSize::Word, &mut env).unwrap();
        assert_eq!((status.device, status.register), ("emmc", "STATUS"));
        assert_eq!(status.value & 1 << 16, 0, "no card inserted");
        let id = board.read(GSNPSID, AccessSize::Word, &mut env).unwrap();
        assert_eq!(
            (id.device, id.register, id.value),
            ("usb", "GSNPSID", 0x4f54_280a)
        );
        assert_eq!(
            read32(&mut board, &mut env, HPRT0) & 1,
            0,
            "nothing connected"
        );
        board.reset();
        assert_eq!(
            read32(&mut board, &mut env, SDHSTS),
            0,
            "reset clears the flag"
        );
    }

    #[test]
    fn reset_returns_to_power_on() {
        let mut board = VirtualBoard::new();
        let mut env = FakeEnv::new();
        write32(&mut board, &mut env, C1, 1234);
        write32(&mut board, &mut env, ENABLE_IRQS_1, 0xffff_ffff);
        board.reset();
        assert_eq!(read32(&mut board, &mut env, C1), 0);
        assert_eq!(read32(&mut board, &mut env, ENABLE_IRQS_1), 0);
    }

    #[test]
    fn unit_conversions_round_trip() {
        for freq in [1, 19_200_000, 62_500_000, 1_000_000, 54_000_000] {
            for units in [0, 1, 7, 999_999, 1 << 40] {
                let ticks = units_to_ticks(units, freq, 1_000_000);
                assert!(ticks_to_units(ticks, freq, 1_000_000) >= units);
                if ticks > 0 {
                    assert!(ticks_to_units(ticks - 1, freq, 1_000_000) < units);
                }
            }
        }
        assert_eq!(ticks_to_units(5, 0, 1_000_000), 0);
    }

    fn board_op() -> impl Strategy<Value = (u64, AccessSize, Op)> {
        let ipa = prop_oneof![
            // Anywhere in the windows, and just outside them.
            (0x3eff_fff0u64..0x4004_0010),
            // Weighted towards the devices' registers.
            proptest::sample::select(DEVICE_MAP).prop_flat_map(|w| w.base..w.base + w.size),
        ];
        let size = prop_oneof![
            Just(AccessSize::Byte),
            Just(AccessSize::Half),
            Just(AccessSize::Word),
            Just(AccessSize::Double),
        ];
        (ipa, size, test_env::op_strategy(0x100))
    }

    proptest! {
        #[test]
        fn the_board_never_panics(
            ops in proptest::collection::vec(board_op(), 0..200),
            freq in prop_oneof![Just(62_500_000u64), Just(19_200_000), Just(1), Just(0)],
        ) {
            let mut board = VirtualBoard::new();
            let mut env = FakeEnv::new();
            env.freq = freq;
            for (ipa, size, op) in ops {
                env.apply_time(&op);
                let inside = VirtualBoard::claims(ipa);
                let result = if op.write {
                    board.write(ipa, size, u64::from(op.value) * 0x1_0000_0001, &mut env)
                } else {
                    board.read(ipa, size, &mut env)
                };
                prop_assert_eq!(result.is_some(), inside);
                if let Some(access) = result {
                    prop_assert!(access.value & !size.mask() == 0);
                }
                board.irq_line(&mut env, op.vtimer);
                board.fiq_line(&mut env, op.vtimer);
                if let Some(deadline) = board.next_deadline(&env) {
                    // A deadline is a counter value; it can be any u64 but
                    // computing it must not panic.
                    let _ = deadline;
                }
                if board.take_reset_request() {
                    board.reset();
                }
            }
        }
    }
}
