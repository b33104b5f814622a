//! A running QEMU with the hypervisor image, driven through its console.
//!
//! [`Qemu`] owns the emulator process. Two reader threads copy everything it
//! prints (the console on stdout, QEMU's own diagnostics on stderr) into a
//! shared buffer and signal a condition variable, so [`Qemu::expect`] wakes
//! as soon as new bytes arrive instead of polling. Dropping a [`Qemu`] kills
//! and reaps the process; if the test is failing at that point the whole
//! console log is saved under `target/systest-logs/`.

use std::ffi::OsString;
use std::io::{ErrorKind, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use crate::args::{display_command, find_qemu, qemu_command_line_with};
use crate::paths::{image_path, log_path};
use crate::timeouts::{scaled, STEP_TIMEOUT};
use crate::transcript::{printable_tail, Transcript};

/// The ferrovisor shell prompt, exactly as printed (note the trailing space).
pub const PROMPT: &str = "ferrovisor> ";
/// The first words of the line `@?` prints in a VM's console.
pub const CONSOLE_KEYS: &str = "[console keys:";

/// How many characters of unread output a timeout report shows.
const REPORT_CHARS: usize = 2000;

/// Which of QEMU's output streams a reader thread copies.
#[derive(Clone, Copy, Debug)]
enum Stream {
    /// The emulated machine's console (`-serial stdio`).
    Console,
    /// QEMU's own warnings and errors.
    Stderr,
}

/// Output shared between the reader threads and the test thread.
#[derive(Debug, Default)]
struct Output {
    /// The console, with the test's read cursor.
    console: Transcript,
    /// Everything QEMU itself printed on stderr.
    stderr: Vec<u8>,
    /// The console stream reached end of file (QEMU exited or closed it).
    console_closed: bool,
    /// The stderr stream reached end of file.
    stderr_closed: bool,
}

/// The buffer plus the condition variable signalled whenever it changes.
#[derive(Debug, Default)]
struct Shared {
    output: Mutex<Output>,
    changed: Condvar,
}

impl Shared {
    /// Locks the output. A poisoned lock only means some thread panicked
    /// while holding it (the test thread reporting a failure); the data is
    /// still consistent, and the failure log needs it.
    fn lock(&self) -> MutexGuard<'_, Output> {
        self.output
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
    }

    /// Waits for a change or until `deadline` (forever if `None`).
    fn wait<'a>(
        &self,
        guard: MutexGuard<'a, Output>,
        deadline: Option<Instant>,
    ) -> MutexGuard<'a, Output> {
        match deadline {
            None => self
                .changed
                .wait(guard)
                .unwrap_or_else(|poison| poison.into_inner()),
            Some(deadline) => {
                let left = deadline.saturating_duration_since(Instant::now());
                self.changed
                    .wait_timeout(guard, left)
                    .unwrap_or_else(|poison| poison.into_inner())
                    .0
            }
        }
    }
}

/// One QEMU process running the hypervisor image, with its console attached.
///
/// Every method that waits takes an unscaled timeout and multiplies it by
/// [`crate::timeout_scale`].
#[derive(Debug)]
pub struct Qemu {
    test_name: String,
    command: String,
    child: Child,
    stdin: Option<ChildStdin>,
    shared: Arc<Shared>,
    readers: Vec<JoinHandle<()>>,
}

impl Qemu {
    /// Boots `image` in a new QEMU whose console is connected to this object.
    /// `test_name` names the log file written if the test fails.
    ///
    /// # Panics
    ///
    /// If QEMU is not installed, the image or the board arguments are
    /// missing, or the process cannot be started.
    pub fn boot(image: &Path, test_name: &str) -> Qemu {
        if !image.is_file() {
            panic!(
                "the hypervisor image {} does not exist; build it first with ./scripts/build.sh",
                image.display()
            );
        }
        Qemu::boot_with(image, &[], test_name)
    }

    /// [`Qemu::boot`] with `extra` QEMU arguments after `-kernel <image>`.
    ///
    /// # Panics
    ///
    /// As [`Qemu::boot`].
    pub fn boot_with(image: &Path, extra: &[OsString], test_name: &str) -> Qemu {
        if !image.is_file() {
            panic!(
                "the image {} does not exist; build it first with ./scripts/build.sh",
                image.display()
            );
        }
        let binary = find_qemu();
        let args: Vec<OsString> = qemu_command_line_with(image, extra);
        Qemu::spawn(&binary, &args, test_name)
    }

