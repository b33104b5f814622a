//! echo: a bare-metal AArch64 program for the Raspberry Pi 3 that writes
//! back every byte typed on its serial console (the mini UART).
//!
//! It is ferrovisor's simplest guest and an ordinary BCM2837 program: the
//! same `echo.bin` boots natively as `kernel8.img` (at EL2, and drops to EL1)
//! and inside ferrovisor (at EL1, on a virtual Raspberry Pi 3). Input is
//! interrupt driven and the main loop sleeps in WFI between interrupts, so
//! under the hypervisor an idle echo gives its CPU to the other VMs.
//!
//! The board support is shared: the register blocks and drivers are the
//! board crate's (`raspi3b`), and the boot code, the EL2 → EL1 drop, the
//! release of cores 1-3, the vector table and the panic handler are the
//! guest runtime's (`rt`). What is left here is echo itself.
//!
//! The flow: `rt`'s `boot.s` and drop to EL1 → [`start`] (vectors, GPIO,
//! UART, banner, interrupts) → the echo loop, fed by [`irq::handle`].
//!
//! Built for the host, only the stub `main` and the unit tests of the
//! receive ring are compiled.
#![cfg_attr(target_os = "none", no_std)]
#![cfg_attr(target_os = "none", no_main)]

#[cfg(target_os = "none")]
mod irq;
#[cfg(any(target_os = "none", test))]
mod ring;

#[cfg(target_os = "none")]
use {embedded_io::Write, rt::board::UART, rt::cpu};

#[cfg(target_os = "none")]
rt::entry!("echo", start);
// ANCHOR: dispatch
// The one exception echo expects is an IRQ; the runtime reports any other.
#[cfg(target_os = "none")]
rt::exception_handler!(irq = irq::handle);
// ANCHOR_END: dispatch

/// What echo prints once its console is up.
#[cfg(target_os = "none")]
const BANNER: &[u8] =
    b"\r\necho: a bare-metal echo program for the Raspberry Pi 3\r\necho: ready, type something\r\n";

/// What the Enter key sends.
#[cfg(target_os = "none")]
const CARRIAGE_RETURN: u8 = b'\r';
/// What echo sends back for it, so that a terminal starts a new line.
#[cfg(target_os = "none")]
const NEW_LINE: &[u8] = b"\r\n";

// ANCHOR: start
/// The start-up sequence at EL1, on core 0, with every exception masked.
/// Never returns: it ends in the echo loop.
#[cfg(target_os = "none")]
fn start() -> ! {
    rt::exception::install_vectors();
    rt::board::init_console();
    let _ = (&UART).write_all(BANNER);
    irq::enable_receive_interrupt();
    cpu::enable_irqs();
    echo_forever()
}
// ANCHOR_END: start

// ANCHOR: wfi_loop
/// Write back what the interrupt handler received; sleep when there is
/// nothing to do.
#[cfg(target_os = "none")]
fn echo_forever() -> ! {
    loop {
        // SAFETY: this loop is the receive ring's only consumer.
        while let Some(byte) = unsafe { irq::take_byte() } {
            echo(byte);
        }
        irq::resume_receive();
        // Sleep until the next interrupt. IRQs are masked from the check
        // to the WFI, so a byte that arrives just after the check is not
        // left waiting: WFI wakes up for a pending IRQ even when it is
        // masked, and the IRQ is taken as soon as the mask is lifted.
        cpu::without_irqs(|| {
            if irq::nothing_received() {
                cpu::wait_for_interrupt();
            }
        });
    }
}
// ANCHOR_END: wfi_loop

/// Write `byte` back, turning Enter into a new line.
#[cfg(target_os = "none")]
fn echo(byte: u8) {
    let _ = if byte == CARRIAGE_RETURN {
        (&UART).write_all(NEW_LINE)
    } else {
        (&UART).write_all(&[byte])
    };
}

/// Built for the host, there is nothing to run.
#[cfg(not(target_os = "none"))]
fn main() {
    eprintln!("echo is a bare-metal AArch64 program for the Raspberry Pi 3: build it for aarch64-unknown-none-softfloat");
    std::process::exit(1);
}
