//! The entry point: the assembly in `boot.s` runs first, then `_start_rust`
//! hands over to the kernel's start-up sequence.

core::arch::global_asm!(include_str!("boot.s"), options(raw));

// ANCHOR: start_rust
/// Called by `boot.s` on core 0 with a stack and a zeroed `.bss`.
///
/// # Safety
///
/// Only `boot.s` may call this, once, on the boot core.
#[no_mangle]
pub unsafe extern "C" fn _start_rust() -> ! {
    crate::kernel::start()
}
// ANCHOR_END: start_rust
