//! The VideoCore mailbox and the firmware's property interface, answered
//! by the hypervisor as the Raspberry Pi firmware would.
//!
//! The ARM writes a 32-bit value to MAIL1_WRITE: a 16-byte aligned bus
//! address with the channel number in the low four bits. On channel 8
//! (property, ARM to VideoCore) the address is a buffer in the VM's RAM:
//!
//! ```text
//! u32 buffer size in bytes | u32 request code (0) | tags... | u32 0 (end tag) | padding
//! tag: u32 id | u32 value buffer size in bytes | u32 request/response code | value buffer
//! ```
//!
//! The model processes the buffer at once, through the VM's RAM (the bus
//! alias bits 31:30 are dropped to get the IPA): each tag it knows is
//! answered in place, with bit 31 and the response length in its
//! request/response code and the values in its value buffer, never beyond
//! the value buffer's declared size (a response longer than the buffer is
//! cut short and its length says how long it would have been). A tag it
//! does not know is left unanswered, bit 31 clear, and processing goes on
//! with the next tag, as the firmware does. The buffer's request code
//! becomes 0x8000_0000, or 0x8000_0001 if the buffer is malformed (shorter
//! than a header and an end tag, not a whole number of words, running past
//! the end of RAM, or a tag running past the buffer or no end tag), in
//! which case the tags before the fault keep their answers. Then the same
//! value is queued on mailbox 0 for the guest to read from MAIL0_READ, whose
//! EMPTY flag clears. A buffer whose first word is outside the VM's RAM is
//! left alone but still answered on mailbox 0, so the guest does not hang:
//! what it then reads from its buffer (nothing, since it has no RAM there)
//! cannot look like a success.
//!
//! Other channels (1, the old framebuffer channel, and the rest) are not
//! served: the model answers at once with data 1 on the same channel, which
//! a framebuffer-channel guest reads as a failure (0 means success).
//!
//! What the tags answer, and why:
//!
//! - The board is a Raspberry Pi 3 Model B 1.2 (revision 0x00a02082, model
//!   0) with a fixed, locally administered MAC address 02:66:65:72:72:6f
//!   ("\x02ferro") and serial number 1. The firmware revision is 346337,
//!   the value QEMU's `raspi3b` gives, so a guest prints the same under the
//!   hypervisor and natively on QEMU.
//! - ARM memory: base 0, size = the VM's RAM. VideoCore memory: base = the
//!   end of the VM's RAM, size 0: the VM has no memory beyond its RAM, so it
//!   is told the VideoCore owns none it could see.
//! - Power: devices 0-8 (SD card, UART0, UART1, USB HCD, I2C0-2, SPI,
//!   CCP2TX) exist and follow SET_POWER_STATE at once; the SD card starts
//!   powered (the firmware booted from it), the rest off. Their enable wait
//!   time is 1 us (0 would mean "no such device").
//! - Clocks: the Pi 3's EMMC (250 MHz), UART (48 MHz), ARM (600 MHz to
//!   1.2 GHz), CORE (250 MHz, pinned by `core_freq=250`), V3D, H264, ISP
//!   (250-300 MHz) and SDRAM (400-450 MHz) clocks exist, all on, at their
//!   maximum rate; SET_CLOCK_RATE clamps to the clock's range. Clocks 9
//!   (PIXEL) and 10 (PWM) are reported absent, like the display and PWM they
//!   drive, and so are the Pi 4's clocks 11 and up.
//! - Temperature 45.0 C, maximum 85.0 C; an empty command line; no DMA
//!   channels (the virtual board has no DMA engine).
//! - Framebuffer (0x0004_xxxx): the board has no display. Every
//!   allocate/get/test/set tag is answered with its usual length and zeros
//!   (ALLOCATE_BUFFER gives base 0 and size 0, the physical and virtual
//!   sizes are 0x0, depth 0, pitch 0) except TEST/SET_PALETTE, which answer
//!   1, "invalid". Answering (rather than not answering) matters: U-Boot
//!   treats any unanswered tag as a failed mailbox call. Its video driver
//!   asks GET_PHYSICAL_W_H first and, given a 0x0 display, fails its probe
//!   (`if (ret || w == 0 || h == 0) return -EIO`) and keeps the serial
//!   console; a guest that goes on to allocate gets a zero-sized buffer at
//!   0, which it can check, instead of a hang.

use super::{register_offsets, Device, Reg, VmEnv};
use crate::board::MAILBOX_BASE;
use core::mem::offset_of;
use raspi3b::mailbox::tag::*;
use raspi3b::mailbox::{
    Registers as MailboxRegisters, BUS_ALIAS_MASK, MAIL_CONFIG, MAIL_DATA, MAIL_STATUS,
};
pub use raspi3b::mailbox::{
    CHANNEL_PROPERTY, ERROR_PARSING_REQUEST, REQUEST_SUCCESSFUL, TAG_RESPONSE,
};

/// The mailbox registers (bus address 0x7E00_B880).
pub const BASE: u64 = MAILBOX_BASE.as_u64();
/// Bytes of registers: mailbox 0 and mailbox 1.
pub const SIZE: u64 = 0x40;

register_offsets! {
    /// Mailbox 0 (VideoCore to ARM) read: takes the oldest word.
    MAIL0_READ = offset_of!(MailboxRegisters, MAIL0_READ) as u32,
    /// Mailbox 0 peek: the oldest word, left in place.
    MAIL0_PEEK = offset_of!(MailboxRegisters, MAIL0_PEEK) as u32,
    /// Mailbox 0 sender.
    MAIL0_SENDER = offset_of!(MailboxRegisters, MAIL0_SENDER) as u32,
    /// Mailbox 0 status.
    MAIL0_STATUS = offset_of!(MailboxRegisters, MAIL0_STATUS) as u32,
    /// Mailbox 0 configuration.
    MAIL0_CONFIG = offset_of!(MailboxRegisters, MAIL0_CONFIG) as u32,
    /// Mailbox 1 (ARM to VideoCore) write.
    MAIL1_WRITE = offset_of!(MailboxRegisters, MAIL1_WRITE) as u32,
    /// Mailbox 1 peek.
    MAIL1_PEEK = offset_of!(MailboxRegisters, MAIL1_PEEK) as u32,
    /// Mailbox 1 sender.
    MAIL1_SENDER = offset_of!(MailboxRegisters, MAIL1_SENDER) as u32,
    /// Mailbox 1 status.
    MAIL1_STATUS = offset_of!(MailboxRegisters, MAIL1_STATUS) as u32,
    /// Mailbox 1 configuration.
    MAIL1_CONFIG = offset_of!(MailboxRegisters, MAIL1_CONFIG) as u32,
}

/// Words the VideoCore-to-ARM mailbox holds.
const MAIL0_DEPTH: usize = 8;
/// The data answered on a channel the model does not serve.
const CHANNEL_NOT_SERVED: u32 = 1;

