//! The Raspberry Pi 3 (BCM2837) as lrtos maps it: how much RAM, and the
//! windows of the board crate's memory map (`raspi3b::map`) its MMU maps.

use raspi3b::map;

// ANCHOR: memory_map
/// RAM starts at physical address 0.
pub const RAM_BASE: u64 = map::RAM_BASE.as_u64();
/// How much RAM lrtos maps. The smallest virtual Raspberry Pi 3 that
/// ferrovisor gives a VM has 32 MiB, and lrtos needs far less.
pub const RAM_MAPPED: u64 = 32 << 20;
/// The BCM2837 peripheral window, mapped as device memory.
pub const PERIPHERAL_BASE: u64 = map::PERIPHERAL_BASE.as_u64();
/// End of the peripheral window (exclusive).
pub const PERIPHERAL_END: u64 = map::PERIPHERAL_END.as_u64();
/// The ARM local peripherals (core timers' interrupt routing, per-core
/// interrupt sources), mapped as device memory.
pub const LOCAL_PERIPHERAL_BASE: u64 = map::LOCAL_PERIPHERAL_BASE.as_u64();
/// End of the local peripherals, rounded up to a 2 MiB block.
pub const LOCAL_PERIPHERAL_END: u64 = map::LOCAL_PERIPHERAL_END.as_u64();
// ANCHOR_END: memory_map

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ram_mapped_is_2_mib_blocks() {
        // The MMU maps RAM with 2 MiB blocks.
        assert_eq!(RAM_MAPPED % (2 << 20), 0);
    }
}
