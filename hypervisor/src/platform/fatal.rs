//! The end of the line: the writer crash reports use, and the entry point
//! of every exception taken at EL2 itself (which is always unexpected:
//! guests leave through `world_switch.s`).
//!
//! The writer takes no lock, because the code that crashed may have held
//! the console's, and it waits on the transmitter itself.

use super::{uart_ready, UART};
use crate::arch::aarch64::cpu;
use crate::arch::aarch64::exception::{self, TrapFrame};
use core::convert::Infallible;
use ufmt::uWrite;

// ANCHOR: emergency
/// Writes to the mini UART with no lock, `\n` as `\r\n`.
pub struct EmergencyWriter;

impl uWrite for EmergencyWriter {
    type Error = Infallible;

    fn write_str(&mut self, s: &str) -> Result<(), Infallible> {
        if !uart_ready() {
            return Ok(());
        }
        for b in s.bytes() {
            if b == b'\n' {
                send(b'\r');
            }
            send(b);
        }
        Ok(())
    }
}

fn send(byte: u8) {
    while !UART.can_write() {
        core::hint::spin_loop();
    }
    UART.write_byte(byte);
}

/// A writer that bypasses the console's lock, for crash reports only.
pub fn emergency_writer() -> EmergencyWriter {
    EmergencyWriter
}
// ANCHOR_END: emergency

// ANCHOR: entry
/// Called by `vectors.s` for every exception taken to EL2.
#[no_mangle]
extern "C" fn exception_entry(frame: &mut TrapFrame, vector: u64) {
    // The hypervisor runs with IRQs masked and guests leave through
    // world_switch.s, so everything that arrives here is unexpected: say
    // everything known about it, then stop. A hypervisor that carries on
    // after corrupting itself would only fail later, somewhere harder to
    // understand.
    exception::report(&mut emergency_writer(), frame, vector);
    cpu::halt()
}
// ANCHOR_END: entry
