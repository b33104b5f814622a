//! What happens when the kernel panics: say where, then stop. Panics are
//! kernel bugs; a faulting task is ended by `exception.rs` instead.

use super::console::Console;
use super::cpu;
use ufmt::uwriteln;

#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    let mut w = Console;
    let message = info.message().as_str().unwrap_or("(formatted message)");
    match info.location() {
        Some(at) => {
            let _ = uwriteln!(
                w,
                "\nlrtos: kernel panic at {}:{}: {}",
                at.file(),
                at.line(),
                message
            );
        }
        None => {
            let _ = uwriteln!(w, "\nlrtos: kernel panic: {}", message);
        }
    }
    let _ = uwriteln!(w, "lrtos: halted.");
    cpu::halt()
}