/// Buffer size and request code.
const BUFFER_HEADER_BYTES: u64 = 8;
/// Offset of the request/response code in the buffer.
const REQUEST_CODE_OFFSET: u64 = 4;
/// Tag id, value buffer size and request/response code.
const TAG_HEADER_BYTES: u64 = 12;
/// Offset of the value buffer size in a tag.
const TAG_VALUE_SIZE_OFFSET: u64 = 4;
/// Offset of the request/response code in a tag.
const TAG_CODE_OFFSET: u64 = 8;
/// Bytes per buffer word.
const WORD_BYTES: u64 = 4;
/// Request words a tag may carry that the model reads (SET_CLOCK_RATE's
/// id, rate, skip turbo).
const REQUEST_WORDS: usize = 3;
/// Response words a tag may carry; longer responses are zeros after these.
const RESPONSE_WORDS: usize = 4;
/// Bits in a byte.
const BITS_PER_BYTE: u32 = 8;

/// Every framebuffer tag and the bytes of its (all-zero) response.
const FRAMEBUFFER_TAGS: [(u32, u32); 28] = [
    (ALLOCATE_BUFFER, 8),
    (RELEASE_BUFFER, 0),
    (BLANK_SCREEN, 4),
    (GET_PHYSICAL_WIDTH_HEIGHT, 8),
    (TEST_PHYSICAL_WIDTH_HEIGHT, 8),
    (SET_PHYSICAL_WIDTH_HEIGHT, 8),
    (GET_VIRTUAL_WIDTH_HEIGHT, 8),
    (TEST_VIRTUAL_WIDTH_HEIGHT, 8),
    (SET_VIRTUAL_WIDTH_HEIGHT, 8),
    (GET_DEPTH, 4),
    (TEST_DEPTH, 4),
    (SET_DEPTH, 4),
    (GET_PIXEL_ORDER, 4),
    (TEST_PIXEL_ORDER, 4),
    (SET_PIXEL_ORDER, 4),
    (GET_ALPHA_MODE, 4),
    (TEST_ALPHA_MODE, 4),
    (SET_ALPHA_MODE, 4),
    (GET_PITCH, 4),
    (GET_VIRTUAL_OFFSET, 8),
    (TEST_VIRTUAL_OFFSET, 8),
    (SET_VIRTUAL_OFFSET, 8),
    (GET_OVERSCAN, 16),
    (TEST_OVERSCAN, 16),
    (SET_OVERSCAN, 16),
    (GET_PALETTE, 1024),
    (TEST_PALETTE, 4),
    (SET_PALETTE, 4),
];
/// TEST/SET_PALETTE's answer: the palette is invalid (there is no display).
const PALETTE_INVALID: u32 = 1;

// ANCHOR: board_facts
/// The firmware revision QEMU's `raspi3b` reports.
pub const FIRMWARE_REVISION: u32 = 346_337;
/// GET_BOARD_MODEL.
pub const BOARD_MODEL: u32 = 0;
/// A Raspberry Pi 3 Model B 1.2 with 1 GiB (Sony UK).
pub const BOARD_REVISION: u32 = 0x00a0_2082;
/// A locally administered MAC address (bit 1 of the first octet set).
pub const BOARD_MAC_ADDRESS: [u8; 6] = [0x02, 0x66, 0x65, 0x72, 0x72, 0x6f];
/// GET_BOARD_SERIAL.
pub const BOARD_SERIAL: u64 = 1;
/// The VM's RAM starts at IPA 0.
const ARM_MEMORY_BASE: u32 = 0;
/// The VideoCore memory the VM can see: none.
const VC_MEMORY_SIZE: u32 = 0;
/// GET_TEMPERATURE, in thousandths of a degree Celsius.
const TEMPERATURE: u32 = 45_000;
/// GET_MAX_TEMPERATURE: where the Pi 3 throttles.
const MAX_TEMPERATURE: u32 = 85_000;
/// GET_DMA_CHANNELS: the virtual board has no DMA engine.
const DMA_CHANNELS: u32 = 0;

/// The GPIO expander's first line number in the firmware's GPIO tags.
const EXP_GPIO_BASE: u32 = 128;
/// Lines of the expander on a Pi 3 Model B: BT_ON, WL_ON, STATUS_LED,
/// LAN_RUN, HDMI_HPD_N, CAM_GPIO0, CAM_GPIO1, PWR_LOW_N.
const EXP_GPIOS: u32 = 8;
/// The expander's directions at boot (bit n: line n is an output): the
/// enables and the LED drive; HDMI_HPD_N and PWR_LOW_N are inputs.
const EXP_GPIO_OUTPUTS: u8 = 0b0110_1111;
/// The levels at boot: LAN_RUN (the USB/Ethernet hub) on; HDMI_HPD_N and
/// PWR_LOW_N high (no display plugged in, power good).
const EXP_GPIO_LEVELS: u8 = 0b1001_1000;
/// A GPIO tag's status word: 0 when done.
const GPIO_OK: u32 = 0;
/// ... and for a line the expander does not have.
const GPIO_NO_LINE: u32 = 1;
/// GET_THROTTLED: no under-voltage, no capping or throttling, now or since boot.
const THROTTLED_NONE: u32 = 0;

/// Power devices 0-8: SD card, UART0, UART1, USB HCD, I2C0-2, SPI, CCP2TX.
const POWER_DEVICES: u32 = 9;
/// Power device 0, the SD card: on at boot.
const POWER_SD_CARD: u32 = 0;
/// Power state bit 0: on.
const POWER_ON: u32 = 1 << 0;
/// Power state bit 1 (response): the device does not exist.
const POWER_NO_DEVICE: u32 = 1 << 1;
/// GET_TIMING for an existing device, in microseconds.
const POWER_ENABLE_WAIT_US: u32 = 1;
/// Clock state bit 0: on.
const CLOCK_ON: u32 = 1 << 0;
/// Clock state bit 1 (response): the clock does not exist.
const CLOCK_NO_CLOCK: u32 = 1 << 1;
// ANCHOR_END: board_facts

/// A clock's range, in Hz.
#[derive(Clone, Copy)]
struct ClockRange {
    min: u32,
    max: u32,
}

/// Hz in a MHz.
const MHZ: u32 = 1_000_000;

impl ClockRange {
    /// A clock that runs between `min` and `max` MHz.
    const fn mhz(min: u32, max: u32) -> Option<Self> {
        Some(Self {
            min: min * MHZ,
            max: max * MHZ,
        })
    }
}

