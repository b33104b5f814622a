//! The shell loop: read keys, edit the line, run the command.

use crate::arch::aarch64::{cpu, timer};
use crate::board;
use crate::console::line_editor::{Event, LineEditor, MAX_LINE};
use crate::console::shell::{self, Command, SystemInfo, PROMPT};
use crate::console::{input, output::console};
use crate::kernel::BootInfo;
use crate::log::kernel::LOG;
use ufmt::uwriteln;

/// An address nothing is mapped at, for the `fault` command.
const UNMAPPED_ADDRESS: usize = 0xdead_0000;

/// The greeting printed once the console is up.
pub fn banner(info: &BootInfo) {
    let mut out = console();
    let _ = uwriteln!(
        out,
        "\nferrovisor {} - a teaching hypervisor for the Raspberry Pi 3",
        crate::VERSION
    );
    let _ = uwriteln!(
        out,
        "{} rev 1.{}, {} cores, {} MiB RAM, running at EL2",
        info.revision.model(),
        info.revision.pcb_revision(),
        board::CORES,
        info.arm_memory_bytes >> 20
    );
    let _ = uwriteln!(out, "Type 'help' for the list of commands.\n");
}

// ANCHOR: loop
/// Read, edit and run command lines forever.
pub fn run_shell() -> ! {
    let mut editor = LineEditor::new();
    console().write_raw(PROMPT.as_bytes());
    loop {
        let byte = input::read_byte();
        let event = editor.feed(byte, &mut *console());
        match event {
            None => continue,
            Some(Event::Line) => run_line(editor.line()),
            Some(Event::TooLong) => {
                let _ = uwriteln!(
                    console(),
                    "ferrovisor: line too long (more than {} characters); ignored",
                    MAX_LINE
                );
            }
            Some(Event::Cancelled) => {}
        }
        editor.reset();
        console().write_raw(PROMPT.as_bytes());
    }
}

fn run_line(line: &str) {
    match shell::parse(line) {
        Ok(None) => {}
        Ok(Some(command)) => run(command),
        Err(err) => {
            let _ = shell::write_error(&mut *console(), &err);
        }
    }
}
// ANCHOR_END: loop

fn run(command: Command<'_>) {
    match command {
        Command::Help(topic) => {
            let _ = shell::write_help(&mut *console(), topic);
        }
        Command::Info => {
            let boot = crate::kernel::BOOT_INFO.get().copied();
            let info = SystemInfo {
                version: crate::VERSION,
                revision: boot.map_or(board::Revision(0), |b| b.revision),
                cores: board::CORES,
                arm_memory_bytes: boot.map_or(0, |b| b.arm_memory_bytes),
                core_clock_hz: boot.map_or(0, |b| b.core_clock_hz),
                exception_level: cpu::current_el() as u8,
                now: timer::now(),
                rx_dropped: input::dropped(),
            };
            let _ = shell::write_info(&mut *console(), &info);
        }
        Command::Dmesg => {
            // Lock order: LOG, then the console.
            let log = LOG.lock();
            let (a, b) = log.whole_lines();
            let mut out = console();
            for part in [a, b] {
                for line in part.split_inclusive(|&c| c == b'\n') {
                    out.write_raw(line.strip_suffix(b"\n").unwrap_or(line));
                    if line.ends_with(b"\n") {
                        out.write_raw(b"\r\n");
                    }
                }
            }
        }
        Command::Fault => {
            let _ = uwriteln!(
                console(),
                "reading {:#x}, where nothing is mapped...",
                UNMAPPED_ADDRESS
            );
            // SAFETY: deliberately not safe: the load faults, and the
            // exception handler reports it and halts; nothing after runs.
            unsafe {
                core::ptr::read_volatile(UNMAPPED_ADDRESS as *const u64);
            }
        }
    }
}
