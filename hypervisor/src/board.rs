//! The Raspberry Pi 3 (BCM2837) as the hypervisor sees it: where things are
//! in the physical address space, and how to read the board revision code.
//!
//! Addresses are ARM physical addresses from the BCM2835 ARM Peripherals
//! datasheet (whose bus address 0x7Exx_xxxx appears at 0x3Fxx_xxxx on the
//! BCM2837) and the BCM2836 "ARM local peripherals" document.

// ANCHOR: memory_map
/// Start of the BCM2837 peripheral window.
pub const PERIPHERAL_BASE: usize = 0x3f00_0000;
/// End of the peripheral window (exclusive).
pub const PERIPHERAL_END: usize = 0x4000_0000;
/// The ARM local peripherals (core timers, mailboxes, interrupt routing).
pub const LOCAL_PERIPHERAL_BASE: usize = 0x4000_0000;
/// End of the local peripherals, rounded up to a 2 MiB block.
pub const LOCAL_PERIPHERAL_END: usize = 0x4020_0000;

/// The BCM2835 ARM interrupt controller ("Interrupts", datasheet ch. 7).
pub const INTERRUPT_CONTROLLER_BASE: usize = PERIPHERAL_BASE + 0xb200;
/// The VideoCore mailboxes.
pub const MAILBOX_BASE: usize = PERIPHERAL_BASE + 0xb880;
/// The power management block holding the watchdog.
pub const PM_BASE: usize = PERIPHERAL_BASE + 0x10_0000;
/// GPIO function select, pull and level registers (datasheet ch. 6).
pub const GPIO_BASE: usize = PERIPHERAL_BASE + 0x20_0000;
/// The auxiliary peripherals: mini UART and SPI1/2 (datasheet ch. 2).
pub const AUX_BASE: usize = PERIPHERAL_BASE + 0x21_5000;
// ANCHOR_END: memory_map

// ANCHOR: guest_pool
/// Where VM RAM starts in host physical memory: everything below belongs
/// to the hypervisor (its image at 0x80000, stack, tables).
pub const GUEST_POOL_BASE: u64 = 0x1000_0000;
/// Where VM RAM ends: the top of the ARM's RAM with `gpu_mem=64`.
pub const GUEST_POOL_END: u64 = 0x3c00_0000;
// ANCHOR_END: guest_pool

/// The spin table of the Pi 3 firmware's ARM stub (and of QEMU's boot
/// code): core `n` waits at WFE until a start address appears at
/// `SPIN_TABLE_BASE + 8 * n`.
pub const SPIN_TABLE_BASE: usize = 0xd8;

/// Cortex-A53 cores on the BCM2837.
pub const CORES: usize = 4;
/// The interrupt number of the AUX block (mini UART) on the BCM2835 controller.
pub const IRQ_AUX: u32 = 29;
/// Core clock assumed when the firmware does not tell (config.txt pins it).
pub const DEFAULT_CORE_CLOCK_HZ: u32 = 250_000_000;

/// A board revision code as the firmware reports it (mailbox tag 0x00010002).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Revision(pub u32);

impl Revision {
    const NEW_STYLE: u32 = 1 << 23;

    /// The model name, for the revision codes of the boards this runs on.
    pub fn model(self) -> &'static str {
        if self.0 & Self::NEW_STYLE == 0 {
            return "unknown Raspberry Pi";
        }
        match (self.0 >> 4) & 0xff {
            0x04 => "Raspberry Pi 2 Model B",
            0x08 => "Raspberry Pi 3 Model B",
            0x0a => "Raspberry Pi Compute Module 3",
            0x0d => "Raspberry Pi 3 Model B+",
            0x0e => "Raspberry Pi 3 Model A+",
            _ => "unknown Raspberry Pi",
        }
    }

    /// The PCB revision (the `2` of "1.2").
    pub fn pcb_revision(self) -> u32 {
        self.0 & 0xf
    }

    /// Installed memory in MiB, as the code states it.
    pub fn memory_mib(self) -> u32 {
        256 << ((self.0 >> 20) & 0b111)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_pi3_revisions() {
        let r = Revision(0xa0_2082);
        assert_eq!(r.model(), "Raspberry Pi 3 Model B");
        assert_eq!(r.pcb_revision(), 2);
        assert_eq!(r.memory_mib(), 1024);
        assert_eq!(Revision(0xa0_20d3).model(), "Raspberry Pi 3 Model B+");
        assert_eq!(Revision(0x0000_0010).model(), "unknown Raspberry Pi");
    }
}
