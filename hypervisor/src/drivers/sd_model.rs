//! A model of the EMMC controller with an SD card in its slot, for the
//! driver's host tests: the registers as the SDHCI specification and the
//! SD Physical Layer make them behave for the commands the driver sends,
//! plus the faults a test asks for (no card, a command that gets no
//! answer, a block with a bad CRC, a controller that never finishes).

use super::sdhci::{reg, Bus, BLOCK_LEN};
use raspi3b::emmc::{BLKSIZECNT, CMDTM, CONTROL0, CONTROL1, INTERRUPT};
use std::collections::VecDeque;
use std::vec::Vec;

/// The error flags, INTERRUPT bits 31:16; ERR is their summary.
const ERROR_FLAGS: u32 = 0xffff_0000;

/// The card in the slot.
pub struct CardModel {
    /// Its contents; blocks past the end read as zero.
    pub image: Vec<u8>,
    /// Its size in blocks, as its CSD says.
    pub blocks: u32,
    /// SDHC/SDXC (CCS = 1) rather than standard capacity.
    pub high_capacity: bool,
    /// Version 2.00 or later: answers CMD8.
    pub version2: bool,
    /// ACMD41s answered busy before the card is ready.
    pub busy_polls: u32,
    /// The relative address it publishes.
    pub rca: u16,
    /// Selected by CMD7.
    pub selected: bool,
    /// Four data lines (ACMD6).
    pub four_bit: bool,
}

impl CardModel {
    /// A card of `blocks` blocks holding `image`.
    pub fn new(image: Vec<u8>, blocks: u32, high_capacity: bool) -> Self {
        Self {
            image,
            blocks,
            high_capacity,
            version2: true,
            busy_polls: 2,
            rca: 0x4567,
            selected: false,
            four_bit: false,
        }
    }

    fn block(&self, n: u32) -> Vec<u32> {
        let start = n as usize * BLOCK_LEN;
        (0..BLOCK_LEN / 4)
            .map(|w| {
                let mut bytes = [0; 4];
                for (i, b) in bytes.iter_mut().enumerate() {
                    *b = self.image.get(start + 4 * w + i).copied().unwrap_or(0);
                }
                u32::from_le_bytes(bytes)
            })
            .collect()
    }

    /// The CSD as the controller holds it (without the CRC byte).
    fn csd(&self) -> [u32; 4] {
        let csd: u128 = if self.high_capacity {
            // Version 2.0: C_SIZE in bits 69:48, units of 512 KiB.
            (1 << 126) | (u128::from(self.blocks / 1024 - 1) << 48)
        } else {
            // Version 1.0: 512-byte blocks (READ_BL_LEN 9), C_SIZE_MULT 7.
            (9 << 80) | (u128::from(self.blocks / 512 - 1) << 62) | (7 << 47)
        };
        let r = csd >> 8;
        [
            r as u32,
            (r >> 32) as u32,
            (r >> 64) as u32,
            (r >> 96) as u32,
        ]
    }
}

/// A fault to inject.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// None.
    None,
    /// Command `n` (not an ACMD) gets no answer.
    Timeout(u8),
    /// The block with this number arrives with a bad CRC.
    DataCrc(u32),
    /// The controller never ends a command.
    Hang,
}

/// The controller.
pub struct Model {
    /// The card, if one is in the slot.
    pub card: Option<CardModel>,
    /// The fault to inject.
    pub fault: Fault,
    /// Every command sent: (ACMD, index, argument).
    pub log: Vec<(bool, u8, u32)>,
    /// Every CMDTM value written.
    pub cmdtm_log: Vec<u32>,
    /// Every clock divider enabled (CONTROL1 with CLK_EN).
    pub dividers: Vec<u32>,
    /// SRST_CMD and SRST_DATA resets seen.
    pub line_resets: u32,
    plain: [u32; 64],
    interrupt: u32,
    control1: u32,
    resp: [u32; 4],
    /// The block being read out of DATA, then the ones after it.
    blocks: VecDeque<VecDeque<u32>>,
    /// A bad block is pending in `blocks`: its index in the queue.
    bad_block: Option<usize>,
    app_next: bool,
}

