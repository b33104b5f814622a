//! The guest runtime: what every bare-metal guest of ferrovisor (echo,
//! lrtos, bench, hostile, ...) needs between reset and its own first line
//! of code, written once.
//!
//! * [`boot`]: `boot.s` at 0x80000 (cores 1-3 park in WFI, EL3 → EL2, the
//!   boot stack, `.bss`), then, when started at EL2 (natively, on the real
//!   board or QEMU's `raspi3b`), the release of cores 1-3 from the
//!   firmware's spin table into that WFI park and the drop to EL1. Under
//!   ferrovisor the guest starts at EL1 and goes straight on.
//! * [`exception`]: the EL1 vector table, the saved
//!   [`exception::TrapFrame`], and a report of an unexpected exception. A
//!   guest that installs it names its handler with [`exception_handler!`];
//!   one with vectors of its own (lrtos) never installs it, and the linker
//!   drops the table (its symbols are `__rt_`-prefixed, so they never clash).
//! * the panic handler: a report on the console, then halt.
//! * [`cpu`]: the few instructions a guest's main loop needs (WFI, IRQ
//!   masking, halt).
//! * [`board`]: the guest's instances of the board crate's drivers (the
//!   mini UART, GPIO, both interrupt controllers, the mailbox) and the
//!   console setup every guest does first.
//! * `link` (feature `build`, for build scripts): the board's linker
//!   script.
//!
//! A guest names its entry point and, with vectors, its exception handler:
//!
//! ```ignore
//! rt::entry!("echo", start);          // fn start() -> !, at EL1, core 0
//! rt::exception_handler!(exception);  // fn exception(&mut TrapFrame, Vector)
//! ```
//!
//! Nothing here knows about ferrovisor: a guest built on this runtime is an
//! ordinary BCM2837 program, and the register blocks and drivers it uses
//! are the board crate's (`boards/raspi3b`).
#![no_std]

#[cfg(feature = "build")]
extern crate std;

pub mod board;
pub mod boot;
pub mod cpu;
pub mod exception;
#[cfg(feature = "build")]
pub mod link;
#[cfg(target_os = "none")]
mod panic;

/// Name the guest and its entry point: `rt::entry!("echo", start)`.
///
/// `start` (a `fn() -> !`) runs at EL1 on core 0 with every exception
/// masked, a stack and a zeroed `.bss`. The name prefixes the runtime's
/// reports (panic, unexpected exception). With `at_el2 = f`, `f` (an
/// `unsafe fn()`) runs at EL2 just before the drop to EL1, when the guest
/// was started there (bench installs its HVC responder so).
#[macro_export]
macro_rules! entry {
    ($name:literal, $main:path) => {
        $crate::entry!($name, $main, at_el2 = $crate::boot::nothing_at_el2);
    };
    ($name:literal, $main:path, at_el2 = $at_el2:path) => {
        /// The guest's name, for the runtime's reports.
        #[no_mangle]
        static __RT_GUEST_NAME: &str = $name;

        /// The runtime's call into the guest, at EL1.
        #[no_mangle]
        fn __rt_main() -> ! {
            $main()
        }

        /// The runtime's call into the guest at EL2, before the drop.
        #[no_mangle]
        fn __rt_at_el2() {
            // SAFETY: called once, at EL2, by the runtime's boot code,
            // which is what an `at_el2` function is written for.
            unsafe { $at_el2() }
        }
    };
}

/// The guest's name, as given to [`entry!`].
pub fn guest_name() -> &'static str {
    #[cfg(target_os = "none")]
    {
        extern "Rust" {
            static __RT_GUEST_NAME: &'static str;
        }
        // SAFETY: `entry!` defines the static, which is never written.
        unsafe { __RT_GUEST_NAME }
    }
    #[cfg(not(target_os = "none"))]
    "guest"
}
