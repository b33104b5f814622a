//! What happens when hostile panics: say where on the console, then stop.

use crate::{board::UART, cpu};
use ufmt::uwrite;

#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    let mut w = &UART;
    let message = info.message().as_str().unwrap_or("(formatted message)");
    let _ = match info.location() {
        Some(at) => uwrite!(
            w,
            "\nhostile: panic at {}:{}: {}\n",
            at.file(),
            at.line(),
            message
        ),
        None => uwrite!(w, "\nhostile: panic: {}\n", message),
    };
    cpu::halt()
}