/// What the card answers: a response, no answer, or data to send.
enum Answer {
    Resp([u32; 4]),
    Silence,
    Data(u32, u32),
}

impl Model {
    /// A controller with `card` in its slot.
    pub fn new(card: Option<CardModel>) -> Self {
        Self {
            card,
            fault: Fault::None,
            log: Vec::new(),
            cmdtm_log: Vec::new(),
            dividers: Vec::new(),
            line_resets: 0,
            plain: [0; 64],
            interrupt: 0,
            control1: 0,
            resp: [0; 4],
            blocks: VecDeque::new(),
            bad_block: None,
            app_next: false,
        }
    }

    /// The commands sent, as "CMD8" / "ACMD41".
    pub fn commands(&self) -> Vec<std::string::String> {
        self.log
            .iter()
            .map(|&(app, i, _)| std::format!("{}CMD{}", if app { "A" } else { "" }, i))
            .collect()
    }

    fn flag(&mut self, bits: u32) {
        self.interrupt |= bits & self.plain[reg::IRPT_MASK / 4];
    }

    fn command(&mut self, cmdtm: u32) {
        self.cmdtm_log.push(cmdtm);
        if self.fault == Fault::Hang {
            return;
        }
        let index = CMDTM::CMD_INDEX.read(cmdtm) as u8;
        let arg = self.plain[reg::ARG1 / 4];
        let app = std::mem::take(&mut self.app_next);
        self.log.push((app, index, arg));
        let answer = if self.fault == Fault::Timeout(index) && !app {
            Answer::Silence
        } else {
            self.answer(app, index, arg, cmdtm)
        };
        match answer {
            Answer::Silence => {
                if CMDTM::CMD_RSPNS_TYPE.read(cmdtm) == 0 {
                    self.flag(INTERRUPT::CMD_DONE::SET.value);
                } else {
                    self.flag(INTERRUPT::CTO_ERR::SET.value);
                }
            }
            Answer::Resp(r) => {
                self.resp = r;
                self.flag(INTERRUPT::CMD_DONE::SET.value);
            }
            Answer::Data(first, count) => {
                self.resp = [0, 0, 0, 0];
                self.flag(INTERRUPT::CMD_DONE::SET.value);
                let card = self.card.as_ref().unwrap();
                self.blocks = (first..first + count)
                    .map(|n| card.block(n).into())
                    .collect();
                self.bad_block = match self.fault {
                    Fault::DataCrc(b) if (first..first + count).contains(&b) => {
                        Some((b - first) as usize)
                    }
                    _ => None,
                };
                self.next_block();
            }
        }
    }

    /// Offer the next block, or end the transfer.
    fn next_block(&mut self) {
        if self.bad_block == Some(0) {
            self.bad_block = None;
            self.blocks.clear();
            self.flag(INTERRUPT::DCRC_ERR::SET.value);
        } else if self.blocks.is_empty() {
            self.flag(INTERRUPT::DATA_DONE::SET.value);
        } else {
            self.flag(INTERRUPT::READ_RDY::SET.value);
        }
    }

