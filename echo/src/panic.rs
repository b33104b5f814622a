//! What happens when echo panics: say where on the console, then stop.

use crate::{board::UART, cpu};
use ufmt::uwrite;

#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    let mut w = &UART;
    let message = info.message().as_str().unwrap_or("(formatted message)");
    let _ = match info.location() {
        Some(at) => uwrite!(
            w,
            "\r\necho: panic at {}:{}: {}\r\n",
            at.file(),
            at.line(),
            message
        ),
        None => uwrite!(w, "\r\necho: panic: {}\r\n", message),
    };
    cpu::halt()
}
