//! GPIO (BCM2835 ARM Peripherals, chapter 6): 54 pins' functions, output
//! levels, pulls and event-detect settings, as a faithful register file.
//! Nothing is wired to the pins and no GPIO interrupt is raised.
//!
//! - GPFSEL0-5 hold each pin's function (3 bits a pin). At power-on GPIO14
//!   and GPIO15 are on ALT5 (TXD1/RXD1, the mini UART) as the firmware
//!   leaves them with `enable_uart=1`; every other pin is an input.
//! - GPSET0/1 and GPCLR0/1 (write-only, read 0) set and clear the output
//!   latch of each pin, whatever its function: "if the pin is subsequently
//!   defined as an output then the bit will be set according to the last
//!   set/clear operation".
//! - GPLEV0/1: an output pin reads its latch; any other pin (input or
//!   alternate function) reads what its pull resistor makes of a pin
//!   nothing drives: 1 if pulled up, else 0.
//! - GPPUD/GPPUDCLK0/1: each pin's pull is latched from GPPUD's control
//!   when its clock bit goes from 0 to 1, as in the datasheet's sequence
//!   (write GPPUD, clock the pins, remove both). The pulls at power-on are
//!   the datasheet's "Pull" column of the alternative function table:
//!   GPIO0-8, 34-36 and 46-53 high; 9-27, 30-33 and 37-43 low; 28, 29, 44
//!   and 45 none.
//! - GPEDS0/1 are write-1-to-clear; since pins never change by themselves
//!   and output changes are not fed back into the edge detectors, no event
//!   is ever detected and they read 0. GPREN, GPFEN, GPHEN, GPLEN, GPAREN
//!   and GPAFEN keep what is written.

use super::{register_offsets, Device, Reg, VmEnv};
use crate::board::GPIO_BASE;
use core::mem::offset_of;
use raspi3b::gpio::{Registers as GpioRegisters, GPFSEL1, GPPUD};

/// The GPIO registers (bus address 0x7E20_0000).
pub const BASE: u64 = GPIO_BASE.as_u64();
/// Bytes of registers: GPFSEL0 to Test.
pub const SIZE: u64 = 0xb4;

register_offsets! {
    /// GPIO Function Select 0.
    GPFSEL0 = offset_of!(GpioRegisters, GPFSEL0) as u32,
    /// GPIO Function Select 1.
    GPFSEL1 = offset_of!(GpioRegisters, GPFSEL1) as u32,
    /// GPIO Function Select 2.
    GPFSEL2 = offset_of!(GpioRegisters, GPFSEL2) as u32,
    /// GPIO Function Select 3.
    GPFSEL3 = offset_of!(GpioRegisters, GPFSEL3) as u32,
    /// GPIO Function Select 4.
    GPFSEL4 = offset_of!(GpioRegisters, GPFSEL4) as u32,
    /// GPIO Function Select 5.
    GPFSEL5 = offset_of!(GpioRegisters, GPFSEL5) as u32,
    /// GPIO Pin Output Set 0.
    GPSET0 = offset_of!(GpioRegisters, GPSET0) as u32,
    /// GPIO Pin Output Set 1.
    GPSET1 = offset_of!(GpioRegisters, GPSET1) as u32,
    /// GPIO Pin Output Clear 0.
    GPCLR0 = offset_of!(GpioRegisters, GPCLR0) as u32,
    /// GPIO Pin Output Clear 1.
    GPCLR1 = offset_of!(GpioRegisters, GPCLR1) as u32,
    /// GPIO Pin Level 0.
    GPLEV0 = offset_of!(GpioRegisters, GPLEV0) as u32,
    /// GPIO Pin Level 1.
    GPLEV1 = offset_of!(GpioRegisters, GPLEV1) as u32,
    /// GPIO Pin Event Detect Status 0.
    GPEDS0 = offset_of!(GpioRegisters, GPEDS0) as u32,
    /// GPIO Pin Event Detect Status 1.
    GPEDS1 = offset_of!(GpioRegisters, GPEDS1) as u32,
    /// GPIO Pin Rising Edge Detect Enable 0.
    GPREN0 = offset_of!(GpioRegisters, GPREN0) as u32,
    /// GPIO Pin Rising Edge Detect Enable 1.
    GPREN1 = offset_of!(GpioRegisters, GPREN1) as u32,
    /// GPIO Pin Falling Edge Detect Enable 0.
    GPFEN0 = offset_of!(GpioRegisters, GPFEN0) as u32,
    /// GPIO Pin Falling Edge Detect Enable 1.
    GPFEN1 = offset_of!(GpioRegisters, GPFEN1) as u32,
    /// GPIO Pin High Detect Enable 0.
    GPHEN0 = offset_of!(GpioRegisters, GPHEN0) as u32,
    /// GPIO Pin High Detect Enable 1.
    GPHEN1 = offset_of!(GpioRegisters, GPHEN1) as u32,
    /// GPIO Pin Low Detect Enable 0.
    GPLEN0 = offset_of!(GpioRegisters, GPLEN0) as u32,
    /// GPIO Pin Low Detect Enable 1.
    GPLEN1 = offset_of!(GpioRegisters, GPLEN1) as u32,
    /// GPIO Pin Async. Rising Edge Detect 0.
    GPAREN0 = offset_of!(GpioRegisters, GPAREN0) as u32,
    /// GPIO Pin Async. Rising Edge Detect 1.
    GPAREN1 = offset_of!(GpioRegisters, GPAREN1) as u32,
    /// GPIO Pin Async. Falling Edge Detect 0.
    GPAFEN0 = offset_of!(GpioRegisters, GPAFEN0) as u32,
    /// GPIO Pin Async. Falling Edge Detect 1.
    GPAFEN1 = offset_of!(GpioRegisters, GPAFEN1) as u32,
    /// GPIO Pin Pull-up/down Enable.
    GPPUD = offset_of!(GpioRegisters, GPPUD) as u32,
    /// GPIO Pin Pull-up/down Enable Clock 0.
    GPPUDCLK0 = offset_of!(GpioRegisters, GPPUDCLK0) as u32,
    /// GPIO Pin Pull-up/down Enable Clock 1.
    GPPUDCLK1 = offset_of!(GpioRegisters, GPPUDCLK1) as u32,
    /// Test.
    TEST = offset_of!(GpioRegisters, TEST) as u32,
}

