//! The VideoCore mailboxes and their property channel: how an ARM program
//! asks the firmware about the board (revision, memory split, clocks).
//!
//! A request is a buffer of 32-bit words in RAM, 16-byte aligned: total
//! size, a request code, then tags (id, value buffer size, request/response
//! code, values) and an end tag. The ARM writes the buffer's bus address
//! with the channel number in the low four bits to mailbox 1 (ARM to
//! VideoCore) and waits for the same word to come back on mailbox 0.
//! Tag ids are in [`tag`], from the Raspberry Pi firmware's "Mailbox
//! property interface".

use crate::{Mmio, PhysAddr};
use tock_registers::interfaces::{Readable, Writeable};
use tock_registers::registers::{ReadOnly, ReadWrite, WriteOnly};
use tock_registers::{register_bitfields, register_structs};

register_bitfields! {u32,
    /// Mailbox status (the same layout for both mailboxes).
    #[allow(missing_docs)] // the generated Register type and field values
    pub MAIL_STATUS [
        /// The mailbox cannot take another word.
        FULL OFFSET(31) NUMBITS(1) [],
        /// The mailbox holds no word.
        EMPTY OFFSET(30) NUMBITS(1) []
    ],
    /// Mailbox configuration.
    #[allow(missing_docs)] // the generated Register type and field values
    pub MAIL_CONFIG [
        /// Interrupt the ARM while the mailbox holds data (ARM Mailbox IRQ).
        IHAVEDATAIRQEN OFFSET(0) NUMBITS(1) []
    ],
    /// A mailbox word.
    #[allow(missing_docs)] // the generated Register type and field values
    pub MAIL_DATA [
        /// The message: for the property channel, a buffer's bus address
        /// bits 31:4.
        DATA OFFSET(4) NUMBITS(28) [],
        /// The channel.
        CHANNEL OFFSET(0) NUMBITS(4) []
    ]
}

// ANCHOR: registers
register_structs! {
    /// Mailbox 0 (VideoCore to ARM) and mailbox 1 (ARM to VideoCore) at
    /// [`crate::map::MAILBOX_BASE`].
    // The fields are the registers, named as in the datasheet and
    // described by their bitfields above.
    #[allow(non_snake_case, missing_docs)]
    pub Registers {
        (0x00 => pub MAIL0_READ: ReadOnly<u32, MAIL_DATA::Register>),
        (0x04 => _reserved0),
        (0x10 => pub MAIL0_PEEK: ReadOnly<u32>),
        (0x14 => pub MAIL0_SENDER: ReadOnly<u32>),
        (0x18 => pub MAIL0_STATUS: ReadOnly<u32, MAIL_STATUS::Register>),
        (0x1c => pub MAIL0_CONFIG: ReadWrite<u32, MAIL_CONFIG::Register>),
        (0x20 => pub MAIL1_WRITE: WriteOnly<u32, MAIL_DATA::Register>),
        (0x24 => _reserved1),
        (0x30 => pub MAIL1_PEEK: ReadOnly<u32>),
        (0x34 => pub MAIL1_SENDER: ReadOnly<u32>),
        (0x38 => pub MAIL1_STATUS: ReadOnly<u32, MAIL_STATUS::Register>),
        (0x3c => pub MAIL1_CONFIG: ReadWrite<u32, MAIL_CONFIG::Register>),
        (0x40 => @END),
    }
}
// ANCHOR_END: registers

/// Property tags, ARM to VideoCore.
pub const CHANNEL_PROPERTY: u32 = 8;
/// The channel number's bits in a mailbox word.
pub const CHANNEL_MASK: u32 = 0xf;
/// The VideoCore sees ARM RAM through bus aliases in address bits 31:30.
pub const BUS_ALIAS_MASK: u32 = 0xc000_0000;
/// The bus alias of ARM RAM with the L2 cache bypassed.
pub const BUS_ALIAS_UNCACHED: u32 = 0xc000_0000;
/// Code of a request buffer ("process request").
pub const PROCESS_REQUEST: u32 = 0;
/// Response code: the buffer was processed.
pub const REQUEST_SUCCESSFUL: u32 = 0x8000_0000;
/// Response code: the buffer was malformed.
pub const ERROR_PARSING_REQUEST: u32 = 0x8000_0001;
/// A tag's response code has bit 31 set when the firmware answered it.
pub const TAG_RESPONSE: u32 = 0x8000_0000;
/// Clock id of the EMMC clock, which the SD host controller divides into
/// the SD clock.
pub const CLOCK_ID_EMMC: u32 = 1;
/// Clock id of the VideoCore core clock, which drives the mini UART.
pub const CLOCK_ID_CORE: u32 = 4;

