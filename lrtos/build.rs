//! Links the bare-metal binary with lrtos's linker script.
//!
//! `link.ld` is the board's layout (`boards/raspi3b/link.ld`) plus the
//! page-aligned sections of the user program, which the kernel maps with
//! EL0 permissions.

fn main() {
    rt::link::script(concat!(env!("CARGO_MANIFEST_DIR"), "/link.ld"));
}