    fn answer(&mut self, app: bool, index: u8, arg: u32, cmdtm: u32) -> Answer {
        let Some(card) = self.card.as_mut() else {
            return Answer::Silence;
        };
        let r1 = |extra: u32| Answer::Resp([extra, 0, 0, 0]);
        match (app, index) {
            (false, 0) => {
                card.selected = false;
                Answer::Silence
            }
            (false, 8) if card.version2 => r1(arg & 0xfff),
            (false, 55) => {
                self.app_next = true;
                r1(1 << 5)
            }
            (true, 41) => {
                let window = arg & 0x00ff_8000;
                if card.busy_polls > 0 {
                    card.busy_polls -= 1;
                    r1(window)
                } else {
                    let ccs = if card.high_capacity && arg & (1 << 30) != 0 {
                        1 << 30
                    } else {
                        0
                    };
                    r1((1 << 31) | ccs | window)
                }
            }
            (false, 2) => Answer::Resp([0x1234_5678, 0x9abc_def0, 0x0f0f_0f0f, 0x00aa_5500]),
            (false, 3) => r1(u32::from(card.rca) << 16),
            (false, 9) => Answer::Resp(card.csd()),
            (false, 7) => {
                card.selected = arg >> 16 == u32::from(card.rca);
                r1(0)
            }
            (true, 6) => {
                card.four_bit = arg == 0b10;
                r1(0)
            }
            (false, 16) if arg as usize == BLOCK_LEN => r1(0),
            (false, 12) => r1(0),
            (false, 17 | 18) if card.selected => {
                let first = if card.high_capacity {
                    arg
                } else {
                    assert_eq!(arg as usize % BLOCK_LEN, 0, "byte address of a block");
                    arg / BLOCK_LEN as u32
                };
                let count = if index == 17 {
                    1
                } else {
                    assert!(CMDTM::TM_MULTI_BLOCK.is_set(cmdtm));
                    assert_eq!(CMDTM::TM_AUTO_CMD_EN.read(cmdtm), 0b01, "auto CMD12");
                    BLKSIZECNT::BLKCNT.read(self.plain[reg::BLKSIZECNT / 4])
                };
                assert!(CMDTM::CMD_ISDATA.is_set(cmdtm));
                Answer::Data(first, count)
            }
            _ => Answer::Silence,
        }
    }

    /// Whether the host runs four data lines.
    pub fn four_bit(&self) -> bool {
        CONTROL0::HCTL_DWIDTH.is_set(self.plain[reg::CONTROL0 / 4])
    }
}

impl Bus for Model {
    fn read(&mut self, offset: usize) -> u32 {
        match offset {
            reg::INTERRUPT => {
                let err = if self.interrupt & ERROR_FLAGS != 0 {
                    INTERRUPT::ERR::SET.value
                } else {
                    0
                };
                self.interrupt | err
            }
            reg::CONTROL1 => {
                let stable = if CONTROL1::CLK_INTLEN.is_set(self.control1) {
                    CONTROL1::CLK_STABLE::SET.value
                } else {
                    0
                };
                self.control1 | stable
            }
            reg::STATUS => 0,
            reg::SLOTISR_VER => 0x9902_0000,
            reg::DATA => {
                let Some(block) = self.blocks.front_mut() else {
                    return 0;
                };
                let word = block.pop_front().unwrap_or(0);
                if block.is_empty() {
                    self.blocks.pop_front();
                    self.bad_block = self.bad_block.map(|b| b - 1);
                    self.next_block();
                }
                word
            }
            o if (reg::RESP0..reg::RESP0 + 16).contains(&o) => self.resp[(o - reg::RESP0) / 4],
            o => self.plain[o / 4],
        }
    }

    fn write(&mut self, offset: usize, value: u32) {
        match offset {
            reg::CMDTM => self.command(value),
            reg::INTERRUPT => self.interrupt &= !value,
            reg::CONTROL1 => {
                if CONTROL1::SRST_HC.is_set(value) {
                    self.plain = [0; 64];
                    self.interrupt = 0;
                    self.control1 = 0;
                    self.blocks.clear();
                    return;
                }
                if value & (CONTROL1::SRST_CMD::SET + CONTROL1::SRST_DATA::SET).value != 0 {
                    self.line_resets += 1;
                    self.blocks.clear();
                }
                if CONTROL1::CLK_EN.is_set(value) {
                    self.dividers.push(
                        CONTROL1::CLK_FREQ8.read(value) | CONTROL1::CLK_FREQ_MS2.read(value) << 8,
                    );
                }
                let resets =
                    CONTROL1::SRST_HC::SET + CONTROL1::SRST_CMD::SET + CONTROL1::SRST_DATA::SET;
                // The resets are over at once: they read 0.
                self.control1 = value & !resets.value;
            }
            o => self.plain[o / 4] = value,
        }
    }
}

/// A delay that only counts the time it was asked for.
#[derive(Default)]
pub struct FakeDelay {
    /// Nanoseconds waited in all.
    pub ns: u64,
}

impl embedded_hal::delay::DelayNs for FakeDelay {
    fn delay_ns(&mut self, ns: u32) {
        self.ns += u64::from(ns);
    }
}
