//! The SD card on the EMMC controller: the SD Physical Layer's
//! initialisation sequence, the card's capacity and addressing, and block
//! reads, over the host driver [`super::sdhci`].
//!
//! The sequence (Physical Layer Simplified Specification, 4.2, "Card
//! Identification Mode"): CMD0 puts the card in the idle state; CMD8 tells
//! it the host's voltage and asks for a check pattern back (a card of
//! version 1.x, older than SDHC, does not answer); ACMD41 with HCS (the
//! host takes high capacity cards), repeated until the card says it has
//! powered up, tells whether it is SDHC/SDXC (CCS); CMD2 and CMD3 give it
//! an address (RCA); CMD9 reads its CSD (the capacity); the clock goes up
//! to 25 MHz; CMD7 selects it; ACMD6 and the host switch to four data lines.
//! A standard capacity card (CCS = 0) is addressed in bytes and gets CMD16
//! for 512-byte blocks; SDHC/SDXC cards are addressed in blocks.
//!
//! No card shows as silence: CMD0 has no response, CMD8 and then CMD55
//! time out in the controller (a Pi 3 has no card-detect line on this
//! controller), so the absence of a card costs two command timeouts.

use super::sdhci::DEFAULT_SPEED_CLOCK_HZ;
use super::sdhci::{Bus, Command, Error, Host, Response, BLOCK_LEN, MAX_BLOCKS_PER_COMMAND};
use embedded_hal::delay::DelayNs;

/// The commands used, with their names in the specification.
pub mod cmd {
    use super::{Command, Response};
    /// Reset the card to the idle state.
    pub const GO_IDLE_STATE: Command = Command::new(0, "GO_IDLE_STATE", Response::None);
    /// Ask every card for its CID.
    pub const ALL_SEND_CID: Command = Command::new(2, "ALL_SEND_CID", Response::R2);
    /// Ask the card to publish a relative address.
    pub const SEND_RELATIVE_ADDR: Command = Command::new(3, "SEND_RELATIVE_ADDR", Response::R6);
    /// Select the card (to the transfer state).
    pub const SELECT_CARD: Command = Command::new(7, "SELECT_CARD", Response::R1b);
    /// Send the interface condition (voltage and check pattern).
    pub const SEND_IF_COND: Command = Command::new(8, "SEND_IF_COND", Response::R7);
    /// Send the card-specific data (CSD).
    pub const SEND_CSD: Command = Command::new(9, "SEND_CSD", Response::R2);
    /// Stop a multiple block transfer.
    pub const STOP_TRANSMISSION: Command = Command::new(12, "STOP_TRANSMISSION", Response::R1b);
    /// Set the block length (standard capacity cards).
    pub const SET_BLOCKLEN: Command = Command::new(16, "SET_BLOCKLEN", Response::R1);
    /// Read one block.
    pub const READ_SINGLE_BLOCK: Command = Command::new(17, "READ_SINGLE_BLOCK", Response::R1);
    /// Read blocks until stopped.
    pub const READ_MULTIPLE_BLOCK: Command = Command::new(18, "READ_MULTIPLE_BLOCK", Response::R1);
    /// The next command is an application command.
    pub const APP_CMD: Command = Command::new(55, "APP_CMD", Response::R1);
    /// Set the data bus width.
    pub const SET_BUS_WIDTH: Command = Command::app(6, "SET_BUS_WIDTH", Response::R1);
    /// Send the host's capacity support, get the OCR.
    pub const SD_SEND_OP_COND: Command = Command::app(41, "SD_SEND_OP_COND", Response::R3);
}

