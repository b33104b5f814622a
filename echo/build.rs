//! Links the bare-metal binary with the board's linker script, the same one
//! ferrovisor uses: echo is an ordinary `kernel8.img` loaded at 0x80000.

fn main() {
    rt::link::board_script();
}
