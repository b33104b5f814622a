//! Links the bare-metal binary with lrtos's linker script.
//!
//! `link.ld` is the board's layout (`boards/raspi3b/link.ld`) plus the
//! page-aligned sections of the user program, which the kernel maps with
//! EL0 permissions.

fn main() {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/link.ld");
    println!("cargo:rerun-if-changed={script}");
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("none") {
        println!("cargo:rustc-link-arg-bins=-T{script}");
    }
}