/// CMD8 argument: VHS, the host supplies 2.7-3.6 V.
const VHS_2V7_3V6: u32 = 0b0001 << 8;
/// CMD8 argument: the check pattern the card echoes.
const CHECK_PATTERN: u32 = 0xaa;
/// The bits of R7 that echo VHS and the check pattern.
const R7_ECHO: u32 = 0xfff;
/// OCR: the voltage window 2.7-3.6 V (bits 15-23).
const OCR_VOLTAGE_WINDOW: u32 = 0x00ff_8000;
/// OCR: Host Capacity Support in ACMD41's argument, Card Capacity Status
/// in its response.
const OCR_HCS_CCS: u32 = 1 << 30;
/// OCR: the card has finished powering up (the busy bit, active high).
const OCR_POWER_UP_DONE: u32 = 1 << 31;
/// The specification gives a card one second to power up in ACMD41.
const POWER_UP_TIMEOUT_US: u32 = 1_000_000;
/// Microseconds between two ACMD41.
const POWER_UP_POLL_US: u32 = 10_000;
/// ACMD6 argument: four data lines.
const BUS_WIDTH_4: u32 = 0b10;
/// The RCA goes in bits 31:16 of the argument.
const RCA_SHIFT: u32 = 16;
/// Card status bits that say a read went wrong: OUT_OF_RANGE,
/// ADDRESS_ERROR, BLOCK_LEN_ERROR, CARD_ECC_FAILED, CC_ERROR, ERROR.
const READ_STATUS_ERRORS: u32 =
    (1 << 31) | (1 << 30) | (1 << 29) | (1 << 21) | (1 << 20) | (1 << 19);

/// How the card counts addresses in read commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Addressing {
    /// Standard capacity (CCS = 0): the address is a byte offset.
    Byte,
    /// SDHC/SDXC (CCS = 1): the address is a block number.
    Block,
}

/// An initialised card, ready to read.
pub struct Card<B: Bus, D: DelayNs> {
    host: Host<B, D>,
    rca: u16,
    addressing: Addressing,
    blocks: u32,
}

impl<B: Bus, D: DelayNs> Card<B, D> {
    // ANCHOR: init
    /// Reset the controller and take the card through identification to
    /// the transfer state, four bits wide.
    pub fn init(mut host: Host<B, D>) -> Result<Self, Error> {
        host.reset()?;
        host.command(cmd::GO_IDLE_STATE, 0)?;
        // Version 2.00 or later answers CMD8; a 1.x card or no card does not.
        let if_cond = VHS_2V7_3V6 | CHECK_PATTERN;
        let version2 = match host.command(cmd::SEND_IF_COND, if_cond) {
            Ok(r) if r[0] & R7_ECHO == if_cond => true,
            Ok(r) => return Err(Error::BadInterfaceCondition(r[0])),
            Err(Error::CommandTimeout(_)) => false,
            Err(e) => return Err(e),
        };
        let ocr = power_up(&mut host, version2)?;
        let addressing = if version2 && ocr & OCR_HCS_CCS != 0 {
            Addressing::Block
        } else {
            Addressing::Byte
        };
        host.command(cmd::ALL_SEND_CID, 0)?;
        let rca = (host.command(cmd::SEND_RELATIVE_ADDR, 0)?[0] >> RCA_SHIFT) as u16;
        let address = u32::from(rca) << RCA_SHIFT;
        let blocks = capacity_blocks(host.command(cmd::SEND_CSD, address)?);
        host.set_clock(DEFAULT_SPEED_CLOCK_HZ)?;
        host.command(cmd::SELECT_CARD, address)?;
        app_command(&mut host, rca, cmd::SET_BUS_WIDTH, BUS_WIDTH_4)?;
        host.set_four_bit_bus();
        if addressing == Addressing::Byte {
            host.command(cmd::SET_BLOCKLEN, BLOCK_LEN as u32)?;
        }
        Ok(Self {
            host,
            rca,
            addressing,
            blocks,
        })
    }
    // ANCHOR_END: init

    /// The card's size in blocks (from its CSD).
    pub fn blocks(&self) -> u32 {
        self.blocks
    }

    /// How the card is addressed.
    pub fn addressing(&self) -> Addressing {
        self.addressing
    }

    /// The card's relative address.
    pub fn rca(&self) -> u16 {
        self.rca
    }

    /// The host, for tests that look at the model behind it.
    #[cfg(test)]
    pub fn host(&mut self) -> &mut Host<B, D> {
        &mut self.host
    }