    /// Starts `binary` with `args` and attaches to its stdin, stdout (the
    /// console) and stderr. Separate from [`Qemu::boot`] so the plumbing can
    /// be tested with ordinary host programs.
    fn spawn(binary: &Path, args: &[OsString], test_name: &str) -> Qemu {
        let command = display_command(binary, args);
        let mut child = Command::new(binary)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|err| panic!("cannot start `{command}`: {err}"));

        let shared = Arc::new(Shared::default());
        let stdout = child.stdout.take().expect("stdout is piped");
        let stderr = child.stderr.take().expect("stderr is piped");
        let readers = vec![
            spawn_reader(stdout, Stream::Console, &shared, test_name),
            spawn_reader(stderr, Stream::Stderr, &shared, test_name),
        ];
        Qemu {
            test_name: test_name.to_owned(),
            command,
            stdin: child.stdin.take(),
            child,
            shared,
            readers,
        }
    }

    /// [`Qemu::boot`] with the image from [`crate::image_path`].
    pub fn boot_default(test_name: &str) -> Qemu {
        Qemu::boot(&image_path(), test_name)
    }

    /// The test name given at boot.
    pub fn test_name(&self) -> &str {
        &self.test_name
    }

    /// The QEMU command line, as a shell-like string.
    pub fn command_line(&self) -> &str {
        &self.command
    }

    /// The QEMU process's id (the soak test reads its memory use in /proc).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits until `needle` appears in the console output after the cursor,
    /// then returns the text from the cursor to the end of the needle
    /// (inclusive) and moves the cursor past it. Output that is not valid
    /// UTF-8 is converted lossily; use [`Qemu::expect_bytes`] for exact bytes.
    ///
    /// # Panics
    ///
    /// If the needle has not appeared within `timeout` (scaled), or QEMU
    /// closes its console first. The message names the needle and the
    /// timeout and shows the end of the unread output.
    pub fn expect(&mut self, needle: &str, timeout: Duration) -> String {
        let text = self.wait_for(needle.as_bytes(), &format!("{needle:?}"), timeout);
        String::from_utf8_lossy(&text).into_owned()
    }

    /// Like [`Qemu::expect`], but matches and returns raw bytes.
    pub fn expect_bytes(&mut self, needle: &[u8], timeout: Duration) -> Vec<u8> {
        self.wait_for(needle, &format!("bytes {needle:02x?}"), timeout)
    }

    /// Checks that `needle` does NOT appear after the cursor during the next
    /// `window` (scaled). This is the only kind of check that needs a fixed
    /// wait: absence can only be established by waiting. The cursor does not
    /// move. QEMU exiting during the window counts as absence.
    ///
    /// # Panics
    ///
    /// As soon as the needle appears, showing the unread output.
    pub fn expect_absent(&mut self, needle: &str, window: Duration) {
        let window = scaled(window);
        let deadline = Instant::now().checked_add(window);
        let shared = Arc::clone(&self.shared);
        let mut out = shared.lock();
        let mut from = out.console.cursor();
        loop {
            if out.console.find(needle.as_bytes(), from).is_some() {
                let unread = printable_tail(out.console.unread(), REPORT_CHARS);
                drop(out);
                panic!(
                    "[{}] {needle:?} appeared although it must not within {window:?}\n\
                     unread console output:\n-----\n{unread}\n-----",
                    self.test_name
                );
            }
            from = out.console.resume_point(needle.len());
            if out.console_closed || deadline.is_some_and(|d| Instant::now() >= d) {
                return;
            }
            out = shared.wait(out, deadline);
        }
    }

    /// Waits for the shell prompt [`PROMPT`] and returns everything printed
    /// before it since the cursor (the prompt itself is consumed but not
    /// returned).
    pub fn wait_for_prompt(&mut self, timeout: Duration) -> String {
        let mut text = self.expect(PROMPT, timeout);
        text.truncate(text.len() - PROMPT.len());
        text
    }

    /// Types `line` and Enter at the prompt, checks the shell echoed it
    /// (`line` followed by `"\r\n"`), and returns the command's output up
    /// to the next prompt (exclusive), with [`STEP_TIMEOUT`] for each step.
    ///
    /// The cursor must be just after a prompt.
    ///
    /// # Panics
    ///
    /// On a timeout, or if anything other than the echo appears between the
    /// prompt and the echoed line.
    pub fn run_command(&mut self, line: &str) -> String {
        let echo = format!("{line}\r\n");
        self.send_line(line);
        let seen = self.expect(&echo, STEP_TIMEOUT);
        assert_eq!(
            seen, echo,
            "[{}] the shell must echo the typed line right after the prompt",
            self.test_name
        );
        self.wait_for_prompt(STEP_TIMEOUT)
    }

    /// Writes `bytes` to the console (QEMU's stdin) in one write and flushes.
    ///
    /// # Panics
    ///
    /// If QEMU no longer accepts input (usually because it exited).
    pub fn send(&mut self, bytes: &[u8]) {
        let stdin = self.stdin.as_mut().expect("stdin is open until drop");
        if let Err(err) = stdin.write_all(bytes).and_then(|()| stdin.flush()) {
            let status = self.status();
            panic!(
                "[{}] cannot send {} bytes to QEMU ({status}): {err}",
                self.test_name,
                bytes.len()
            );
        }
    }

    /// Sends `line` followed by `"\r"`, as pressing Enter on a terminal does.
    pub fn send_line(&mut self, line: &str) {
        let mut bytes = Vec::with_capacity(line.len() + 1);
        bytes.extend_from_slice(line.as_bytes());
        bytes.push(b'\r');
        self.send(&bytes);
    }

    /// Gives the console to VM `id`, from the prompt (`vmc N`) or from a
    /// VM's console (`@N`), and skips what the switch replays: after this,
    /// everything read is new output.
    pub fn switch_console(&mut self, id: u32, from_prompt: bool) {
        if from_prompt {
            self.send_line(&format!("vmc {id}"));
        } else {
            self.send(format!("@{id}").as_bytes());
        }
        self.expect(&format!("[console: VM {id} "), STEP_TIMEOUT);
        self.send(b"@?");
        self.expect(CONSOLE_KEYS, STEP_TIMEOUT);
        self.expect("]\r\n", STEP_TIMEOUT);
    }

    /// From a VM's console back to the hypervisor's prompt (`@0`).
    pub fn back_to_prompt(&mut self) {
        self.send(b"@0");
        self.expect("[back to ferrovisor]", STEP_TIMEOUT);
        self.expect(PROMPT, STEP_TIMEOUT);
    }

    /// The whole console output since QEMU started (lossy UTF-8).
    pub fn output_since_start(&self) -> String {
        String::from_utf8_lossy(self.shared.lock().console.all()).into_owned()
    }

    /// The whole console output since QEMU started, as raw bytes.
    pub fn raw_output(&self) -> Vec<u8> {
        self.shared.lock().console.all().to_vec()
    }

    /// The console output after the cursor, not consumed by any `expect` yet.
    pub fn unread_output(&self) -> String {
        String::from_utf8_lossy(self.shared.lock().console.unread()).into_owned()
    }

    /// Everything QEMU itself printed on stderr (lossy UTF-8).
    pub fn stderr_output(&self) -> String {
        String::from_utf8_lossy(&self.shared.lock().stderr).into_owned()
    }

    /// The shared body of `expect` and `expect_bytes`.
    fn wait_for(&mut self, needle: &[u8], shown: &str, timeout: Duration) -> Vec<u8> {
        let timeout = scaled(timeout);
        let deadline = Instant::now().checked_add(timeout);
        let shared = Arc::clone(&self.shared);
        let mut out = shared.lock();
        let mut from = out.console.cursor();
        let reason = loop {
            if let Some(end) = out.console.find(needle, from) {
                return out.console.consume_to(end);
            }
            from = out.console.resume_point(needle.len());
            if out.console_closed {
                // QEMU is most likely exiting; give the stderr reader a
                // moment to collect its last words for the report.
                let grace = Instant::now() + Duration::from_secs(1);
                while !out.stderr_closed && Instant::now() < grace {
                    out = shared.wait(out, Some(grace));
                }
                break "QEMU closed the console before it appeared";
            }
            if deadline.is_some_and(|d| Instant::now() >= d) {
                break "it did not appear in time";
            }
            out = shared.wait(out, deadline);
        };
        let unread = out.console.unread();
        let unread = if unread.is_empty() {
            format!(
                "(nothing since the last match, which ended with:)\n{}",
                printable_tail(out.console.all(), REPORT_CHARS / 4)
            )
        } else {
            printable_tail(unread, REPORT_CHARS)
        };
        let stderr = if out.stderr.is_empty() {
            String::new()
        } else {
            format!(
                "\nQEMU stderr:\n-----\n{}\n-----",
                printable_tail(&out.stderr, REPORT_CHARS)
            )
        };
        drop(out);
        let status = self.status();
        panic!(
            "[{}] expected {shown} within {timeout:?}, but {reason} (QEMU {status})\n\
             unread console output (at most the last {REPORT_CHARS} characters):\n-----\n{unread}\n-----{stderr}",
            self.test_name
        );
    }

    /// A short description of whether QEMU is still running.
    fn status(&mut self) -> String {
        match self.child.try_wait() {
            Ok(None) => "still running".to_owned(),
            Ok(Some(status)) => format!("exited: {status}"),
            Err(err) => format!("status unknown: {err}"),
        }
    }

    /// Writes the console log (and QEMU's stderr, if any) for a failed test.
    fn write_failure_log(&self) -> std::io::Result<PathBuf> {
        let path = log_path(&self.test_name);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let out = self.shared.lock();
        let mut log = Vec::with_capacity(out.console.all().len() + out.stderr.len() + 256);
        log.extend_from_slice(out.console.all());
        log.extend_from_slice(b"\n\n===== end of console output =====\n");
        log.extend_from_slice(format!("test: {}\n", self.test_name).as_bytes());
        log.extend_from_slice(format!("command: {}\n", self.command).as_bytes());
        log.extend_from_slice(
            format!(
                "read cursor at byte {} of {}\n",
                out.console.cursor(),
                out.console.all().len()
            )
            .as_bytes(),
        );
        if !out.stderr.is_empty() {
            log.extend_from_slice(b"===== QEMU stderr =====\n");
            log.extend_from_slice(&out.stderr);
        }
        drop(out);
        std::fs::write(&path, log)?;
        Ok(path)
    }
}

