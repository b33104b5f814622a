//! The addresses the probes abuse, from the board crate's memory map and
//! register blocks: a harmless device register to read, one to write,
//! devices the virtual board does not have, and where the hypervisor's
//! image sits in host memory.
//!
//! Under ferrovisor they are guest physical addresses (IPAs) of the virtual
//! Raspberry Pi 3, laid out like the real board's physical addresses.

use core::mem::offset_of;
use raspi3b::aux::Registers as Aux;
use raspi3b::map;
use raspi3b::system_timer::Registers as SystemTimer;

/// Start of the BCM2837 peripheral window.
pub const PERIPHERAL_BASE: usize = map::PERIPHERAL_BASE.as_usize();

/// CLO, the system timer's counter (low word), followed by CHI: harmless
/// to read, and a device whose every access traps under ferrovisor. (The
/// mini UART's registers are read from a shadow page while nothing waits to
/// be received, so a read there need not trap at all.)
pub const SYSTEM_TIMER_CLO: usize =
    map::SYSTEM_TIMER_BASE.as_usize() + offset_of!(SystemTimer, CLO);
/// C1, the first of the system timer's compare registers C1-C3 that
/// follow CLO, CHI and C0: 16-byte aligned, for a Q register.
pub const SYSTEM_TIMER_C1: usize = map::SYSTEM_TIMER_BASE.as_usize() + offset_of!(SystemTimer, C1);
/// AUX_MU_SCRATCH: a mini UART register that is harmless to write.
pub const AUX_MU_SCRATCH: usize = map::AUX_BASE.as_usize() + offset_of!(Aux, AUX_MU_SCRATCH);

/// Devices inside the peripheral window that the virtual board does not
/// emulate, with their register's name on a real Pi 3 (BCM2835 ARM
/// Peripherals): the SPI0 master, the BSC1 I2C master and the PWM.
pub const ABSENT_DEVICES: [(&str, usize); 3] = [
    ("SPI0 control and status, CS", PERIPHERAL_BASE + 0x20_4000),
    ("BSC1 I2C status, S", PERIPHERAL_BASE + 0x80_4004),
    ("PWM control, CTL", PERIPHERAL_BASE + 0x20_c000),
];

/// Where the Raspberry Pi firmware (and QEMU) load a `kernel8.img`, so
/// where ferrovisor's own image sits in host physical memory.
pub const KERNEL_LOAD_ADDRESS: usize = map::KERNEL_LOAD_ADDRESS.as_usize();
