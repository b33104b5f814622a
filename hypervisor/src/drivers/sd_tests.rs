//! Host tests of the SD card driver ([`super::sdhci`], [`super::sdcard`])
//! against the model of the controller and a card ([`super::sd_model`]):
//! the command sequences of a card's initialisation, its addressing, block
//! reads, and the failures (no card, a command with no answer, a data CRC
//! error, a card that never powers up, a controller that never answers).

use super::sd_model::{CardModel, FakeDelay, Fault, Model};
use super::sdcard::{capacity_blocks, cmd, Addressing, Card};
use super::sdhci::{Error, Host, BLOCK_LEN, DEFAULT_SPEED_CLOCK_HZ, IDENTIFICATION_CLOCK_HZ};
use raspi3b::emmc::CMDTM;
use std::string::String;
use std::vec::Vec;

/// The Pi 3's EMMC clock, as the mailbox reports it.
const BASE_CLOCK_HZ: u32 = 250_000_000;
/// 4 GiB in blocks: an SDHC card.
const SDHC_BLOCKS: u32 = 8 << 20;
/// 64 MiB in blocks: a standard capacity card.
const SDSC_BLOCKS: u32 = 128 << 10;

/// An image whose every block starts with its own number.
fn numbered_image(blocks: u32) -> Vec<u8> {
    let mut image = std::vec![0u8; blocks as usize * BLOCK_LEN];
    for (n, block) in image.chunks_mut(BLOCK_LEN).enumerate() {
        block[..4].copy_from_slice(&(n as u32).to_le_bytes());
        block[BLOCK_LEN - 1] = 0x5a;
    }
    image
}

fn host(card: Option<CardModel>, delay: &mut FakeDelay) -> Host<Model, &mut FakeDelay> {
    Host::new(Model::new(card), delay, BASE_CLOCK_HZ)
}

fn sdhc() -> CardModel {
    CardModel::new(numbered_image(64), SDHC_BLOCKS, true)
}

fn sdsc() -> CardModel {
    CardModel::new(numbered_image(64), SDSC_BLOCKS, false)
}

fn shown(e: Error) -> String {
    let mut s = String::new();
    ufmt::uwrite!(s, "{}", e).unwrap();
    s
}

#[test]
fn an_sdhc_card_is_identified_selected_and_four_bits_wide() {
    let mut delay = FakeDelay::default();
    let mut card = Card::init(host(Some(sdhc()), &mut delay)).unwrap();
    assert_eq!(card.addressing(), Addressing::Block);
    assert_eq!(card.blocks(), SDHC_BLOCKS);
    assert_eq!(card.rca(), 0x4567);
    let model = card.host().bus();
    assert_eq!(
        model.commands(),
        [
            "CMD0", "CMD8", "CMD55", "ACMD41", "CMD55", "ACMD41", "CMD55", "ACMD41", "CMD2",
            "CMD3", "CMD9", "CMD7", "CMD55", "ACMD6"
        ]
    );
    // CMD8: 2.7-3.6 V and the check pattern; ACMD41 with HCS.
    assert_eq!(model.log[1].2, 0x1aa);
    assert_eq!(model.log[3].2, 0x40ff_8000);
    // CMD7 and the CMD55 before ACMD6 carry the card's address.
    assert_eq!(model.log[11].2, 0x4567_0000);
    assert_eq!(model.log[12].2, 0x4567_0000);
    assert!(model.card.as_ref().unwrap().selected);
    assert!(model.card.as_ref().unwrap().four_bit);
    assert!(model.four_bit());
    // 400 kHz to identify, 25 MHz to transfer, never faster.
    let clocks: Vec<u32> = model
        .dividers
        .iter()
        .map(|&n| BASE_CLOCK_HZ / (2 * n))
        .collect();
    assert_eq!(clocks.len(), 2);
    assert!(clocks[0] <= IDENTIFICATION_CLOCK_HZ && clocks[0] > IDENTIFICATION_CLOCK_HZ * 9 / 10);
    assert!(clocks[1] <= DEFAULT_SPEED_CLOCK_HZ && clocks[1] > DEFAULT_SPEED_CLOCK_HZ * 8 / 10);
}