/// GPIO pins.
pub const PINS: u32 = raspi3b::gpio::PINS;
/// Pins per function select register.
const PINS_PER_FSEL: u32 = 10;
/// Bits per pin in a function select register.
const FSEL_BITS: u32 = 3;
/// A pin's function field.
const FSEL_FIELD: u32 = (1 << FSEL_BITS) - 1;
/// The function select value of an output.
const FUNCTION_OUTPUT: u32 = 0b001;
/// Function select registers.
const FSEL_REGISTERS: usize = 6;
/// Pins per pin-bank register (GPSET0, GPLEV0, ...).
const PINS_PER_BANK: u32 = 32;
/// Pin banks: pins 0-31 and 32-53.
const BANKS: usize = 2;
/// Bytes per register.
const REGISTER_BYTES: u32 = 4;
/// The bits of GPPUD that hold state.
const GPPUD_MASK: u32 = 0b11;
/// The bits of the Test register.
const TEST_MASK: u32 = 0b1111;

/// A mask of pins `first..=last`.
const fn pins(first: u32, last: u32) -> u64 {
    ((1 << (last + 1)) - 1) & !((1 << first) - 1)
}
/// Every pin.
const ALL_PINS: u64 = pins(0, PINS - 1);
/// The pins pulled up at power-on (datasheet table 6-31, "Pull").
const PULL_UP_AT_RESET: u64 = pins(0, 8) | pins(34, 36) | pins(46, 53);
/// The pins pulled down at power-on.
const PULL_DOWN_AT_RESET: u64 = pins(9, 27) | pins(30, 33) | pins(37, 43);
/// GPFSEL1 as the firmware leaves it: GPIO14/15 on ALT5 for the mini UART.
const GPFSEL1_AT_BOOT: u32 = GPFSEL1::FSEL14::Alt5.value | GPFSEL1::FSEL15::Alt5.value;

/// The event-detect enable registers (first of each pair), a register file.
const DETECT_ENABLES: [u32; 6] = [GPREN0, GPFEN0, GPHEN0, GPLEN0, GPAREN0, GPAFEN0];

/// The GPIO block.
pub struct Gpio {
    /// GPFSEL0-5.
    fsel: [u32; FSEL_REGISTERS],
    /// The output latch, set by GPSET and cleared by GPCLR.
    output: u64,
    /// GPEDS0/1.
    events: u64,
    /// GPREN, GPFEN, GPHEN, GPLEN, GPAREN, GPAFEN (0/1 each).
    detect_enables: [u64; DETECT_ENABLES.len()],
    /// GPPUD.
    pud: u32,
    /// GPPUDCLK0/1.
    pudclk: u64,
    /// Pins with their pull-up on.
    pull_up: u64,
    /// Pins with their pull-down on.
    pull_down: u64,
    /// Test.
    test: u32,
}