// ANCHOR: tag_ids
/// Property tag ids (Raspberry Pi firmware, "Mailbox property interface").
pub mod tag {
    /// The GET_FIRMWARE_REVISION tag.
    pub const GET_FIRMWARE_REVISION: u32 = 0x0000_0001;
    /// The GET_BOARD_MODEL tag.
    pub const GET_BOARD_MODEL: u32 = 0x0001_0001;
    /// The GET_BOARD_REVISION tag.
    pub const GET_BOARD_REVISION: u32 = 0x0001_0002;
    /// The GET_BOARD_MAC_ADDRESS tag.
    pub const GET_BOARD_MAC_ADDRESS: u32 = 0x0001_0003;
    /// The GET_BOARD_SERIAL tag.
    pub const GET_BOARD_SERIAL: u32 = 0x0001_0004;
    /// The GET_ARM_MEMORY tag.
    pub const GET_ARM_MEMORY: u32 = 0x0001_0005;
    /// The GET_VC_MEMORY tag.
    pub const GET_VC_MEMORY: u32 = 0x0001_0006;
    /// The GET_POWER_STATE tag.
    pub const GET_POWER_STATE: u32 = 0x0002_0001;
    /// The GET_TIMING tag.
    pub const GET_TIMING: u32 = 0x0002_0002;
    /// The SET_POWER_STATE tag.
    pub const SET_POWER_STATE: u32 = 0x0002_8001;
    /// The GET_CLOCK_STATE tag.
    pub const GET_CLOCK_STATE: u32 = 0x0003_0001;
    /// The SET_CLOCK_STATE tag.
    pub const SET_CLOCK_STATE: u32 = 0x0003_8001;
    /// The GET_CLOCK_RATE tag.
    pub const GET_CLOCK_RATE: u32 = 0x0003_0002;
    /// The SET_CLOCK_RATE tag.
    pub const SET_CLOCK_RATE: u32 = 0x0003_8002;
    /// The GET_MAX_CLOCK_RATE tag.
    pub const GET_MAX_CLOCK_RATE: u32 = 0x0003_0004;
    /// The GET_MIN_CLOCK_RATE tag.
    pub const GET_MIN_CLOCK_RATE: u32 = 0x0003_0007;
    /// The GET_TEMPERATURE tag.
    pub const GET_TEMPERATURE: u32 = 0x0003_0006;
    /// The GET_MAX_TEMPERATURE tag.
    pub const GET_MAX_TEMPERATURE: u32 = 0x0003_000a;
    /// The GET_COMMAND_LINE tag.
    pub const GET_COMMAND_LINE: u32 = 0x0005_0001;
    /// The GET_DMA_CHANNELS tag.
    pub const GET_DMA_CHANNELS: u32 = 0x0006_0001;
    // Framebuffer.
    /// The ALLOCATE_BUFFER tag.
    pub const ALLOCATE_BUFFER: u32 = 0x0004_0001;
    /// The RELEASE_BUFFER tag.
    pub const RELEASE_BUFFER: u32 = 0x0004_8001;
    /// The BLANK_SCREEN tag.
    pub const BLANK_SCREEN: u32 = 0x0004_0002;
    /// The GET_PHYSICAL_WIDTH_HEIGHT tag.
    pub const GET_PHYSICAL_WIDTH_HEIGHT: u32 = 0x0004_0003;
    /// The TEST_PHYSICAL_WIDTH_HEIGHT tag.
    pub const TEST_PHYSICAL_WIDTH_HEIGHT: u32 = 0x0004_4003;
    /// The SET_PHYSICAL_WIDTH_HEIGHT tag.
    pub const SET_PHYSICAL_WIDTH_HEIGHT: u32 = 0x0004_8003;
    /// The GET_VIRTUAL_WIDTH_HEIGHT tag.
    pub const GET_VIRTUAL_WIDTH_HEIGHT: u32 = 0x0004_0004;
    /// The TEST_VIRTUAL_WIDTH_HEIGHT tag.
    pub const TEST_VIRTUAL_WIDTH_HEIGHT: u32 = 0x0004_4004;
    /// The SET_VIRTUAL_WIDTH_HEIGHT tag.
    pub const SET_VIRTUAL_WIDTH_HEIGHT: u32 = 0x0004_8004;
    /// The GET_DEPTH tag.
    pub const GET_DEPTH: u32 = 0x0004_0005;
    /// The TEST_DEPTH tag.
    pub const TEST_DEPTH: u32 = 0x0004_4005;
    /// The SET_DEPTH tag.
    pub const SET_DEPTH: u32 = 0x0004_8005;
    /// The GET_PIXEL_ORDER tag.
    pub const GET_PIXEL_ORDER: u32 = 0x0004_0006;
    /// The TEST_PIXEL_ORDER tag.
    pub const TEST_PIXEL_ORDER: u32 = 0x0004_4006;
    /// The SET_PIXEL_ORDER tag.
    pub const SET_PIXEL_ORDER: u32 = 0x0004_8006;
    /// The GET_ALPHA_MODE tag.
    pub const GET_ALPHA_MODE: u32 = 0x0004_0007;
    /// The TEST_ALPHA_MODE tag.
    pub const TEST_ALPHA_MODE: u32 = 0x0004_4007;
    /// The SET_ALPHA_MODE tag.
    pub const SET_ALPHA_MODE: u32 = 0x0004_8007;
    /// The GET_PITCH tag.
    pub const GET_PITCH: u32 = 0x0004_0008;
    /// The GET_VIRTUAL_OFFSET tag.
    pub const GET_VIRTUAL_OFFSET: u32 = 0x0004_0009;
    /// The TEST_VIRTUAL_OFFSET tag.
    pub const TEST_VIRTUAL_OFFSET: u32 = 0x0004_4009;
    /// The SET_VIRTUAL_OFFSET tag.
    pub const SET_VIRTUAL_OFFSET: u32 = 0x0004_8009;
    /// The GET_OVERSCAN tag.
    pub const GET_OVERSCAN: u32 = 0x0004_000a;
    /// The TEST_OVERSCAN tag.
    pub const TEST_OVERSCAN: u32 = 0x0004_400a;
    /// The SET_OVERSCAN tag.
    pub const SET_OVERSCAN: u32 = 0x0004_800a;
    /// The GET_PALETTE tag.
    pub const GET_PALETTE: u32 = 0x0004_000b;
    /// The TEST_PALETTE tag.
    pub const TEST_PALETTE: u32 = 0x0004_400b;
    /// The SET_PALETTE tag.
    pub const SET_PALETTE: u32 = 0x0004_800b;
    /// The GET_GPIO_STATE tag (the firmware's GPIO expander).
    pub const GET_GPIO_STATE: u32 = 0x0003_0041;
    /// The SET_GPIO_STATE tag.
    pub const SET_GPIO_STATE: u32 = 0x0003_8041;
    /// The GET_GPIO_CONFIG tag.
    pub const GET_GPIO_CONFIG: u32 = 0x0003_0043;
    /// The SET_GPIO_CONFIG tag.
    pub const SET_GPIO_CONFIG: u32 = 0x0003_8043;
    /// The GET_THROTTLED tag (under-voltage and throttling flags).
    pub const GET_THROTTLED: u32 = 0x0003_0046;
    /// The end tag.
    pub const END: u32 = 0;
}
// ANCHOR_END: tag_ids

