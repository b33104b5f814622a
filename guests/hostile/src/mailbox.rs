//! The VideoCore mailbox's property channel, for one question: how much
//! RAM does this (virtual) board give the ARM? The probes that reach past
//! the end of RAM need to know where it ends.

use crate::mmio::Mmio;
use tock_registers::interfaces::{Readable, Writeable};
use tock_registers::registers::{ReadOnly, WriteOnly};
use tock_registers::{register_bitfields, register_structs};

register_bitfields! {u32,
    /// Mailbox status.
    MAIL_STATUS [
        /// The mailbox cannot take another word.
        FULL OFFSET(31) NUMBITS(1) [],
        /// The mailbox holds no word.
        EMPTY OFFSET(30) NUMBITS(1) []
    ]
}

register_structs! {
    /// Mailbox 0 (VideoCore to ARM) and mailbox 1 (ARM to VideoCore).
    #[allow(non_snake_case)]
    pub Registers {
        (0x00 => MAIL0_READ: ReadOnly<u32>),
        (0x04 => _mail0_reserved),
        (0x18 => MAIL0_STATUS: ReadOnly<u32, MAIL_STATUS::Register>),
        (0x1c => _mail0_config),
        (0x20 => MAIL1_WRITE: WriteOnly<u32>),
        (0x24 => _mail1_reserved),
        (0x38 => MAIL1_STATUS: ReadOnly<u32, MAIL_STATUS::Register>),
        (0x3c => _mail1_config),
        (0x40 => @END),
    }
}

/// The property channel (ARM to VideoCore).
const CHANNEL_PROPERTY: u32 = 8;
/// The channel number's bits in a mailbox word.
const CHANNEL_MASK: u32 = 0xf;
/// A buffer's request code, and the firmware's "success" answer.
const REQUEST: u32 = 0;
const RESPONSE_SUCCESS: u32 = 0x8000_0000;
/// Tag GET_ARM_MEMORY: base and size of the ARM's RAM.
const TAG_GET_ARM_MEMORY: u32 = 0x0001_0005;
/// Bytes of that tag's value buffer (two words).
const ARM_MEMORY_VALUE_BYTES: u32 = 8;
/// The end tag.
const TAG_END: u32 = 0;
/// Words of the request buffer.
const BUFFER_WORDS: usize = 8;
/// Bytes in a buffer word.
const WORD_BYTES: usize = 4;

/// A property buffer: 16-byte aligned, as the mailbox word has no room for
/// the low four address bits.
#[repr(C, align(16))]
struct Buffer([u32; BUFFER_WORDS]);

/// The VideoCore mailbox.
pub struct Mailbox {
    regs: Mmio<Registers>,
}

impl Mailbox {
    /// The mailbox at `base`.
    ///
    /// # Safety
    ///
    /// `base` must be the VideoCore mailbox block.
    pub const unsafe fn new(base: usize) -> Self {
        Self {
            // SAFETY: passed on from the caller.
            regs: unsafe { Mmio::new(base) },
        }
    }

    /// The end of the ARM's RAM (base + size), if the firmware answers.
    pub fn arm_memory_end(&self) -> Option<u64> {
        let mut buffer = Buffer([
            (BUFFER_WORDS * WORD_BYTES) as u32,
            REQUEST,
            TAG_GET_ARM_MEMORY,
            ARM_MEMORY_VALUE_BYTES,
            0,
            0,
            0,
            TAG_END,
        ]);
        let pointer = buffer.0.as_mut_ptr();
        // The MMU is off: the address is the physical (guest physical)
        // address, and there is no cache to clean.
        let message = pointer as u32 | CHANNEL_PROPERTY;
        while self.regs.MAIL1_STATUS.is_set(MAIL_STATUS::FULL) {
            core::hint::spin_loop();
        }
        self.regs.MAIL1_WRITE.set(message);
        loop {
            while self.regs.MAIL0_STATUS.is_set(MAIL_STATUS::EMPTY) {
                core::hint::spin_loop();
            }
            let answer = self.regs.MAIL0_READ.get();
            if answer & CHANNEL_MASK == CHANNEL_PROPERTY {
                break;
            }
        }
        // SAFETY: the firmware wrote the answer into `buffer`; read it as
        // memory that changed behind the compiler's back.
        let read = |word: usize| unsafe { core::ptr::read_volatile(pointer.add(word)) };
        (read(1) == RESPONSE_SUCCESS).then(|| u64::from(read(5)) + u64::from(read(6)))
    }
}
