//! Links the bare-metal binary with the board's linker script, the one
//! ferrovisor and the other guests use: bench is an ordinary `kernel8.img`
//! loaded at 0x80000.

fn main() {
    let board = concat!(env!("CARGO_MANIFEST_DIR"), "/../../boards/raspi3b/link.ld");
    println!("cargo:rerun-if-changed={board}");
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("none") {
        println!("cargo:rustc-link-arg-bins=-T{board}");
    }
}
