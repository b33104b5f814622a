//! What happens when Rust code in the hypervisor panics: say where, then stop.

use crate::arch::aarch64::cpu;
use crate::console::output;
use crate::platform::fatal::emergency_writer;
use ufmt::uwriteln;

// ANCHOR: panic
#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    // What was printed before, then the report.
    output::flush_for_crash();
    let mut w = emergency_writer();
    let message = info.message().as_str().unwrap_or("(formatted message)");
    match info.location() {
        Some(at) => {
            let _ = uwriteln!(
                w,
                "\n*** ferrovisor panic at {}:{}: {}",
                at.file(),
                at.line(),
                message
            );
        }
        None => {
            let _ = uwriteln!(w, "\n*** ferrovisor panic: {}", message);
        }
    }
    let _ = uwriteln!(w, "*** ferrovisor halted.");
    cpu::halt()
}
// ANCHOR_END: panic