/// The clocks by id; the ids beyond the table (9 PIXEL, 10 PWM, the Pi 4's
/// 11 and up) do not exist.
const CLOCKS: [Option<ClockRange>; 9] = [
    None,                        // 0: reserved
    ClockRange::mhz(250, 250),   // 1: EMMC
    ClockRange::mhz(48, 48),     // 2: UART
    ClockRange::mhz(600, 1_200), // 3: ARM
    ClockRange::mhz(250, 250),   // 4: CORE (core_freq=250)
    ClockRange::mhz(250, 300),   // 5: V3D
    ClockRange::mhz(250, 300),   // 6: H264
    ClockRange::mhz(250, 300),   // 7: ISP
    ClockRange::mhz(400, 450),   // 8: SDRAM
];

/// The clocks at boot: each at its maximum.
const fn boot_clock_rates() -> [u32; CLOCKS.len()] {
    let mut rates = [0; CLOCKS.len()];
    let mut id = 0;
    while id < CLOCKS.len() {
        if let Some(range) = CLOCKS[id] {
            rates[id] = range.max;
        }
        id += 1;
    }
    rates
}

/// A tag's answer: response words, then zeros up to `len` bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Response {
    words: [u32; RESPONSE_WORDS],
    len: u32,
}

impl Response {
    /// A response of whole words.
    fn words(words: &[u32]) -> Self {
        let mut r = Self {
            words: [0; RESPONSE_WORDS],
            len: (words.len() as u64 * WORD_BYTES) as u32,
        };
        r.words[..words.len()].copy_from_slice(words);
        r
    }

    /// A response of `len` zero bytes.
    fn zeros(len: u32) -> Self {
        Self {
            words: [0; RESPONSE_WORDS],
            len,
        }
    }

    /// A response of bytes, little-endian in the words.
    fn bytes(bytes: &[u8]) -> Self {
        let mut r = Self::zeros(bytes.len() as u32);
        for (i, &b) in bytes.iter().enumerate() {
            r.words[i / WORD_BYTES as usize] |=
                u32::from(b) << ((i as u64 % WORD_BYTES) as u32 * BITS_PER_BYTE);
        }
        r
    }
}

/// The firmware's state as the property interface shows it.
struct Firmware {
    /// Power devices that are on, bit n = device n.
    powered: u32,
    /// Clocks that are on, bit n = clock id n.
    clocks_on: u32,
    /// Each clock's rate.
    clock_rates: [u32; CLOCKS.len()],
    /// The GPIO expander's outputs, bit n = line 128 + n.
    exp_outputs: u8,
    /// Its levels.
    exp_levels: u8,
}

/// A tag's value buffer in guest RAM.
struct ValueBuffer {
    ipa: u64,
    size: u64,
}

impl ValueBuffer {
    /// The request words that fit in the buffer; 0 for the rest.
    fn request(&self, env: &dyn VmEnv) -> [u32; REQUEST_WORDS] {
        let mut words = [0; REQUEST_WORDS];
        for (i, word) in words.iter_mut().enumerate() {
            let at = i as u64 * WORD_BYTES;
            if at + WORD_BYTES <= self.size {
                *word = env.read_guest_u32(self.ipa + at).unwrap_or(0);
            }
        }
        words
    }

    /// Write a response, cut to the buffer's size: a word the buffer only
    /// partly holds keeps its bytes beyond the buffer.
    fn respond(&self, response: &Response, env: &mut dyn VmEnv) {
        let bytes = u64::from(response.len).min(self.size);
        let mut at = 0;
        while at < bytes {
            let index = (at / WORD_BYTES) as usize;
            let mut word = response.words.get(index).copied().unwrap_or(0);
            let kept = bytes - at;
            if kept < WORD_BYTES {
                let mask = (1u32 << (kept as u32 * BITS_PER_BYTE)) - 1;
                let old = env.read_guest_u32(self.ipa + at).unwrap_or(0);
                word = (word & mask) | (old & !mask);
            }
            env.write_guest_u32(self.ipa + at, word);
            at += WORD_BYTES;
        }
    }
}

impl Firmware {
    const fn new() -> Self {
        Self {
            powered: 1 << POWER_SD_CARD,
            exp_outputs: EXP_GPIO_OUTPUTS,
            exp_levels: EXP_GPIO_LEVELS,
            clocks_on: {
                let mut on = 0;
                let mut id = 0;
                while id < CLOCKS.len() {
                    if CLOCKS[id].is_some() {
                        on |= 1 << id;
                    }
                    id += 1;
                }
                on
            },
            clock_rates: boot_clock_rates(),
        }
    }

    // ANCHOR: property_buffer
    /// Process the property buffer at `ipa`.
    fn process(&mut self, ipa: u64, env: &mut dyn VmEnv) {
        let Some(size) = env.read_guest_u32(ipa) else {
            return; // Not in the VM's RAM: nothing to answer in.
        };
        let size = u64::from(size);
        let well_formed = size >= BUFFER_HEADER_BYTES + WORD_BYTES
            && size.is_multiple_of(WORD_BYTES)
            && ipa.saturating_add(size) <= env.ram_bytes()
            && self.process_tags(ipa, size, env);
        let code = if well_formed {
            REQUEST_SUCCESSFUL
        } else {
            ERROR_PARSING_REQUEST
        };
        env.write_guest_u32(ipa + REQUEST_CODE_OFFSET, code);
    }

    /// Answer the tags of the `size`-byte buffer at `ipa`; `false` if it
    /// turns out malformed.
    fn process_tags(&mut self, ipa: u64, size: u64, env: &mut dyn VmEnv) -> bool {
        let mut at = BUFFER_HEADER_BYTES;
        loop {
            if at + WORD_BYTES > size {
                return false; // No end tag.
            }
            let Some(tag) = env.read_guest_u32(ipa + at) else {
                return false;
            };
            if tag == END {
                return true;
            }
            if at + TAG_HEADER_BYTES > size {
                return false;
            }
            let Some(value_size) = env.read_guest_u32(ipa + at + TAG_VALUE_SIZE_OFFSET) else {
                return false;
            };
            let value_at = at + TAG_HEADER_BYTES;
            let value_size = u64::from(value_size);
            if value_size > size - value_at {
                return false; // The value buffer runs past the buffer.
            }
            let buffer = ValueBuffer {
                ipa: ipa + value_at,
                size: value_size,
            };
            let request = buffer.request(env);
            if let Some(response) = self.answer(tag, request, env) {
                buffer.respond(&response, env);
                env.write_guest_u32(ipa + at + TAG_CODE_OFFSET, TAG_RESPONSE | response.len);
            }
            at = value_at + value_size.next_multiple_of(WORD_BYTES);
        }
    }
    // ANCHOR_END: property_buffer

