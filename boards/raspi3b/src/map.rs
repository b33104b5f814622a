//! The BCM2837's physical memory map, as the ARM cores see it.
//!
//! Peripheral addresses are from the BCM2835 ARM Peripherals datasheet,
//! whose bus addresses 0x7Exx_xxxx appear at 0x3Fxx_xxxx on the BCM2837;
//! the ARM local peripherals are from the BCM2836 "QA7" document. A virtual
//! Raspberry Pi 3 (a ferrovisor VM) lays its guest physical addresses out
//! the same way.

use crate::PhysAddr;

// ANCHOR: memory_map
/// RAM starts at physical address 0.
pub const RAM_BASE: PhysAddr = PhysAddr::new(0);
/// Where the firmware (and QEMU) load a `kernel8.img` and start it.
pub const KERNEL_LOAD_ADDRESS: PhysAddr = PhysAddr::new(0x8_0000);

/// Start of the BCM2837 peripheral window.
pub const PERIPHERAL_BASE: PhysAddr = PhysAddr::new(0x3f00_0000);
/// End of the peripheral window (exclusive).
pub const PERIPHERAL_END: PhysAddr = PhysAddr::new(0x4000_0000);
/// The ARM local peripherals (core timers, mailboxes, interrupt routing).
pub const LOCAL_PERIPHERAL_BASE: PhysAddr = PhysAddr::new(0x4000_0000);
/// End of the local peripherals, rounded up to a 2 MiB block.
pub const LOCAL_PERIPHERAL_END: PhysAddr = PhysAddr::new(0x4020_0000);

/// The DMA controller, channels 0-14 (datasheet chapter 4).
pub const DMA_BASE: PhysAddr = PERIPHERAL_BASE.offset(0x7000);
/// The system timer (datasheet chapter 12).
pub const SYSTEM_TIMER_BASE: PhysAddr = PERIPHERAL_BASE.offset(0x3000);
/// The BCM2835 ARM interrupt controller ("Interrupts", datasheet ch. 7).
pub const INTERRUPT_CONTROLLER_BASE: PhysAddr = PERIPHERAL_BASE.offset(0xb200);
/// The VideoCore mailboxes.
pub const MAILBOX_BASE: PhysAddr = PERIPHERAL_BASE.offset(0xb880);
/// The clock manager and the PLLs' analogue controls (CPRMAN, bus address
/// 0x7E10_1000; the datasheet documents only its general-purpose clocks,
/// section 6.3).
pub const CPRMAN_BASE: PhysAddr = PERIPHERAL_BASE.offset(0x10_1000);
/// The power management block holding the watchdog.
pub const PM_BASE: PhysAddr = PERIPHERAL_BASE.offset(0x10_0000);
/// GPIO function select, pull and level registers (datasheet ch. 6).
pub const GPIO_BASE: PhysAddr = PERIPHERAL_BASE.offset(0x20_0000);
/// The auxiliary peripherals: mini UART and SPI1/2 (datasheet ch. 2).
pub const AUX_BASE: PhysAddr = PERIPHERAL_BASE.offset(0x21_5000);
/// The SDHOST controller (the Pi's custom SD interface).
pub const SDHOST_BASE: PhysAddr = PERIPHERAL_BASE.offset(0x20_2000);
/// The EMMC controller (Arasan SDHCI, datasheet ch. 5): the SD card.
pub const EMMC_BASE: PhysAddr = PERIPHERAL_BASE.offset(0x30_0000);
/// The USB controller (Synopsys DWC OTG).
pub const USB_BASE: PhysAddr = PERIPHERAL_BASE.offset(0x98_0000);
// ANCHOR_END: memory_map

/// Cortex-A53 cores on the BCM2837.
pub const CORES: usize = 4;
/// The core the firmware starts a `kernel8.img` on; the others wait in
/// the [`crate::spin_table`].
pub const BOOT_CORE: usize = 0;

/// The VideoCore core clock, which drives the mini UART, when nobody asks
/// the firmware: its default on the Pi 3, pinned by `core_freq=250` in
/// `boards/raspi3b/config.txt`.
pub const DEFAULT_CORE_CLOCK_HZ: u32 = 250_000_000;
/// The console's line speed on every program of this project.
pub const BAUD_RATE: u32 = 115_200;

#[cfg(test)]
mod tests {
    use super::*;

    /// 2 MiB: the block size the page tables map the windows with.
    const BLOCK: usize = 2 << 20;

    #[test]
    fn windows_are_2_mib_aligned() {
        for a in [
            PERIPHERAL_BASE,
            PERIPHERAL_END,
            LOCAL_PERIPHERAL_BASE,
            LOCAL_PERIPHERAL_END,
        ] {
            assert_eq!(a.as_usize() % BLOCK, 0, "{a:?}");
        }
    }

    #[test]
    fn devices_are_inside_the_peripheral_window() {
        for a in [
            SYSTEM_TIMER_BASE,
            INTERRUPT_CONTROLLER_BASE,
            MAILBOX_BASE,
            PM_BASE,
            GPIO_BASE,
            AUX_BASE,
        ] {
            assert!(PERIPHERAL_BASE <= a && a < PERIPHERAL_END, "{a:?}");
        }
    }

    #[test]
    fn bus_addresses_of_the_datasheet() {
        // The datasheet gives bus addresses; the ARM sees 0x7E.. at 0x3F...
        const BUS_TO_ARM: usize = 0x7e00_0000 - 0x3f00_0000;
        assert_eq!(AUX_BASE.as_usize() + BUS_TO_ARM, 0x7e21_5000);
        assert_eq!(GPIO_BASE.as_usize() + BUS_TO_ARM, 0x7e20_0000);
        assert_eq!(
            INTERRUPT_CONTROLLER_BASE.as_usize() + BUS_TO_ARM,
            0x7e00_b200
        );
        assert_eq!(SYSTEM_TIMER_BASE.as_usize() + BUS_TO_ARM, 0x7e00_3000);
    }
}