impl Drop for Qemu {
    fn drop(&mut self) {
        // Closing stdin first lets a well-behaved QEMU notice; killing it
        // makes sure, and waiting reaps the zombie. Errors here mean the
        // process is already gone, which is what we want anyway.
        drop(self.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
        // The pipes are closed now, so the readers reach end of file.
        for reader in self.readers.drain(..) {
            let _ = reader.join();
        }
        if thread::panicking() {
            match self.write_failure_log() {
                Ok(path) => eprintln!(
                    "[{}] console log of the failed test: {}",
                    self.test_name,
                    path.display()
                ),
                Err(err) => eprintln!(
                    "[{}] could not write the console log: {err}",
                    self.test_name
                ),
            }
        }
    }
}

/// Starts a thread copying `source` into the shared output until end of file.
fn spawn_reader(
    source: impl Read + Send + 'static,
    stream: Stream,
    shared: &Arc<Shared>,
    test_name: &str,
) -> JoinHandle<()> {
    let shared = Arc::clone(shared);
    let name = format!("qemu-{stream:?}-{test_name}").to_lowercase();
    thread::Builder::new()
        .name(name)
        .spawn(move || pump(source, stream, &shared))
        .expect("cannot start a QEMU output reader thread")
}

/// The body of a reader thread.
fn pump(mut source: impl Read, stream: Stream, shared: &Shared) {
    let mut chunk = [0u8; 4096];
    loop {
        let read = match source.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => n,
            Err(err) if err.kind() == ErrorKind::Interrupted => continue,
            // Any other error means the pipe is unusable: treat it as EOF.
            Err(_) => break,
        };
        let mut out = shared.lock();
        match stream {
            Stream::Console => out.console.push(&chunk[..read]),
            Stream::Stderr => out.stderr.extend_from_slice(&chunk[..read]),
        }
        drop(out);
        shared.changed.notify_all();
    }
    let mut out = shared.lock();
    match stream {
        Stream::Console => out.console_closed = true,
        Stream::Stderr => out.stderr_closed = true,
    }
    drop(out);
    shared.changed.notify_all();
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::panic::{catch_unwind, AssertUnwindSafe};

