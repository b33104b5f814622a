//! What happens when a guest panics: say where on the console, then stop.

use crate::{board, cpu, guest_name};
use ufmt::uwrite;

#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    let mut w = board::console();
    let message = info.message().as_str().unwrap_or("(formatted message)");
    let _ = match info.location() {
        Some(at) => uwrite!(
            w,
            "\n{}: panic at {}:{}: {}\n{}: halted.\n",
            guest_name(),
            at.file(),
            at.line(),
            message,
            guest_name()
        ),
        None => uwrite!(
            w,
            "\n{}: panic: {}\n{}: halted.\n",
            guest_name(),
            message,
            guest_name()
        ),
    };
    cpu::halt()
}
