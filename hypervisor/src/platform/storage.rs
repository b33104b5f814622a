//! The SD card as the rest of the hypervisor reaches it: the one file
//! system over the one card driver, set up on first use.
//!
//! Nothing touches the card at boot, so a board without a card boots as
//! fast as before. The first command that needs the card ([`with_card`])
//! routes GPIO48-53 to the EMMC, asks the mailbox for the EMMC clock,
//! initialises the card and puts embedded-sdmmc's volume manager over it.
//! When that fails (no card: two command timeouts, a few milliseconds) the
//! error goes back to the caller and the next use tries again, so a card
//! put in later is found.

use crate::board;
use crate::drivers::fat::{CardBlocks, Fs, NoClock};
use crate::drivers::mailbox::CLOCK_ID_EMMC;
use crate::drivers::sdcard::Card;
use crate::drivers::sdhci::{Error, Host, MmioBus};
use crate::platform::{GPIO, MAILBOX};
use embedded_sdmmc::VolumeManager;
use raspi3b::delay::CounterDelay;
use spin::Mutex;

/// The file system on the card, over the real controller.
pub type CardFs = Fs<MmioBus, CounterDelay>;

/// The card's file system once it is up. Core 0's shell is the only user.
static CARD: Mutex<Option<CardFs>> = Mutex::new(None);

// ANCHOR: with_card
/// Run `f` on the card's file system, bringing the card up first if it is
/// not yet.
pub fn with_card<R>(f: impl FnOnce(&CardFs) -> R) -> Result<R, Error> {
    let mut card = CARD.lock();
    let fs = match card.take() {
        Some(fs) => fs,
        None => mount()?,
    };
    Ok(f(card.insert(fs)))
}

/// Route the pins, divide the mailbox's EMMC clock, initialise the card.
fn mount() -> Result<CardFs, Error> {
    GPIO.map_emmc(&mut CounterDelay);
    let base_clock_hz = MAILBOX.clock_rate(CLOCK_ID_EMMC).unwrap_or(0);
    // SAFETY: EMMC_BASE is the EMMC block, mapped as device memory; only
    // this driver uses it (guests see an emulated EMMC).
    let bus = unsafe { MmioBus::new(board::EMMC_BASE) };
    let card = Card::init(Host::new(bus, CounterDelay, base_clock_hz))?;
    Ok(VolumeManager::new(CardBlocks::new(card), NoClock))
}
// ANCHOR_END: with_card