    /// A "machine" whose console echoes whatever is sent to it.
    fn cat(test_name: &str) -> Qemu {
        Qemu::spawn(Path::new("/bin/cat"), &[], test_name)
    }

    /// The panic message of a closure that must panic.
    fn panic_message(f: impl FnOnce()) -> String {
        let payload = catch_unwind(AssertUnwindSafe(f)).expect_err("must panic");
        payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default()
    }

    #[test]
    fn expect_consumes_through_the_needle() {
        let mut q = cat("harness-unit-expect");
        q.send(b"one\r\ntwo\r\n");
        assert_eq!(q.expect("one", Duration::from_secs(10)), "one");
        assert_eq!(q.expect("two", Duration::from_secs(10)), "\r\ntwo");
        q.send_line("ferrovisor> x");
        assert_eq!(q.wait_for_prompt(Duration::from_secs(10)), "\r\n");
        assert_eq!(q.expect_bytes(b"x\r", Duration::from_secs(10)), b"x\r");
        assert_eq!(q.output_since_start(), "one\r\ntwo\r\nferrovisor> x\r");
        assert_eq!(q.unread_output(), "");
        assert_eq!(q.stderr_output(), "");
    }

    #[test]
    fn all_byte_values_round_trip() {
        let mut q = cat("harness-unit-bytes");
        let all: Vec<u8> = (0..=255).collect();
        q.send(&all);
        assert_eq!(q.expect_bytes(&[0xfe, 0xff], Duration::from_secs(10)), all);
        assert_eq!(q.raw_output(), all);
    }