/// Words in the request buffer.
const BUFFER_WORDS: usize = 16;
/// Words of the buffer header (size, code) and of a tag header (id, value
/// bytes, code).
const BUFFER_HEADER_WORDS: usize = 2;
const TAG_HEADER_WORDS: usize = 3;
/// Words around a tag's values: both headers and the end tag.
const OVERHEAD_WORDS: usize = BUFFER_HEADER_WORDS + TAG_HEADER_WORDS + 1;
/// Bytes in a buffer word.
const WORD_BYTES: usize = 4;
/// Cache line size of the Cortex-A53.
const CACHE_LINE: usize = 64;

/// A property buffer, aligned to a cache line (the mailbox word has no room
/// for the low four address bits, and the cache maintenance works in lines).
#[repr(C, align(64))]
struct Buffer([u32; BUFFER_WORDS]);

/// The mailbox.
pub struct Mailbox {
    regs: Mmio<Registers>,
}

impl Mailbox {
    /// The mailbox at `base`.
    ///
    /// # Safety
    ///
    /// `base` must be the VideoCore mailbox block
    /// ([`crate::map::MAILBOX_BASE`]), accessible as device memory.
    pub const unsafe fn new(base: PhysAddr) -> Self {
        Self {
            // SAFETY: passed on from the caller.
            regs: unsafe { Mmio::new(base) },
        }
    }