    // ANCHOR: tags
    /// The firmware's answer to one tag; `None` for a tag it does not know.
    fn answer(
        &mut self,
        tag: u32,
        request: [u32; REQUEST_WORDS],
        env: &dyn VmEnv,
    ) -> Option<Response> {
        let [id, value, _] = request;
        let ram = u32::try_from(env.ram_bytes()).unwrap_or(u32::MAX);
        let response = match tag {
            GET_FIRMWARE_REVISION => Response::words(&[FIRMWARE_REVISION]),
            GET_BOARD_MODEL => Response::words(&[BOARD_MODEL]),
            GET_BOARD_REVISION => Response::words(&[BOARD_REVISION]),
            GET_BOARD_MAC_ADDRESS => Response::bytes(&BOARD_MAC_ADDRESS),
            GET_BOARD_SERIAL => Response::bytes(&BOARD_SERIAL.to_le_bytes()),
            GET_ARM_MEMORY => Response::words(&[ARM_MEMORY_BASE, ram]),
            GET_VC_MEMORY => Response::words(&[ram, VC_MEMORY_SIZE]),
            GET_POWER_STATE => Response::words(&[id, self.power_state(id)]),
            SET_POWER_STATE => {
                if id < POWER_DEVICES {
                    if value & POWER_ON != 0 {
                        self.powered |= 1 << id;
                    } else {
                        self.powered &= !(1 << id);
                    }
                }
                Response::words(&[id, self.power_state(id)])
            }
            GET_TIMING => {
                let wait = if id < POWER_DEVICES {
                    POWER_ENABLE_WAIT_US
                } else {
                    0
                };
                Response::words(&[id, wait])
            }
            GET_CLOCK_STATE => Response::words(&[id, self.clock_state(id)]),
            SET_CLOCK_STATE => {
                if clock(id).is_some() {
                    if value & CLOCK_ON != 0 {
                        self.clocks_on |= 1 << id;
                    } else {
                        self.clocks_on &= !(1 << id);
                    }
                }
                Response::words(&[id, self.clock_state(id)])
            }
            GET_CLOCK_RATE => {
                Response::words(&[id, clock(id).map_or(0, |_| self.clock_rates[id as usize])])
            }
            GET_MAX_CLOCK_RATE => Response::words(&[id, clock(id).map_or(0, |c| c.max)]),
            GET_MIN_CLOCK_RATE => Response::words(&[id, clock(id).map_or(0, |c| c.min)]),
            SET_CLOCK_RATE => {
                let rate = clock(id).map_or(0, |c| {
                    let rate = value.clamp(c.min, c.max);
                    self.clock_rates[id as usize] = rate;
                    rate
                });
                Response::words(&[id, rate])
            }
            GET_TEMPERATURE => Response::words(&[id, TEMPERATURE]),
            GET_MAX_TEMPERATURE => Response::words(&[id, MAX_TEMPERATURE]),
            GET_COMMAND_LINE => Response::zeros(0),
            GET_DMA_CHANNELS => Response::words(&[DMA_CHANNELS]),
            TEST_PALETTE | SET_PALETTE => Response::words(&[PALETTE_INVALID]),
            GET_GPIO_STATE | SET_GPIO_STATE | GET_GPIO_CONFIG | SET_GPIO_CONFIG => {
                self.gpio_expander(tag, request)
            }
            GET_THROTTLED => Response::words(&[THROTTLED_NONE]),
            _ => {
                let &(_, len) = FRAMEBUFFER_TAGS.iter().find(|&&(t, _)| t == tag)?;
                Response::zeros(len)
            }
        };
        Some(response)
    }

    /// The GPIO expander's tags (Linux's `gpio-raspberrypi-exp`): the first
    /// request word is the line (128-135), answered with a status (0 = done).
    /// GET_GPIO_STATE answers the level; SET_GPIO_STATE sets an output's;
    /// GET_GPIO_CONFIG answers direction (1 = out), polarity, termination
    /// enable and pull-up (all 0: no inversion, no pulls); SET_GPIO_CONFIG
    /// takes the direction and, for an output, the level (request words
    /// direction, polarity, term_en, term_pull_up, state: only the first is
    /// read here, the level comes with SET_GPIO_STATE).
    fn gpio_expander(&mut self, tag: u32, request: [u32; REQUEST_WORDS]) -> Response {
        let [gpio, value, _] = request;
        let Some(line) = gpio.checked_sub(EXP_GPIO_BASE).filter(|&l| l < EXP_GPIOS) else {
            return Response::words(&[GPIO_NO_LINE, 0]);
        };
        let bit = 1u8 << line;
        let output = self.exp_outputs & bit != 0;
        match tag {
            GET_GPIO_STATE => Response::words(&[GPIO_OK, u32::from(self.exp_levels & bit != 0)]),
            SET_GPIO_STATE => {
                if output {
                    self.set_exp_level(bit, value != 0);
                }
                Response::words(&[GPIO_OK, value])
            }
            GET_GPIO_CONFIG => Response::words(&[GPIO_OK, u32::from(output), 0, 0]),
            _ => {
                if value != 0 {
                    self.exp_outputs |= bit;
                } else {
                    self.exp_outputs &= !bit;
                }
                Response::words(&[GPIO_OK])
            }
        }
    }

    fn set_exp_level(&mut self, bit: u8, high: bool) {
        if high {
            self.exp_levels |= bit;
        } else {
            self.exp_levels &= !bit;
        }
    }

    /// GET/SET_POWER_STATE's state word for device `id`.
    fn power_state(&self, id: u32) -> u32 {
        if id >= POWER_DEVICES {
            POWER_NO_DEVICE
        } else if self.powered & (1 << id) != 0 {
            POWER_ON
        } else {
            0
        }
    }

    /// GET/SET_CLOCK_STATE's state word for clock `id`.
    fn clock_state(&self, id: u32) -> u32 {
        match clock(id) {
            None => CLOCK_NO_CLOCK,
            Some(_) if self.clocks_on & (1 << id) != 0 => CLOCK_ON,
            Some(_) => 0,
        }
    }
    // ANCHOR_END: tags
}

/// Clock `id`'s range, if it exists.
fn clock(id: u32) -> Option<ClockRange> {
    CLOCKS.get(usize::try_from(id).ok()?).copied().flatten()
}

/// The VideoCore-to-ARM mailbox: a queue of answers.
struct Mail0 {
    words: [u32; MAIL0_DEPTH],
    head: usize,
    len: usize,
}

impl Mail0 {
    const fn new() -> Self {
        Self {
            words: [0; MAIL0_DEPTH],
            head: 0,
            len: 0,
        }
    }

    fn is_full(&self) -> bool {
        self.len == MAIL0_DEPTH
    }

    fn peek(&self) -> Option<u32> {
        (self.len > 0).then(|| self.words[self.head])
    }

    fn push(&mut self, word: u32) {
        if !self.is_full() {
            self.words[(self.head + self.len) % MAIL0_DEPTH] = word;
            self.len += 1;
        }
    }

    fn pop(&mut self) -> Option<u32> {
        let word = self.peek()?;
        self.head = (self.head + 1) % MAIL0_DEPTH;
        self.len -= 1;
        Some(word)
    }