#[test]
fn an_sdhc_card_is_read_by_block_number() {
    let mut delay = FakeDelay::default();
    let mut card = Card::init(host(Some(sdhc()), &mut delay)).unwrap();
    let mut buf = [0u8; BLOCK_LEN];
    card.read(5, &mut buf).unwrap();
    assert_eq!(buf[..4], 5u32.to_le_bytes());
    assert_eq!(buf[BLOCK_LEN - 1], 0x5a);
    let model = card.host().bus();
    assert_eq!(*model.log.last().unwrap(), (false, 17, 5));
}

#[test]
fn a_standard_capacity_card_is_read_by_byte_address() {
    let mut delay = FakeDelay::default();
    let mut card = Card::init(host(Some(sdsc()), &mut delay)).unwrap();
    assert_eq!(card.addressing(), Addressing::Byte);
    assert_eq!(card.blocks(), SDSC_BLOCKS);
    // CMD16 sets 512-byte blocks.
    assert_eq!(*card.host().bus().log.last().unwrap(), (false, 16, 512));
    let mut buf = [0u8; BLOCK_LEN];
    card.read(3, &mut buf).unwrap();
    assert_eq!(buf[..4], 3u32.to_le_bytes());
    assert_eq!(*card.host().bus().log.last().unwrap(), (false, 17, 3 * 512));
}

#[test]
fn a_version_1_card_gets_acmd41_without_hcs() {
    let mut delay = FakeDelay::default();
    let mut old = sdsc();
    old.version2 = false;
    let mut card = Card::init(host(Some(old), &mut delay)).unwrap();
    assert_eq!(card.addressing(), Addressing::Byte);
    let model = card.host().bus();
    assert_eq!(model.commands()[..4], ["CMD0", "CMD8", "CMD55", "ACMD41"]);
    assert_eq!(model.log[3].2, 0x00ff_8000, "no HCS");
    // CMD8's timeout reset the command circuit.
    assert_eq!(model.line_resets, 1);
}

#[test]
fn several_blocks_come_with_one_cmd18_and_an_automatic_cmd12() {
    let mut delay = FakeDelay::default();
    let mut card = Card::init(host(Some(sdhc()), &mut delay)).unwrap();
    let mut buf = [0u8; 3 * BLOCK_LEN];
    card.read(10, &mut buf).unwrap();
    for (i, block) in buf.chunks(BLOCK_LEN).enumerate() {
        assert_eq!(block[..4], (10 + i as u32).to_le_bytes());
    }
    let model = card.host().bus();
    assert_eq!(*model.log.last().unwrap(), (false, 18, 10));
    let cmdtm = *model.cmdtm_log.last().unwrap();
    assert!(CMDTM::TM_BLKCNT_EN.is_set(cmdtm));
    assert_eq!(CMDTM::TM_DAT_DIR.read(cmdtm), 1, "card to host");
}

#[test]
fn no_card_is_two_timeouts_and_says_so() {
    let mut delay = FakeDelay::default();
    let err = Card::init(host(None, &mut delay)).err().unwrap();
    assert_eq!(err, Error::NoCard);
    assert_eq!(shown(err), "no SD card (CMD8 and ACMD41 got no answer)");
    // Fast: only the register-write settling and the 74 power-up clocks.
    assert!(delay.ns < 2_000_000, "waited {} ns", delay.ns);
}

#[test]
fn a_command_without_an_answer_is_named() {
    let mut delay = FakeDelay::default();
    let mut model = sdhc();
    model.busy_polls = 0;
    let mut host = host(Some(model), &mut delay);
    host.bus().fault = Fault::Timeout(2);
    let err = Card::init(host).err().unwrap();
    assert_eq!(err, Error::CommandTimeout(cmd::ALL_SEND_CID));
    assert_eq!(shown(err), "CMD2 (ALL_SEND_CID): no answer from the card");
}