    #[test]
    fn timeout_names_needle_and_shows_unread_output() {
        let message = panic_message(|| {
            let mut q = cat("harness-unit-timeout");
            q.send(b"some output\r\n");
            q.expect("some", Duration::from_secs(10));
            q.expect("never printed", Duration::from_millis(200));
        });
        assert!(message.contains("\"never printed\""), "{message}");
        assert!(message.contains("within"), "{message}");
        assert!(message.contains("harness-unit-timeout"), "{message}");
        assert!(message.contains(" output\n"), "{message}");
        assert!(message.contains("still running"), "{message}");
        let _ = std::fs::remove_file(log_path("harness-unit-timeout"));
    }

    #[test]
    fn failing_test_leaves_a_log_and_passing_test_does_not() {
        let failing = log_path("harness-unit-failing-log");
        let passing = log_path("harness-unit-passing-log");
        let _ = std::fs::remove_file(&failing);
        let _ = std::fs::remove_file(&passing);

        {
            let mut q = cat("harness-unit-passing-log");
            q.send(b"fine");
            q.expect("fine", Duration::from_secs(10));
        }
        assert!(!passing.exists());

        panic_message(|| {
            let mut q = cat("harness-unit-failing-log");
            q.send(b"console text before the failure");
            q.expect("failure", Duration::from_secs(10));
            panic!("test assertion failed");
        });
        let log = std::fs::read_to_string(&failing).expect("log written");
        assert!(log.starts_with("console text before the failure"), "{log}");
        assert!(log.contains("/bin/cat"), "{log}");
        std::fs::remove_file(&failing).unwrap();
    }

    #[test]
    fn console_closing_fails_fast() {
        let message = panic_message(|| {
            let mut q = Qemu::spawn(
                Path::new("/bin/sh"),
                &["-c".into(), "echo bye; echo oops >&2".into()],
                "harness-unit-closed",
            );
            q.expect("ferrovisor> ", Duration::from_secs(600));
        });
        assert!(message.contains("closed the console"), "{message}");
        assert!(message.contains("bye"), "{message}");
        assert!(message.contains("QEMU stderr:\n-----\noops"), "{message}");
        let _ = std::fs::remove_file(log_path("harness-unit-closed"));
    }

    #[test]
    fn absence_check() {
        let mut q = cat("harness-unit-absent");
        q.send(b"abc");
        q.expect("abc", Duration::from_secs(10));
        q.expect_absent("abc", Duration::from_millis(100));
        let message = panic_message(|| {
            q.send(b"xyz");
            q.expect_absent("xyz", Duration::from_secs(10));
        });
        assert!(message.contains("\"xyz\" appeared"), "{message}");
        let _ = std::fs::remove_file(log_path("harness-unit-absent"));
    }

    #[test]
    fn pump_copies_streams_and_marks_console_end() {
        let shared = Shared::default();
        pump(&b"hello\r\nferrovisor> "[..], Stream::Console, &shared);
        pump(&b"qemu: warning"[..], Stream::Stderr, &shared);
        let out = shared.lock();
        assert_eq!(out.console.all(), b"hello\r\nferrovisor> ");
        assert_eq!(out.stderr, b"qemu: warning");
        assert!(out.console_closed);
        assert!(out.stderr_closed);
    }

    #[test]
    fn waiting_with_a_past_deadline_returns() {
        let shared = Shared::default();
        let guard = shared.lock();
        let _guard = shared.wait(guard, Some(Instant::now()));
    }
}