    /// MAIL_STATUS of this queue.
    fn status(&self) -> u32 {
        let mut status = 0;
        if self.is_full() {
            status |= MAIL_STATUS::FULL::SET.value;
        }
        if self.len == 0 {
            status |= MAIL_STATUS::EMPTY::SET.value;
        }
        status
    }
}

/// The mailbox and the firmware behind it.
pub struct Mailbox {
    mail0: Mail0,
    mail0_config: u32,
    mail1_config: u32,
    firmware: Firmware,
}

impl Mailbox {
    /// The mailbox at power-on: empty, no interrupt.
    pub const fn new() -> Self {
        Self {
            mail0: Mail0::new(),
            mail0_config: 0,
            mail1_config: 0,
            firmware: Firmware::new(),
        }
    }

    /// The ARM Mailbox IRQ: mailbox 0 holds an answer and its data
    /// interrupt is enabled.
    pub fn interrupt(&self) -> bool {
        MAIL_CONFIG::IHAVEDATAIRQEN.is_set(self.mail0_config) && self.mail0.len > 0
    }

    // ANCHOR: send
    /// The ARM posts `value` to mailbox 1: the VideoCore serves it at once
    /// and answers on mailbox 0.
    fn send(&mut self, value: u32, env: &mut dyn VmEnv) {
        if self.mail0.is_full() {
            return; // MAIL1 reads FULL: the VideoCore cannot answer.
        }
        let channel = MAIL_DATA::CHANNEL.read(value);
        let answer = if channel == CHANNEL_PROPERTY {
            let channel_bits = MAIL_DATA::CHANNEL.mask << MAIL_DATA::CHANNEL.shift;
            let address = value & !channel_bits & !BUS_ALIAS_MASK;
            self.firmware.process(u64::from(address), env);
            value
        } else {
            MAIL_DATA::DATA.val(CHANNEL_NOT_SERVED).value | channel
        };
        self.mail0.push(answer);
    }
    // ANCHOR_END: send
}

impl Default for Mailbox {
    fn default() -> Self {
        Self::new()
    }
}

// ANCHOR: access
impl Device for Mailbox {
    fn read(&mut self, offset: u32, _env: &mut dyn VmEnv) -> Reg {
        let value = match offset {
            MAIL0_READ => self.mail0.pop().unwrap_or(0),
            MAIL0_PEEK => self.mail0.peek().unwrap_or(0),
            MAIL0_STATUS => self.mail0.status(),
            MAIL0_CONFIG => self.mail0_config,
            // Mailbox 1 is emptied as soon as it is written; it is full
            // while mailbox 0 has no room for the answer.
            MAIL1_STATUS => {
                let full = self.mail0.is_full();
                MAIL_STATUS::FULL.val(full.into()).value
                    | MAIL_STATUS::EMPTY.val((!full).into()).value
            }
            MAIL1_CONFIG => self.mail1_config,
            // MAIL0_SENDER, MAIL1_PEEK, MAIL1_SENDER.
            _ => 0,
        };
        Reg {
            name: register_name(offset),
            value,
        }
    }

    fn write(&mut self, offset: u32, value: u32, env: &mut dyn VmEnv) -> &'static str {
        match offset {
            MAIL1_WRITE => self.send(value, env),
            MAIL0_CONFIG => self.mail0_config = value & MAIL_CONFIG::IHAVEDATAIRQEN::SET.value,
            MAIL1_CONFIG => self.mail1_config = value & MAIL_CONFIG::IHAVEDATAIRQEN::SET.value,
            _ => {}
        }
        register_name(offset)
    }
}
// ANCHOR_END: access

#[cfg(test)]
mod tests {
    use super::super::test_env::{exercise, op_strategy, FakeEnv};
    use super::*;
    use proptest::prelude::*;
    use std::vec::Vec;

    const EMPTY: u32 = 1 << 30;
    const FULL: u32 = 1 << 31;
    const BUFFER: u64 = 0x8_0000;

    fn read(m: &mut Mailbox, env: &mut FakeEnv, offset: u32) -> u32 {
        m.read(offset, env).value
    }

    /// Send the buffer at `BUFFER` and take the answer from mailbox 0.
    fn call(m: &mut Mailbox, env: &mut FakeEnv, bus_alias: u32) -> u32 {
        assert_eq!(read(m, env, MAIL0_STATUS), EMPTY);
        m.write(
            MAIL1_WRITE,
            bus_alias | BUFFER as u32 | CHANNEL_PROPERTY,
            env,
        );
        assert_eq!(read(m, env, MAIL0_STATUS), 0, "an answer waits");
        let answer = read(m, env, MAIL0_READ);
        assert_eq!(read(m, env, MAIL0_STATUS), EMPTY);
        answer
    }

    /// A buffer with one tag: id, value buffer size, request values.
    fn one_tag(tag: u32, value_bytes: u32, request: &[u32]) -> Vec<u32> {
        let value_words = value_bytes.div_ceil(4) as usize;
        let mut b = std::vec![0, 0, tag, value_bytes, 0];
        let mut values = std::vec![0; value_words];
        values[..request.len()].copy_from_slice(request);
        b.extend(values);
        b.push(END);
        b[0] = (b.len() * 4) as u32;
        b
    }

    // ANCHOR: real_guest_call
    #[test]
    fn answers_arm_memory_and_board_revision_in_one_buffer() {
        let mut m = Mailbox::new();
        let mut env = FakeEnv::new();
        #[rustfmt::skip]
        env.poke(BUFFER, &[
            12 * 4, 0,                  // size, process request
            GET_ARM_MEMORY, 8, 0, 0, 0, // tag, value size, request, base, size
            GET_BOARD_REVISION, 4, 0, 0,
            END,
        ]);
        let answer = call(&mut m, &mut env, 0xc000_0000);
        assert_eq!(answer, 0xc000_0000 | BUFFER as u32 | CHANNEL_PROPERTY);
        let ram = env.ram.len() as u32 * 4;
        #[rustfmt::skip]
        assert_eq!(env.peek(BUFFER, 12), [
            12 * 4, REQUEST_SUCCESSFUL,
            GET_ARM_MEMORY, 8, TAG_RESPONSE | 8, 0, ram,
            GET_BOARD_REVISION, 4, TAG_RESPONSE | 4, 0x00a0_2082,
            END,
        ]);
    }
    // ANCHOR_END: real_guest_call

    #[test]
    fn reset_values() {
        let mut m = Mailbox::new();
        let mut env = FakeEnv::new();
        assert_eq!(read(&mut m, &mut env, MAIL0_STATUS), EMPTY);
        assert_eq!(read(&mut m, &mut env, MAIL1_STATUS), EMPTY);
        assert_eq!(read(&mut m, &mut env, MAIL0_CONFIG), 0);
        assert_eq!(read(&mut m, &mut env, MAIL0_READ), 0);
        assert!(!m.interrupt());
    }

