//! The VideoCore mailbox property channel: asking the firmware about the
//! board (revision, memory split, clock rates).
//!
//! A request is a buffer of 32-bit words in RAM: total size, a request code,
//! then tags (id, value buffer size, request/response code, values) and an
//! end tag. The ARM writes the buffer's bus address with the channel number
//! in the low four bits to the write register of mailbox 1 and waits for the
//! same value to come back on mailbox 0.

use super::mmio::Mmio;
use tock_registers::interfaces::{Readable, Writeable};
use tock_registers::registers::{ReadOnly, WriteOnly};
use tock_registers::{register_bitfields, register_structs};

register_bitfields! {u32,
    /// A mailbox's status register (the same layout for both mailboxes).
    STATUS [
        /// The mailbox cannot take another word.
        FULL OFFSET(31) NUMBITS(1) [],
        /// The mailbox holds nothing to read.
        EMPTY OFFSET(30) NUMBITS(1) []
    ]
}

register_structs! {
    /// The mailbox registers at `MAILBOX_BASE`.
    #[allow(non_snake_case)]
    pub Registers {
        (0x00 => MAIL0_READ: ReadOnly<u32>),
        (0x04 => _reserved0),
        (0x18 => MAIL0_STATUS: ReadOnly<u32, STATUS::Register>),
        (0x1c => _reserved1),
        (0x20 => MAIL1_WRITE: WriteOnly<u32>),
        (0x24 => _reserved2),
        (0x38 => MAIL1_STATUS: ReadOnly<u32, STATUS::Register>),
        (0x3c => @END),
    }
}

/// The property channel (ARM to VideoCore).
const CHANNEL_PROPERTY: u32 = 8;
/// Code of a request buffer.
const PROCESS_REQUEST: u32 = 0;
/// Response code bit 31: the firmware handled the buffer.
const RESPONSE_SUCCESS: u32 = 0x8000_0000;
/// A tag's response code has bit 31 set when the firmware answered it.
const TAG_RESPONSE: u32 = 0x8000_0000;
/// The VideoCore sees ARM RAM at this bus alias, uncached (L2 bypass).
const BUS_ALIAS_UNCACHED: u32 = 0xc000_0000;
/// Words in the request buffer.
const BUFFER_WORDS: usize = 16;
/// Cache line size of the Cortex-A53.
const CACHE_LINE: usize = 64;

/// GET_BOARD_REVISION.
pub const TAG_GET_BOARD_REVISION: u32 = 0x0001_0002;
/// GET_ARM_MEMORY: base and size of the RAM the ARM owns.
pub const TAG_GET_ARM_MEMORY: u32 = 0x0001_0005;
/// GET_CLOCK_RATE of a clock id.
pub const TAG_GET_CLOCK_RATE: u32 = 0x0003_0002;
/// Clock id of the VideoCore core clock, which drives the mini UART.
pub const CLOCK_ID_CORE: u32 = 4;

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
    /// `base` must be the VideoCore mailbox block, mapped as device memory.
    pub const unsafe fn new(base: usize) -> Self {
        // SAFETY: passed on from the caller.
        let regs = unsafe { Mmio::new(base) };
        Self { regs }
    }

    // ANCHOR: call
    /// Send one tag with `values` (request values in, response values out).
    /// Returns `None` when the firmware did not answer the tag.
    pub fn property(&self, tag: u32, values: &mut [u32]) -> Option<()> {
        let n = values.len();
        assert!(n + 6 <= BUFFER_WORDS, "property request too large");
        let mut buffer = Buffer([0; BUFFER_WORDS]);
        let words = &mut buffer.0;
        words[0] = ((n + 6) * 4) as u32;
        words[1] = PROCESS_REQUEST;
        words[2] = tag;
        words[3] = (n * 4) as u32;
        words[4] = 0;
        words[5..5 + n].copy_from_slice(values);
        words[5 + n] = 0; // end tag

        let address = words.as_ptr() as usize;
        clean_and_invalidate(address, core::mem::size_of::<Buffer>());
        let message = (address as u32 | BUS_ALIAS_UNCACHED) | CHANNEL_PROPERTY;
        // Mailbox 1 carries messages to the VideoCore: wait for room in it.
        while self.regs.MAIL1_STATUS.is_set(STATUS::FULL) {
            core::hint::spin_loop();
        }
        self.regs.MAIL1_WRITE.set(message);
        loop {
            // Mailbox 0 carries the answers back.
            while self.regs.MAIL0_STATUS.is_set(STATUS::EMPTY) {
                core::hint::spin_loop();
            }
            if self.regs.MAIL0_READ.get() == message {
                break;
            }
        }
        clean_and_invalidate(address, core::mem::size_of::<Buffer>());

        // SAFETY: the firmware wrote the buffer; read it back as memory.
        let reply = unsafe { core::ptr::read_volatile(&buffer) }.0;
        if reply[1] != RESPONSE_SUCCESS || reply[4] & TAG_RESPONSE == 0 {
            return None;
        }
        values.copy_from_slice(&reply[5..5 + n]);
        Some(())
    }
    // ANCHOR_END: call

    /// The board revision code.
    pub fn board_revision(&self) -> Option<u32> {
        let mut v = [0];
        self.property(TAG_GET_BOARD_REVISION, &mut v)?;
        Some(v[0])
    }

    /// Base and size in bytes of the ARM's share of RAM.
    pub fn arm_memory(&self) -> Option<(u32, u32)> {
        let mut v = [0, 0];
        self.property(TAG_GET_ARM_MEMORY, &mut v)?;
        Some((v[0], v[1]))
    }

    /// The rate of clock `id` in Hz (0 when the firmware does not know it).
    pub fn clock_rate(&self, id: u32) -> Option<u32> {
        let mut v = [id, 0];
        self.property(TAG_GET_CLOCK_RATE, &mut v)?;
        Some(v[1])
    }
}

/// Write dirty cache lines of `[start, start+len)` back to RAM and drop
/// them, so the VideoCore (which does not snoop the ARM caches) and the ARM
/// see the same bytes.
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