/// If `offset` is one of the pair of bank registers starting at `first`:
/// which bank.
fn bank(offset: u32, first: u32) -> Option<usize> {
    let index = usize::try_from(offset.checked_sub(first)? / REGISTER_BYTES).ok()?;
    (offset.is_multiple_of(REGISTER_BYTES) && index < BANKS).then_some(index)
}

/// Bank `bank` of a 64-bit pin mask.
fn get_bank(pins: u64, bank: usize) -> u32 {
    ((pins & ALL_PINS) >> (bank as u32 * PINS_PER_BANK)) as u32
}

/// `pins` with bank `bank` replaced by `value`.
fn with_bank(pins: u64, bank: usize, value: u32) -> u64 {
    let shift = bank as u32 * PINS_PER_BANK;
    let lane = u64::from(u32::MAX) << shift;
    ((pins & !lane) | (u64::from(value) << shift)) & ALL_PINS
}

/// A 32-bit value as pins of bank `bank`.
fn bank_pins(bank: usize, value: u32) -> u64 {
    with_bank(0, bank, value)
}

impl Gpio {
    /// The GPIO block at power-on (after the firmware).
    pub const fn new() -> Self {
        let mut fsel = [0; FSEL_REGISTERS];
        fsel[1] = GPFSEL1_AT_BOOT;
        Self {
            fsel,
            output: 0,
            events: 0,
            detect_enables: [0; DETECT_ENABLES.len()],
            pud: 0,
            pudclk: 0,
            pull_up: PULL_UP_AT_RESET,
            pull_down: PULL_DOWN_AT_RESET,
            test: 0,
        }
    }

    /// The function select value of `pin`.
    pub fn function(&self, pin: u32) -> u32 {
        let register = self.fsel[(pin / PINS_PER_FSEL) as usize];
        (register >> ((pin % PINS_PER_FSEL) * FSEL_BITS)) & FSEL_FIELD
    }

    // ANCHOR: level
    /// GPLEV: outputs read their latch, other pins their pull.
    fn level(&self) -> u64 {
        let outputs = (0..PINS)
            .filter(|&pin| self.function(pin) == FUNCTION_OUTPUT)
            .fold(0u64, |mask, pin| mask | 1 << pin);
        (self.output & outputs) | (self.pull_up & !outputs)
    }

    /// Clock the GPPUD control into the pins whose clock bit rises.
    fn clock_pulls(&mut self, pudclk: u64) {
        let rising = pudclk & !self.pudclk;
        self.pudclk = pudclk;
        let (up, down) = match GPPUD::PUD.read(self.pud) {
            0b00 => (false, false),
            0b01 => (false, true),
            0b10 => (true, false),
            _ => return, // "Reserved": leave the pulls alone.
        };
        self.pull_up = if up {
            self.pull_up | rising
        } else {
            self.pull_up & !rising
        };
        self.pull_down = if down {
            self.pull_down | rising
        } else {
            self.pull_down & !rising
        };
    }
    // ANCHOR_END: level
}

impl Default for Gpio {
    fn default() -> Self {
        Self::new()
    }
}

/// The bits of GPFSELn that hold state: ten pins, or four in GPFSEL5.
fn fsel_mask(register: usize) -> u32 {
    let pins_here = (PINS - register as u32 * PINS_PER_FSEL).min(PINS_PER_FSEL);
    (1 << (pins_here * FSEL_BITS)) - 1
}

// ANCHOR: access
impl Device for Gpio {
    fn read(&mut self, offset: u32, _env: &mut dyn VmEnv) -> Reg {
        let value = if let Some(n) = fsel_register(offset) {
            self.fsel[n]
        } else if let Some(b) = bank(offset, GPLEV0) {
            get_bank(self.level(), b)
        } else if let Some(b) = bank(offset, GPEDS0) {
            get_bank(self.events, b)
        } else if let Some(b) = bank(offset, GPPUDCLK0) {
            get_bank(self.pudclk, b)
        } else if let Some((i, b)) = detect_enable(offset) {
            get_bank(self.detect_enables[i], b)
        } else {
            match offset {
                GPPUD => self.pud,
                TEST => self.test,
                // GPSET and GPCLR are write-only.
                _ => 0,
            }
        };
        Reg {
            name: register_name(offset),
            value,
        }
    }

