//! For a guest's `build.rs`: link the binary with a linker script, by
//! default the board's (`boards/raspi3b/link.ld`: a `kernel8.img` loaded at
//! 0x80000). Only the bare-metal build links with it; built for the host a
//! guest is a stub plus its unit tests.
//!
//! ```ignore
//! fn main() { rt::link::board_script(); }
//! ```

use std::println;

/// Link the guest with the board's linker script.
pub fn board_script() {
    script(raspi3b::LINK_SCRIPT);
}

/// Link the guest with the linker script at `path` (lrtos has its own).
pub fn script(path: &str) {
    println!("cargo:rerun-if-changed={path}");
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("none") {
        println!("cargo:rustc-link-arg-bins=-T{path}");
    }
}