#[test]
fn a_data_crc_error_fails_the_read_and_the_next_read_works() {
    let mut delay = FakeDelay::default();
    let mut card = Card::init(host(Some(sdhc()), &mut delay)).unwrap();
    card.host().bus().fault = Fault::DataCrc(7);
    let mut buf = [0u8; BLOCK_LEN];
    let err = card.read(7, &mut buf).err().unwrap();
    assert_eq!(err, Error::DataCrc(cmd::READ_SINGLE_BLOCK));
    assert_eq!(shown(err), "CMD17 (READ_SINGLE_BLOCK): data CRC error");
    assert!(card.host().bus().line_resets >= 1);
    card.host().bus().fault = Fault::None;
    card.read(7, &mut buf).unwrap();
    assert_eq!(buf[..4], 7u32.to_le_bytes());
}

#[test]
fn a_crc_error_in_the_middle_of_cmd18_stops_the_transfer() {
    let mut delay = FakeDelay::default();
    let mut card = Card::init(host(Some(sdhc()), &mut delay)).unwrap();
    card.host().bus().fault = Fault::DataCrc(11);
    let mut buf = [0u8; 4 * BLOCK_LEN];
    let err = card.read(10, &mut buf).err().unwrap();
    assert_eq!(err, Error::DataCrc(cmd::READ_MULTIPLE_BLOCK));
    assert_eq!(buf[..4], 10u32.to_le_bytes(), "the good block arrived");
    assert_eq!(card.host().bus().log.last().unwrap().1, 12, "CMD12 sent");
}

#[test]
fn a_card_that_never_powers_up_is_given_a_second() {
    let mut delay = FakeDelay::default();
    let mut slow = sdhc();
    slow.busy_polls = u32::MAX;
    let err = Card::init(host(Some(slow), &mut delay)).err().unwrap();
    assert_eq!(err, Error::NotReady);
    assert!(
        (1_000_000_000..1_100_000_000).contains(&delay.ns),
        "{}",
        delay.ns
    );
}

#[test]
fn a_controller_that_never_ends_a_command_is_an_error_after_the_bound() {
    let mut delay = FakeDelay::default();
    let mut host = host(Some(sdhc()), &mut delay);
    host.bus().fault = Fault::Hang;
    let err = Card::init(host).err().unwrap();
    assert_eq!(err, Error::NoCompletion(cmd::GO_IDLE_STATE));
    assert_eq!(
        shown(err),
        "CMD0 (GO_IDLE_STATE): the controller never finished it"
    );
    assert!(delay.ns < 1_000_000_000, "{}", delay.ns);
}

#[test]
fn reads_past_the_end_are_refused_before_any_command() {
    let mut delay = FakeDelay::default();
    let mut card = Card::init(host(Some(sdsc()), &mut delay)).unwrap();
    let sent = card.host().bus().log.len();
    let mut buf = [0u8; 2 * BLOCK_LEN];
    assert_eq!(
        card.read(SDSC_BLOCKS - 1, &mut buf),
        Err(Error::OutOfRange(SDSC_BLOCKS + 1))
    );
    assert_eq!(card.host().bus().log.len(), sent);
}

#[test]
fn capacity_from_both_csd_versions() {
    // CSD 2.0, C_SIZE = 8191: 4 GiB.
    let v2: u128 = (1 << 126) | (8191 << 48);
    let r = v2 >> 8;
    let resp = [
        r as u32,
        (r >> 32) as u32,
        (r >> 64) as u32,
        (r >> 96) as u32,
    ];
    assert_eq!(capacity_blocks(resp), 8 << 20);
    // CSD 1.0, 1024-byte blocks, C_SIZE_MULT 7, C_SIZE 4095: 2 GiB.
    let v1: u128 = (10 << 80) | (4095 << 62) | (7 << 47);
    let r = v1 >> 8;
    let resp = [
        r as u32,
        (r >> 32) as u32,
        (r >> 64) as u32,
        (r >> 96) as u32,
    ];
    assert_eq!(capacity_blocks(resp), 4 << 20);
}