    #[test]
    fn u_boot_board_queries() {
        let mut m = Mailbox::new();
        let mut env = FakeEnv::new();
        env.poke(
            BUFFER,
            &one_tag(GET_BOARD_MAC_ADDRESS, 8, &[0, 0xeeee_eeee]),
        );
        call(&mut m, &mut env, 0);
        assert_eq!(
            env.peek(BUFFER + 16, 3),
            [TAG_RESPONSE | 6, 0x7265_6602, 0xeeee_6f72]
        );

        env.poke(BUFFER, &one_tag(GET_BOARD_SERIAL, 8, &[]));
        call(&mut m, &mut env, 0);
        assert_eq!(env.peek(BUFFER + 16, 3), [TAG_RESPONSE | 8, 1, 0]);

        env.poke(BUFFER, &one_tag(GET_FIRMWARE_REVISION, 4, &[]));
        call(&mut m, &mut env, 0);
        assert_eq!(
            env.peek(BUFFER + 16, 2),
            [TAG_RESPONSE | 4, FIRMWARE_REVISION]
        );

        env.poke(BUFFER, &one_tag(GET_VC_MEMORY, 8, &[]));
        call(&mut m, &mut env, 0);
        let ram = env.ram.len() as u32 * 4;
        assert_eq!(env.peek(BUFFER + 16, 3), [TAG_RESPONSE | 8, ram, 0]);
    }

    #[test]
    fn power_devices_follow_requests() {
        let mut m = Mailbox::new();
        let mut env = FakeEnv::new();
        const USB_HCD: u32 = 3;
        const ON_AND_WAIT: u32 = 0b11;
        env.poke(BUFFER, &one_tag(GET_POWER_STATE, 8, &[USB_HCD]));
        call(&mut m, &mut env, 0);
        assert_eq!(env.peek(BUFFER + 16, 3), [TAG_RESPONSE | 8, USB_HCD, 0]);
        env.poke(
            BUFFER,
            &one_tag(SET_POWER_STATE, 8, &[USB_HCD, ON_AND_WAIT]),
        );
        call(&mut m, &mut env, 0);
        assert_eq!(
            env.peek(BUFFER + 16, 3),
            [TAG_RESPONSE | 8, USB_HCD, POWER_ON]
        );
        env.poke(BUFFER, &one_tag(GET_POWER_STATE, 8, &[USB_HCD]));
        call(&mut m, &mut env, 0);
        assert_eq!(env.peek(BUFFER + 24, 1), [POWER_ON]);
        env.poke(BUFFER, &one_tag(GET_POWER_STATE, 8, &[0]));
        call(&mut m, &mut env, 0);
        assert_eq!(
            env.peek(BUFFER + 24, 1),
            [POWER_ON],
            "the SD card is on at boot"
        );
        env.poke(BUFFER, &one_tag(SET_POWER_STATE, 8, &[42, 1]));
        call(&mut m, &mut env, 0);
        assert_eq!(
            env.peek(BUFFER + 16, 3),
            [TAG_RESPONSE | 8, 42, POWER_NO_DEVICE]
        );
        env.poke(BUFFER, &one_tag(GET_TIMING, 8, &[USB_HCD]));
        call(&mut m, &mut env, 0);
        assert_eq!(env.peek(BUFFER + 24, 1), [POWER_ENABLE_WAIT_US]);
    }

    #[test]
    fn clocks_of_a_pi_3() {
        let mut m = Mailbox::new();
        let mut env = FakeEnv::new();
        const EMMC: u32 = 1;
        const CORE: u32 = 4;
        const ARM: u32 = 3;
        const PIXEL: u32 = 9;
        let mut ask = |tag, request: &[u32]| {
            let value_bytes = (request.len() as u32 * 4).max(8);
            env.poke(BUFFER, &one_tag(tag, value_bytes, request));
            call(&mut m, &mut env, 0);
            let [code, id, value] = env.peek(BUFFER + 16, 3).try_into().unwrap();
            assert_eq!(code, TAG_RESPONSE | 8);
            assert_eq!(id, request[0]);
            value
        };
        assert_eq!(ask(GET_CLOCK_RATE, &[EMMC]), 250_000_000);
        assert_eq!(ask(GET_CLOCK_RATE, &[CORE]), 250_000_000);
        assert_eq!(ask(GET_MAX_CLOCK_RATE, &[ARM]), 1_200_000_000);
        assert_eq!(ask(GET_MIN_CLOCK_RATE, &[ARM]), 600_000_000);
        assert_eq!(ask(SET_CLOCK_RATE, &[ARM, 700_000_000, 0]), 700_000_000);
        assert_eq!(ask(GET_CLOCK_RATE, &[ARM]), 700_000_000);
        assert_eq!(ask(SET_CLOCK_RATE, &[ARM, 5, 0]), 600_000_000, "clamped");
        assert_eq!(ask(GET_CLOCK_RATE, &[PIXEL]), 0, "no such clock");
        assert_eq!(ask(GET_CLOCK_STATE, &[PIXEL]), CLOCK_NO_CLOCK);
        assert_eq!(ask(GET_CLOCK_STATE, &[EMMC]), CLOCK_ON);
        assert_eq!(ask(SET_CLOCK_STATE, &[EMMC, 0]), 0);
        assert_eq!(ask(GET_CLOCK_STATE, &[EMMC]), 0);
        assert_eq!(ask(GET_TEMPERATURE, &[0]), TEMPERATURE);
        assert_eq!(ask(GET_MAX_TEMPERATURE, &[0]), MAX_TEMPERATURE);
    }

    #[test]
    fn a_display_request_fails_cleanly() {
        let mut m = Mailbox::new();
        let mut env = FakeEnv::new();
        env.poke(
            BUFFER,
            &one_tag(GET_PHYSICAL_WIDTH_HEIGHT, 8, &[0xaaaa, 0xbbbb]),
        );
        call(&mut m, &mut env, 0);
        assert_eq!(
            env.peek(BUFFER + 4, 5),
            [
                REQUEST_SUCCESSFUL,
                GET_PHYSICAL_WIDTH_HEIGHT,
                8,
                TAG_RESPONSE | 8,
                0
            ]
        );
        assert_eq!(env.peek(BUFFER + 24, 1), [0], "0x0: no display");
        env.poke(BUFFER, &one_tag(ALLOCATE_BUFFER, 8, &[0x100]));
        call(&mut m, &mut env, 0);
        assert_eq!(
            env.peek(BUFFER + 16, 3),
            [TAG_RESPONSE | 8, 0, 0],
            "base 0, size 0"
        );
        env.poke(BUFFER, &one_tag(SET_PALETTE, 12, &[0, 1, 0xffffff]));
        call(&mut m, &mut env, 0);
        assert_eq!(
            env.peek(BUFFER + 16, 2),
            [TAG_RESPONSE | 4, PALETTE_INVALID]
        );
    }