    // ANCHOR: call
    /// Send one tag with `values` (request values in, response values out).
    /// Returns `None` when the firmware did not answer the tag.
    ///
    /// RAM is identity-mapped (or the MMU is off): the buffer's address is
    /// its physical address.
    pub fn property(&self, tag: u32, values: &mut [u32]) -> Option<()> {
        let n = values.len();
        assert!(
            n + OVERHEAD_WORDS <= BUFFER_WORDS,
            "property request too large"
        );
        let mut buffer = Buffer([0; BUFFER_WORDS]);
        let words = &mut buffer.0;
        words[0] = ((n + OVERHEAD_WORDS) * WORD_BYTES) as u32;
        words[1] = PROCESS_REQUEST;
        words[2] = tag;
        words[3] = (n * WORD_BYTES) as u32;
        words[4] = 0;
        words[5..5 + n].copy_from_slice(values);
        words[5 + n] = tag::END;

        let address = words.as_ptr() as usize;
        clean_and_invalidate(address, core::mem::size_of::<Buffer>());
        let message = (address as u32 | BUS_ALIAS_UNCACHED) | CHANNEL_PROPERTY;
        // Mailbox 1 carries messages to the VideoCore: wait for room in it.
        while self.regs.MAIL1_STATUS.is_set(MAIL_STATUS::FULL) {
            core::hint::spin_loop();
        }
        self.regs.MAIL1_WRITE.set(message);
        loop {
            // Mailbox 0 carries the answers back.
            while self.regs.MAIL0_STATUS.is_set(MAIL_STATUS::EMPTY) {
                core::hint::spin_loop();
            }
            if self.regs.MAIL0_READ.get() == message {
                break;
            }
        }
        clean_and_invalidate(address, core::mem::size_of::<Buffer>());

        // SAFETY: the firmware wrote the buffer; read it back as memory
        // that changed behind the compiler's back.
        let reply = unsafe { core::ptr::read_volatile(&buffer) }.0;
        if reply[1] != REQUEST_SUCCESSFUL || reply[4] & TAG_RESPONSE == 0 {
            return None;
        }
        values.copy_from_slice(&reply[5..5 + n]);
        Some(())
    }
    // ANCHOR_END: call

    /// The board revision code.
    pub fn board_revision(&self) -> Option<u32> {
        let mut v = [0];
        self.property(tag::GET_BOARD_REVISION, &mut v)?;
        Some(v[0])
    }

    /// Base and size in bytes of the ARM's share of RAM.
    pub fn arm_memory(&self) -> Option<(u32, u32)> {
        let mut v = [0, 0];
        self.property(tag::GET_ARM_MEMORY, &mut v)?;
        Some((v[0], v[1]))
    }

    /// The end of the ARM's share of RAM (base + size).
    pub fn arm_memory_end(&self) -> Option<u64> {
        self.arm_memory()
            .map(|(base, size)| u64::from(base) + u64::from(size))
    }

    /// The rate of clock `id` in Hz (0 when the firmware does not know it).
    pub fn clock_rate(&self, id: u32) -> Option<u32> {
        let mut v = [id, 0];
        self.property(tag::GET_CLOCK_RATE, &mut v)?;
        Some(v[1])
    }
}

/// Write dirty cache lines of `[start, start+len)` back to RAM and drop
/// them, so the VideoCore (which does not snoop the ARM caches) and the ARM
/// see the same bytes. With the caches off it changes nothing.
fn clean_and_invalidate(start: usize, len: usize) {
    let mut line = start & !(CACHE_LINE - 1);
    while line < start + len {
        #[cfg(target_arch = "aarch64")]
        // SAFETY: cache maintenance by address has no effect on program state.
        unsafe {
            core::arch::asm!("dc civac, {}", in(reg) line, options(nostack))
        };
        line += CACHE_LINE;
    }
    #[cfg(target_arch = "aarch64")]
    // SAFETY: a barrier only orders memory accesses.
    unsafe {
        core::arch::asm!("dsb sy", options(nostack))
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::mem::offset_of;

    #[test]
    fn offsets_are_the_firmwares() {
        assert_eq!(offset_of!(Registers, MAIL0_STATUS), 0x18);
        assert_eq!(offset_of!(Registers, MAIL1_WRITE), 0x20);
        assert_eq!(offset_of!(Registers, MAIL1_STATUS), 0x38);
        assert_eq!(core::mem::size_of::<Registers>(), 0x40);
    }

    #[test]
    fn tag_ids() {
        assert_eq!(tag::GET_BOARD_REVISION, 0x0001_0002);
        assert_eq!(tag::GET_ARM_MEMORY, 0x0001_0005);
        assert_eq!(tag::GET_CLOCK_RATE, 0x0003_0002);
    }
}