    // ANCHOR: read
    /// Read blocks from `first` on into `buf` (a multiple of 512 bytes):
    /// CMD17 for one block, CMD18 with an automatic CMD12 for more.
    pub fn read(&mut self, first: u32, buf: &mut [u8]) -> Result<(), Error> {
        let count = (buf.len() / BLOCK_LEN) as u32;
        if u64::from(first) + u64::from(count) > u64::from(self.blocks) {
            return Err(Error::OutOfRange(first.saturating_add(count)));
        }
        let mut block = first;
        for chunk in buf.chunks_mut(MAX_BLOCKS_PER_COMMAND * BLOCK_LEN) {
            let n = (chunk.len() / BLOCK_LEN) as u32;
            let command = if n == 1 {
                cmd::READ_SINGLE_BLOCK
            } else {
                cmd::READ_MULTIPLE_BLOCK
            };
            let address = match self.addressing {
                Addressing::Block => block,
                // A standard capacity card holds at most 2 GiB: this fits.
                Addressing::Byte => block * BLOCK_LEN as u32,
            };
            let result = self.host.read_blocks(command, address, chunk);
            if result.is_err() && n > 1 {
                // Bring the card back to the transfer state; the first
                // error is the one to report.
                let _ = self.host.command(cmd::STOP_TRANSMISSION, 0);
            }
            let status = result?;
            if status & READ_STATUS_ERRORS != 0 {
                return Err(Error::CardStatus(command, status));
            }
            block += n;
        }
        Ok(())
    }
    // ANCHOR_END: read
}

/// CMD55 with the card's address, then `acmd`.
fn app_command<B: Bus, D: DelayNs>(
    host: &mut Host<B, D>,
    rca: u16,
    acmd: Command,
    arg: u32,
) -> Result<[u32; 4], Error> {
    host.command(cmd::APP_CMD, u32::from(rca) << RCA_SHIFT)?;
    host.command(acmd, arg)
}

// ANCHOR: power_up
/// ACMD41 until the card has powered up (at most a second); its OCR.
/// Silence at the first try means there is no card.
fn power_up<B: Bus, D: DelayNs>(host: &mut Host<B, D>, version2: bool) -> Result<u32, Error> {
    let mut arg = OCR_VOLTAGE_WINDOW;
    if version2 {
        arg |= OCR_HCS_CCS;
    }
    for attempt in 0..=POWER_UP_TIMEOUT_US / POWER_UP_POLL_US {
        let ocr = match app_command(host, 0, cmd::SD_SEND_OP_COND, arg) {
            Ok(r) => r[0],
            Err(Error::CommandTimeout(_)) if attempt == 0 => return Err(Error::NoCard),
            Err(e) => return Err(e),
        };
        if ocr & OCR_POWER_UP_DONE != 0 {
            return Ok(ocr);
        }
        host.delay_us(POWER_UP_POLL_US);
    }
    Err(Error::NotReady)
}
// ANCHOR_END: power_up

// ANCHOR: capacity
/// The card's size in 512-byte blocks, from its CSD (Physical Layer 5.3).
/// The controller keeps the 136-bit response without its CRC byte, so CSD
/// bit n is bit n - 8 of RESP0-3.
pub fn capacity_blocks(resp: [u32; 4]) -> u32 {
    let csd = (u128::from(resp[0])
        | u128::from(resp[1]) << 32
        | u128::from(resp[2]) << 64
        | u128::from(resp[3]) << 96)
        << 8;
    let bits = |high: u32, low: u32| ((csd >> low) & ((1u128 << (high - low + 1)) - 1)) as u64;
    let blocks = match bits(127, 126) {
        // CSD version 1.0: (C_SIZE + 1) * 2^(C_SIZE_MULT + 2) blocks of
        // 2^READ_BL_LEN bytes.
        0 => (bits(73, 62) + 1) << (bits(49, 47) + 2) << bits(83, 80) >> BLOCK_LEN.ilog2(),
        // CSD version 2.0 (SDHC, SDXC): (C_SIZE + 1) * 512 KiB.
        _ => (bits(69, 48) + 1) * 1024,
    };
    u32::try_from(blocks).unwrap_or(u32::MAX)
}
// ANCHOR_END: capacity
