//! The Raspberry Pi 3 (BCM2837) as lrtos uses it: where its RAM and devices
//! are, and the clock the mini UART's baud rate is derived from.
//!
//! Addresses are ARM physical addresses from the BCM2835 ARM Peripherals
//! datasheet (whose bus address 0x7Exx_xxxx appears at 0x3Fxx_xxxx on the
//! BCM2837) and the BCM2836 "ARM Quad A7 core" document (QA7) for the ARM
//! local peripherals.

// ANCHOR: memory_map
/// RAM starts at physical address 0.
pub const RAM_BASE: u64 = 0;
/// How much RAM lrtos maps. The smallest virtual Raspberry Pi 3 that
/// ferrovisor gives a VM has 32 MiB, and lrtos needs far less.
pub const RAM_MAPPED: u64 = 32 << 20;
/// Start of the BCM2837 peripheral window.
pub const PERIPHERAL_BASE: u64 = 0x3f00_0000;
/// End of the peripheral window (exclusive).
pub const PERIPHERAL_END: u64 = 0x4000_0000;
/// The ARM local peripherals (core timers' interrupt routing, per-core
/// interrupt sources).
pub const LOCAL_PERIPHERAL_BASE: u64 = 0x4000_0000;
/// End of the local peripherals, rounded up to a 2 MiB block.
pub const LOCAL_PERIPHERAL_END: u64 = 0x4020_0000;

/// GPIO function select and pull registers (datasheet chapter 6).
pub const GPIO_BASE: u64 = PERIPHERAL_BASE + 0x20_0000;
/// The auxiliary peripherals: the mini UART (datasheet chapter 2).
pub const AUX_BASE: u64 = PERIPHERAL_BASE + 0x21_5000;
// ANCHOR_END: memory_map

/// The VideoCore core clock, which drives the mini UART. The firmware can
/// change it; `boards/raspi3b/config.txt` pins it with `core_freq=250`.
pub const CORE_CLOCK_HZ: u32 = 250_000_000;
/// The console's line speed.
pub const BAUD_RATE: u32 = 115_200;

// ANCHOR: baud
/// The AUX_MU_BAUD value for `baud` at a core clock of `clock_hz`, rounded
/// to the nearest divisor: the datasheet gives
/// `baud = clock / (8 * (AUX_MU_BAUD + 1))`.
pub const fn baud_divisor(clock_hz: u32, baud: u32) -> u32 {
    let eight_baud = 8 * baud;
    (clock_hz + eight_baud / 2) / eight_baud - 1
}
// ANCHOR_END: baud

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn divisor_for_115200_at_250_mhz() {
        // The value every Raspberry Pi tutorial uses.
        assert_eq!(baud_divisor(CORE_CLOCK_HZ, BAUD_RATE), 270);
    }

    #[test]
    fn windows_are_2_mib_aligned() {
        for a in [
            RAM_MAPPED,
            PERIPHERAL_BASE,
            PERIPHERAL_END,
            LOCAL_PERIPHERAL_BASE,
            LOCAL_PERIPHERAL_END,
        ] {
            assert_eq!(a % (2 << 20), 0, "{a:#x}");
        }
    }
}