    /// What Linux's gpio-raspberrypi-exp asks at boot: each line's config,
    /// then WL_ON's level, which pwrseq-simple drives.
    #[test]
    fn the_gpio_expander_answers_as_the_firmware() {
        let mut m = Mailbox::new();
        let mut env = FakeEnv::new();
        const WL_ON: u32 = 129;
        const HDMI_HPD_N: u32 = 132;
        // gpio_get_config: gpio, direction, polarity, term_en, term_pull_up.
        env.poke(BUFFER, &one_tag(GET_GPIO_CONFIG, 20, &[WL_ON]));
        call(&mut m, &mut env, 0);
        assert_eq!(
            env.peek(BUFFER + 16, 5),
            [TAG_RESPONSE | 16, GPIO_OK, 1, 0, 0],
            "WL_ON is an output"
        );
        env.poke(BUFFER, &one_tag(GET_GPIO_CONFIG, 20, &[HDMI_HPD_N]));
        call(&mut m, &mut env, 0);
        assert_eq!(
            env.peek(BUFFER + 20, 2),
            [GPIO_OK, 0],
            "HDMI_HPD_N is an input"
        );
        env.poke(BUFFER, &one_tag(GET_GPIO_STATE, 8, &[HDMI_HPD_N]));
        call(&mut m, &mut env, 0);
        assert_eq!(
            env.peek(BUFFER + 20, 2),
            [GPIO_OK, 1],
            "no display: HPD_N high"
        );
        env.poke(BUFFER, &one_tag(SET_GPIO_STATE, 8, &[WL_ON, 1]));
        call(&mut m, &mut env, 0);
        assert_eq!(env.peek(BUFFER + 20, 1), [GPIO_OK]);
        env.poke(BUFFER, &one_tag(GET_GPIO_STATE, 8, &[WL_ON]));
        call(&mut m, &mut env, 0);
        assert_eq!(env.peek(BUFFER + 24, 1), [1], "the output keeps its level");
        // An input ignores SET_GPIO_STATE until it is made an output.
        env.poke(BUFFER, &one_tag(SET_GPIO_STATE, 8, &[HDMI_HPD_N, 0]));
        call(&mut m, &mut env, 0);
        env.poke(BUFFER, &one_tag(GET_GPIO_STATE, 8, &[HDMI_HPD_N]));
        call(&mut m, &mut env, 0);
        assert_eq!(env.peek(BUFFER + 24, 1), [1]);
        env.poke(BUFFER, &one_tag(SET_GPIO_CONFIG, 24, &[HDMI_HPD_N, 1]));
        call(&mut m, &mut env, 0);
        env.poke(BUFFER, &one_tag(GET_GPIO_CONFIG, 20, &[HDMI_HPD_N]));
        call(&mut m, &mut env, 0);
        assert_eq!(env.peek(BUFFER + 24, 1), [1], "now an output");
        // Lines the expander does not have fail (status not 0).
        for gpio in [0, 127, 136] {
            env.poke(BUFFER, &one_tag(GET_GPIO_STATE, 8, &[gpio]));
            call(&mut m, &mut env, 0);
            assert_eq!(env.peek(BUFFER + 20, 1), [GPIO_NO_LINE], "line {gpio}");
        }
        env.poke(BUFFER, &one_tag(GET_THROTTLED, 4, &[0xffff]));
        call(&mut m, &mut env, 0);
        assert_eq!(env.peek(BUFFER + 16, 2), [TAG_RESPONSE | 4, THROTTLED_NONE]);
    }

    #[test]
    fn unknown_tags_are_left_unanswered_and_skipped() {
        let mut m = Mailbox::new();
        let mut env = FakeEnv::new();
        const SET_CURSOR_STATE: u32 = 0x0000_8011;
        #[rustfmt::skip]
        env.poke(BUFFER, &[
            12 * 4, 0,
            SET_CURSOR_STATE, 8, 8, 1, 2,
            GET_BOARD_MODEL, 4, 0, 0x5555,
            END,
        ]);
        call(&mut m, &mut env, 0);
        #[rustfmt::skip]
        assert_eq!(env.peek(BUFFER, 12), [
            12 * 4, REQUEST_SUCCESSFUL,
            SET_CURSOR_STATE, 8, 8, 1, 2,
            GET_BOARD_MODEL, 4, TAG_RESPONSE | 4, BOARD_MODEL,
            END,
        ]);
    }

    #[test]
    fn a_short_value_buffer_gets_a_cut_response_with_the_full_length() {
        let mut m = Mailbox::new();
        let mut env = FakeEnv::new();
        env.poke(BUFFER, &one_tag(GET_ARM_MEMORY, 4, &[]));
        call(&mut m, &mut env, 0);
        assert_eq!(env.peek(BUFFER + 4, 1), [REQUEST_SUCCESSFUL]);
        assert_eq!(env.peek(BUFFER + 16, 2), [TAG_RESPONSE | 8, 0], "base only");
        assert_eq!(
            env.peek(BUFFER + 24, 1),
            [END],
            "the size did not overwrite the end tag"
        );
        // The MAC address in a 5-byte buffer: the 6th byte is not written.
        env.poke(
            BUFFER,
            &one_tag(GET_BOARD_MAC_ADDRESS, 5, &[0, 0xffff_ffff]),
        );
        call(&mut m, &mut env, 0);
        assert_eq!(
            env.peek(BUFFER + 16, 3),
            [TAG_RESPONSE | 6, 0x7265_6602, 0xffff_ff72]
        );
    }

    #[test]
    fn malformed_buffers_get_the_error_code() {
        let mut m = Mailbox::new();
        let mut env = FakeEnv::new();
        // No end tag: the tag is answered, the buffer is an error.
        env.poke(BUFFER, &[5 * 4, 0, GET_BOARD_MODEL, 0, 0]);
        call(&mut m, &mut env, 0);
        assert_eq!(
            env.peek(BUFFER, 5),
            [
                20,
                ERROR_PARSING_REQUEST,
                GET_BOARD_MODEL,
                0,
                TAG_RESPONSE | 4
            ]
        );
        // A value buffer running past the end.
        env.poke(BUFFER, &[6 * 4, 0, GET_BOARD_MODEL, 400, 0, END]);
        call(&mut m, &mut env, 0);
        assert_eq!(
            env.peek(BUFFER, 5),
            [24, ERROR_PARSING_REQUEST, GET_BOARD_MODEL, 400, 0]
        );
        // Too short, and not whole words.
        for size in [0, 8, 13] {
            env.poke(BUFFER, &[size, 0, END, 0]);
            call(&mut m, &mut env, 0);
            assert_eq!(
                env.peek(BUFFER + 4, 1),
                [ERROR_PARSING_REQUEST],
                "size {size}"
            );
        }
        // Running past the end of RAM.
        let last = env.ram_bytes() - 16;
        env.poke(last, &[32, 0, END, 0]);
        m.write(MAIL1_WRITE, last as u32 | CHANNEL_PROPERTY, &mut env);
        assert_eq!(
            read(&mut m, &mut env, MAIL0_READ),
            last as u32 | CHANNEL_PROPERTY
        );
        assert_eq!(env.peek(last + 4, 1), [ERROR_PARSING_REQUEST]);
    }