    fn write(&mut self, offset: u32, value: u32, _env: &mut dyn VmEnv) -> &'static str {
        if let Some(n) = fsel_register(offset) {
            self.fsel[n] = value & fsel_mask(n);
        } else if let Some(b) = bank(offset, GPSET0) {
            self.output |= bank_pins(b, value);
        } else if let Some(b) = bank(offset, GPCLR0) {
            self.output &= !bank_pins(b, value);
        } else if let Some(b) = bank(offset, GPEDS0) {
            self.events &= !bank_pins(b, value);
        } else if let Some(b) = bank(offset, GPPUDCLK0) {
            self.clock_pulls(with_bank(self.pudclk, b, value));
        } else if let Some((i, b)) = detect_enable(offset) {
            self.detect_enables[i] = with_bank(self.detect_enables[i], b, value);
        } else {
            match offset {
                GPPUD => self.pud = value & GPPUD_MASK,
                TEST => self.test = value & TEST_MASK,
                // GPLEV is read-only.
                _ => {}
            }
        }
        register_name(offset)
    }
}
// ANCHOR_END: access

/// If `offset` is GPFSELn: n.
fn fsel_register(offset: u32) -> Option<usize> {
    let n = (offset / REGISTER_BYTES) as usize;
    (offset.is_multiple_of(REGISTER_BYTES) && n < FSEL_REGISTERS).then_some(n)
}

/// If `offset` is one of the detect-enable registers: which, and its bank.
fn detect_enable(offset: u32) -> Option<(usize, usize)> {
    DETECT_ENABLES
        .iter()
        .enumerate()
        .find_map(|(i, &first)| bank(offset, first).map(|b| (i, b)))
}

#[cfg(test)]
mod tests {
    use super::super::test_env::{exercise, op_strategy, FakeEnv};
    use super::*;
    use proptest::prelude::*;

    const BANK_1_PINS: u32 = (1 << 22) - 1;

    fn read(g: &mut Gpio, offset: u32) -> u32 {
        g.read(offset, &mut FakeEnv::new()).value
    }

    fn write(g: &mut Gpio, offset: u32, value: u32) {
        g.write(offset, value, &mut FakeEnv::new());
    }

    /// Make `pin` an output (GPFSEL in its register, others kept).
    fn make_output(g: &mut Gpio, pin: u32) {
        let offset = GPFSEL0 + (pin / 10) * 4;
        let shift = (pin % 10) * 3;
        let value = (read(g, offset) & !(0b111 << shift)) | (FUNCTION_OUTPUT << shift);
        write(g, offset, value);
    }

    #[test]
    fn power_on_state() {
        let mut g = Gpio::new();
        assert_eq!(read(&mut g, GPFSEL1), 0b010_010 << 12, "GPIO14/15 on ALT5");
        assert_eq!(g.function(14), 0b010);
        assert_eq!(g.function(15), 0b010);
        for offset in [
            GPFSEL0, GPFSEL2, GPFSEL3, GPFSEL4, GPFSEL5, GPEDS0, GPREN0, GPPUD,
        ] {
            assert_eq!(read(&mut g, offset), 0, "{}", register_name(offset));
        }
        // Inputs read their power-on pulls: 0-8 up, 9-27 down, 28/29 none.
        assert_eq!(read(&mut g, GPLEV0), 0x1ff);
        assert_eq!(read(&mut g, GPLEV1), (0b111 << 2) | (0xff << 14));
    }

    #[test]
    fn set_and_clear_drive_output_pins() {
        let mut g = Gpio::new();
        make_output(&mut g, 21);
        write(&mut g, GPSET0, 1 << 21);
        assert_eq!(read(&mut g, GPLEV0) & (1 << 21), 1 << 21);
        assert_eq!(read(&mut g, GPSET0), 0, "write-only");
        write(&mut g, GPCLR0, 1 << 21);
        assert_eq!(read(&mut g, GPLEV0) & (1 << 21), 0);
        assert_eq!(read(&mut g, GPCLR0), 0, "write-only");
        // Pin 47, in bank 1.
        make_output(&mut g, 47);
        write(&mut g, GPCLR1, 1 << 15);
        assert_eq!(read(&mut g, GPLEV1) & (1 << 15), 0);
        write(&mut g, GPSET1, 1 << 15);
        assert_eq!(read(&mut g, GPLEV1) & (1 << 15), 1 << 15);
    }

