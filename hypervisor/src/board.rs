//! The Raspberry Pi 3 (BCM2837) as the hypervisor sees it: the board
//! crate's memory map (`raspi3b::map`) under the names the hypervisor
//! imports, and what only the hypervisor decides about it: where the memory
//! of the virtual machines comes from.

pub use raspi3b::map::{
    AUX_BASE, CORES, CPRMAN_BASE, DEFAULT_CORE_CLOCK_HZ, DMA_BASE, EMMC_BASE, GPIO_BASE,
    INTERRUPT_CONTROLLER_BASE, LOCAL_PERIPHERAL_BASE, LOCAL_PERIPHERAL_END, MAILBOX_BASE,
    PERIPHERAL_BASE, PERIPHERAL_END, PM_BASE,
};
pub use raspi3b::revision::Revision;

/// The interrupt number of the AUX block (mini UART) on the BCM2835 controller.
pub const IRQ_AUX: u32 = raspi3b::irq::AUX;

// ANCHOR: guest_pool
/// Where VM RAM starts in host physical memory: everything below belongs
/// to the hypervisor (its image at 0x80000, stack, tables).
pub const GUEST_POOL_BASE: u64 = 0x1000_0000;
/// Where VM RAM ends: the top of the ARM's RAM with `gpu_mem=64`.
pub const GUEST_POOL_END: u64 = 0x3c00_0000;
// ANCHOR_END: guest_pool

// The pool is RAM, below the peripheral window: checked when compiling.
const _: () = assert!(GUEST_POOL_BASE < GUEST_POOL_END);
const _: () = assert!(GUEST_POOL_END <= PERIPHERAL_BASE.as_u64());
