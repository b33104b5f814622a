//! System test: keys typed before ferrovisor is up are not lost.
//!
//! `./scripts/demo.sh` builds first and boots QEMU after; whatever the user
//! types meanwhile waits in the terminal and reaches QEMU's serial input the
//! moment QEMU starts, before the firmware has even started the hypervisor.
//! QEMU puts it into the mini UART's receive FIFO at once. The hypervisor's
//! UART setup must leave that FIFO alone (on the real mini UART, writing
//! AUX_MU_IIR_REG with bit 1 set clears it; switching the receiver off in
//! AUX_MU_CNTL_REG does not), so that the command typed early runs at the
//! first prompt, as if it had been typed there.
//!
//! To make "before" certain rather than likely, QEMU starts with its CPUs
//! stopped (`-S`) and a QMP socket; the test types, waits until the mini
//! UART's line status register (read through the monitor, which has no side
//! effect on it) says the receive FIFO holds data, and only then lets the
//! machine run.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use ferrovisor_harness::{scaled, Qemu, BOOT_TIMEOUT, PROMPT, STEP_TIMEOUT};

/// A command whose output cannot be mistaken for the banner: `vml`'s table
/// header.
const COMMAND: &str = "vml";
/// The first words of `vml`'s header line.
const VML_HEADER: &str = "Id Name";
/// The mini UART's AUX_MU_LSR_REG (BCM2835 ARM Peripherals, 0x7E215054 on
/// the bus), and its DATA_READY bit.
const AUX_MU_LSR_REG: u64 = 0x3f21_5054;
const LSR_DATA_READY: u32 = 1 << 0;
/// How often to look again while waiting for QEMU.
const POLL: Duration = Duration::from_millis(20);

/// A minimal QMP client: one JSON command per line, one answer per line
/// (events, which QEMU may interleave, are skipped).
struct Qmp {
    reader: BufReader<UnixStream>,
    writer: UnixStream,
}

impl Qmp {
    /// Connects to the socket QEMU creates at `path`, and leaves the
    /// capabilities negotiation mode.
    fn connect(path: &PathBuf) -> Qmp {
        let deadline = Instant::now() + scaled(STEP_TIMEOUT);
        let stream = loop {
            match UnixStream::connect(path) {
                Ok(stream) => break stream,
                Err(err) if Instant::now() < deadline => {
                    let _ = err;
                    std::thread::sleep(POLL);
                }
                Err(err) => panic!("QEMU's QMP socket {} never came up: {err}", path.display()),
            }
        };
        stream
            .set_read_timeout(Some(scaled(STEP_TIMEOUT)))
            .expect("a read timeout can be set");
        let writer = stream.try_clone().expect("the socket can be cloned");
        let mut qmp = Qmp {
            reader: BufReader::new(stream),
            writer,
        };
        let greeting = qmp.line();
        assert!(
            greeting.contains("\"QMP\""),
            "not a QMP greeting: {greeting}"
        );
        qmp.execute(r#"{"execute": "qmp_capabilities"}"#);
        qmp
    }

    /// The next line from QEMU.
    fn line(&mut self) -> String {
        let mut line = String::new();
        let n = self
            .reader
            .read_line(&mut line)
            .expect("QEMU answers on its QMP socket");
        assert!(n > 0, "QEMU closed its QMP socket");
        line
    }

    /// Sends `command` and returns QEMU's answer to it.
    fn execute(&mut self, command: &str) -> String {
        writeln!(self.writer, "{command}").expect("QEMU reads its QMP socket");
        loop {
            let line = self.line();
            if line.contains("\"event\"") {
                continue;
            }
            assert!(
                line.contains("\"return\""),
                "QMP error for {command}: {line}"
            );
            return line;
        }
    }

    /// A 32-bit word at physical address `address`, read by the monitor's
    /// `xp` (for a device register, a read of that register).
    fn read_physical_word(&mut self, address: u64) -> u32 {
        let answer = self.execute(&format!(
            r#"{{"execute": "human-monitor-command", "arguments": {{"command-line": "xp /1wx {address:#x}"}}}}"#
        ));
        // The answer's text is "<address>: 0x<value>\r\n".
        let value = answer
            .rsplit("0x")
            .next()
            .and_then(|rest| rest.get(..8))
            .and_then(|hex| u32::from_str_radix(hex, 16).ok())
            .unwrap_or_else(|| panic!("cannot read the value in {answer}"));
        value
    }
}

#[test]
fn a_command_typed_before_the_hypervisor_printed_anything_runs() {
    let socket =
        std::env::temp_dir().join(format!("ferrovisor-early-input-{}.qmp", std::process::id()));
    let _ = std::fs::remove_file(&socket);
    // This test binary has this one test, so no other thread reads the
    // variable while it changes.
    std::env::set_var(
        ferrovisor_harness::QEMU_EXTRA_ARGS_VAR,
        format!("-S -qmp unix:{},server=on,wait=off", socket.display()),
    );
    let mut qemu = Qemu::boot_default("early_input");
    qemu.send(format!("{COMMAND}\r").as_bytes());

    // The CPUs have not run a single instruction: wait until QEMU has put
    // the typed bytes into the mini UART's receive FIFO, then start them.
    let mut qmp = Qmp::connect(&socket);
    let deadline = Instant::now() + scaled(STEP_TIMEOUT);
    while qmp.read_physical_word(AUX_MU_LSR_REG) & LSR_DATA_READY == 0 {
        assert!(
            Instant::now() < deadline,
            "the typed bytes never reached the mini UART's receive FIFO"
        );
        std::thread::sleep(POLL);
    }
    assert!(
        qemu.raw_output().is_empty(),
        "the console printed something while the CPUs were stopped"
    );
    qmp.execute(r#"{"execute": "cont"}"#);
    let _ = std::fs::remove_file(&socket);

    let banner = qemu.wait_for_prompt(BOOT_TIMEOUT);
    assert!(
        !banner.contains(VML_HEADER),
        "vml ran before the first prompt:\n{banner}"
    );
    // The line editor sees the early bytes as typed at the first prompt: it
    // echoes the command, and the command runs.
    let echo = qemu.expect(&format!("{COMMAND}\r\n"), STEP_TIMEOUT);
    assert_eq!(
        echo,
        format!("{COMMAND}\r\n"),
        "the early command must be echoed right after the first prompt"
    );
    let output = qemu.wait_for_prompt(STEP_TIMEOUT);
    assert!(
        output.contains(VML_HEADER),
        "the early command did not run: the shell printed {output:?} before the next {PROMPT:?}"
    );
}
