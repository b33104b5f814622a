//! Links the bare-metal binary with the board's linker script, as every
//! guest: fuzz is an ordinary `kernel8.img` loaded at 0x80000.

fn main() {
    rt::link::board_script();
}