    #[test]
    fn a_buffer_outside_ram_is_still_answered() {
        let mut m = Mailbox::new();
        let mut env = FakeEnv::new();
        let outside = 0x3000_0000 | CHANNEL_PROPERTY;
        m.write(MAIL1_WRITE, outside, &mut env);
        assert!(env.writes.is_empty());
        assert_eq!(read(&mut m, &mut env, MAIL0_READ), outside);
    }

    #[test]
    fn other_channels_answer_failure() {
        let mut m = Mailbox::new();
        let mut env = FakeEnv::new();
        const FRAMEBUFFER_CHANNEL: u32 = 1;
        m.write(MAIL1_WRITE, BUFFER as u32 | FRAMEBUFFER_CHANNEL, &mut env);
        assert_eq!(
            read(&mut m, &mut env, MAIL0_PEEK),
            1 << 4 | FRAMEBUFFER_CHANNEL
        );
        assert_eq!(
            read(&mut m, &mut env, MAIL0_READ),
            1 << 4 | FRAMEBUFFER_CHANNEL
        );
        assert!(env.writes.is_empty());
    }

    #[test]
    fn mailbox_0_holds_eight_answers() {
        let mut m = Mailbox::new();
        let mut env = FakeEnv::new();
        for i in 0..10 {
            m.write(MAIL1_WRITE, i << 4 | 2, &mut env);
        }
        assert_eq!(read(&mut m, &mut env, MAIL0_STATUS), FULL);
        assert_eq!(read(&mut m, &mut env, MAIL1_STATUS), FULL);
        for i in 0..8 {
            assert_eq!(read(&mut m, &mut env, MAIL0_READ), 1 << 4 | 2, "answer {i}");
        }
        assert_eq!(read(&mut m, &mut env, MAIL0_STATUS), EMPTY);
        assert_eq!(read(&mut m, &mut env, MAIL1_STATUS), EMPTY);
    }

    #[test]
    fn the_data_interrupt_follows_mailbox_0() {
        let mut m = Mailbox::new();
        let mut env = FakeEnv::new();
        m.write(MAIL0_CONFIG, 1, &mut env);
        assert_eq!(read(&mut m, &mut env, MAIL0_CONFIG), 1);
        assert!(!m.interrupt());
        m.write(MAIL1_WRITE, 2, &mut env);
        assert!(m.interrupt());
        read(&mut m, &mut env, MAIL0_READ);
        assert!(!m.interrupt());
    }

    /// Any known or unknown tag id.
    fn tag_id() -> impl Strategy<Value = u32> {
        let known: Vec<u32> = [
            GET_FIRMWARE_REVISION,
            GET_BOARD_MODEL,
            GET_BOARD_REVISION,
            GET_BOARD_MAC_ADDRESS,
            GET_BOARD_SERIAL,
            GET_ARM_MEMORY,
            GET_VC_MEMORY,
            GET_POWER_STATE,
            GET_TIMING,
            SET_POWER_STATE,
            GET_CLOCK_STATE,
            SET_CLOCK_STATE,
            GET_CLOCK_RATE,
            SET_CLOCK_RATE,
            GET_MAX_CLOCK_RATE,
            GET_MIN_CLOCK_RATE,
            GET_TEMPERATURE,
            GET_MAX_TEMPERATURE,
            GET_COMMAND_LINE,
            GET_DMA_CHANNELS,
        ]
        .into_iter()
        .chain(FRAMEBUFFER_TAGS.iter().map(|&(t, _)| t))
        .collect();
        prop_oneof![proptest::sample::select(known), any::<u32>()]
    }

    proptest! {
        #[test]
        fn never_writes_outside_the_declared_buffer(
            words in proptest::collection::vec(any::<u32>(), 0..64),
            size_words in 0u32..80,
            offset_words in 0u64..8,
        ) {
            let mut m = Mailbox::new();
            let mut env = FakeEnv::new();
            let at = BUFFER + offset_words * 16;
            env.poke(at, &words);
            env.poke(at, &[size_words * 4]);
            m.write(MAIL1_WRITE, at as u32 | CHANNEL_PROPERTY, &mut env);
            for &w in &env.writes {
                prop_assert!(w >= at && w < at + u64::from(size_words * 4).max(8), "wrote {w:#x}");
            }
        }

        #[test]
        fn answers_stay_inside_each_value_buffer(
            tags in proptest::collection::vec((tag_id(), 0u32..24, proptest::collection::vec(any::<u32>(), 6)), 1..8),
        ) {
            let mut m = Mailbox::new();
            let mut env = FakeEnv::new();
            let mut buffer = std::vec![0u32, 0];
            // The bytes each tag may write: its code word and value buffer.
            let mut writable = Vec::new();
            for (tag, value_bytes, values) in &tags {
                let start = BUFFER + buffer.len() as u64 * 4;
                writable.push((start + 8, start + 12 + u64::from(*value_bytes)));
                buffer.extend([*tag, *value_bytes, 0]);
                buffer.extend(&values[..value_bytes.div_ceil(4) as usize]);
            }
            buffer.push(END);
            buffer[0] = buffer.len() as u32 * 4;
            env.poke(BUFFER, &buffer);
            m.write(MAIL1_WRITE, BUFFER as u32 | CHANNEL_PROPERTY, &mut env);
            prop_assert_eq!(env.peek(BUFFER + 4, 1)[0], REQUEST_SUCCESSFUL);
            for &w in &env.writes {
                let ok = w == BUFFER + 4 || writable.iter().any(|&(from, to)| w >= from && w < to);
                prop_assert!(ok, "wrote {:#x}", w);
            }
            // Bytes of a value buffer's last partial word beyond its size
            // are unchanged.
            for (i, (_, value_bytes, values)) in tags.iter().enumerate() {
                let partial = value_bytes % 4;
                if partial != 0 {
                    let (from, _) = writable[i];
                    let word = from + 4 + u64::from(value_bytes - partial);
                    let before = values[(value_bytes / 4) as usize];
                    let mask = u32::MAX << (partial * 8);
                    prop_assert_eq!(env.peek(word, 1)[0] & mask, before & mask);
                }
            }
        }

        #[test]
        fn registers_never_panic(ops in proptest::collection::vec(op_strategy(SIZE as u32 + 8), 0..100)) {
            let mut m = Mailbox::new();
            let mut env = FakeEnv::new();
            exercise(&mut m, &mut env, &ops);
        }
    }
}