    #[test]
    fn the_latch_is_kept_for_an_input_until_it_becomes_an_output() {
        let mut g = Gpio::new();
        write(&mut g, GPSET0, 1 << 20);
        assert_eq!(
            read(&mut g, GPLEV0) & (1 << 20),
            0,
            "an input with a pull-down"
        );
        make_output(&mut g, 20);
        assert_eq!(read(&mut g, GPLEV0) & (1 << 20), 1 << 20);
    }

    #[test]
    fn pulls_follow_the_datasheet_sequence() {
        let mut g = Gpio::new();
        // Pull GPIO17 up: control, clock, remove control, remove clock.
        write(&mut g, GPPUD, 0b10);
        write(&mut g, GPPUDCLK0, 1 << 17);
        write(&mut g, GPPUD, 0);
        write(&mut g, GPPUDCLK0, 0);
        assert_eq!(read(&mut g, GPLEV0) & (1 << 17), 1 << 17);
        assert_eq!(read(&mut g, GPPUD), 0);
        // And off again; GPIO2 was pulled up at power-on and keeps it.
        write(&mut g, GPPUD, 0b00);
        write(&mut g, GPPUDCLK0, 1 << 17);
        write(&mut g, GPPUDCLK0, 0);
        assert_eq!(read(&mut g, GPLEV0) & (1 << 17 | 1 << 2), 1 << 2);
        // GPPUD alone changes nothing.
        write(&mut g, GPPUD, 0b10);
        assert_eq!(read(&mut g, GPLEV0) & (1 << 17), 0);
        // Bank 1: GPIO40 up.
        write(&mut g, GPPUDCLK1, 1 << 8);
        assert_eq!(read(&mut g, GPPUDCLK1), 1 << 8);
        assert_eq!(read(&mut g, GPLEV1) & (1 << 8), 1 << 8);
    }

    #[test]
    fn register_files_keep_their_bits() {
        let mut g = Gpio::new();
        for first in DETECT_ENABLES {
            write(&mut g, first, 0xdead_beef);
            write(&mut g, first + 4, u32::MAX);
            assert_eq!(read(&mut g, first), 0xdead_beef);
            assert_eq!(read(&mut g, first + 4), BANK_1_PINS, "pins 32-53");
        }
        write(&mut g, GPFSEL2, u32::MAX);
        assert_eq!(read(&mut g, GPFSEL2), (1 << 30) - 1);
        write(&mut g, GPFSEL5, u32::MAX);
        assert_eq!(read(&mut g, GPFSEL5), (1 << 12) - 1, "pins 50-53 only");
        write(&mut g, GPLEV0, u32::MAX);
        write(&mut g, TEST, u32::MAX);
        assert_eq!(read(&mut g, TEST), 0b1111);
    }

    #[test]
    fn event_detect_status_is_write_one_to_clear_and_stays_clear() {
        let mut g = Gpio::new();
        g.events = ALL_PINS;
        write(&mut g, GPEDS0, 0x0000_ffff);
        assert_eq!(read(&mut g, GPEDS0), 0xffff_0000);
        write(&mut g, GPEDS1, u32::MAX);
        assert_eq!(read(&mut g, GPEDS1), 0);
    }

    #[test]
    fn names_follow_the_datasheet() {
        let mut g = Gpio::new();
        assert_eq!(g.read(GPLEV1, &mut FakeEnv::new()).name, "GPLEV1");
        assert_eq!(g.write(GPAFEN1, 0, &mut FakeEnv::new()), "GPAFEN1");
        assert_eq!(g.read(0x18, &mut FakeEnv::new()).name, "reserved");
    }

    proptest! {
        #[test]
        fn never_panics(ops in proptest::collection::vec(op_strategy(SIZE as u32 + 8), 0..100)) {
            let mut g = Gpio::new();
            exercise(&mut g, &mut FakeEnv::new(), &ops);
            prop_assert_eq!(g.level() & !ALL_PINS, 0);
            prop_assert_eq!(g.output & !ALL_PINS, 0);
        }

        #[test]
        fn outputs_read_back_what_was_driven(pin in 0..PINS, high: bool) {
            let mut g = Gpio::new();
            make_output(&mut g, pin);
            let (set, clr, lev) = if pin < 32 { (GPSET0, GPCLR0, GPLEV0) } else { (GPSET1, GPCLR1, GPLEV1) };
            let bit = 1 << (pin % 32);
            write(&mut g, if high { set } else { clr }, bit);
            prop_assert_eq!(read(&mut g, lev) & bit != 0, high);
        }
    }
}
