//! Foundation system tests: boot the real hypervisor image in QEMU and use
//! its shell through the console the way a person at a serial terminal would.
//!
//! Each test boots its own QEMU, so the tests can run in parallel (use
//! `--test-threads=2` on a two-core machine). They need the image built by
//! `./scripts/build.sh`; a failing test leaves its console log in
//! `target/systest-logs/`.
//!
//! The behaviour checked here is the console contract of ferrovisor 0.1:
//! banner and prompt, line editing (echo, backspace, Ctrl-U, Ctrl-C, history),
//! robustness against arbitrary and overlong input, and the `help`, `info`,
//! `dmesg` and `fault` commands.

use std::time::Instant;

use ferrovisor_harness::{scaled, Qemu, BOOT_TIMEOUT, PROMPT, STEP_TIMEOUT};

/// The version the hypervisor must report: the workspace version, which this
/// crate shares.
const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Every shell command of this version.
const COMMANDS: [&str; 6] = ["help", "info", "dmesg", "vml", "vmc", "fault"];

/// Boots the hypervisor and waits for the first prompt; returns the machine
/// and everything printed before that prompt (the banner).
fn boot(test_name: &str) -> (Qemu, String) {
    let mut qemu = Qemu::boot_default(test_name);
    let banner = qemu.wait_for_prompt(BOOT_TIMEOUT);
    (qemu, banner)
}

/// Splits console text into lines, checking that every line ends in `"\r\n"`
/// as on a terminal (a bare `"\n"` leaves the cursor in the wrong column).
/// A final line without a line ending is kept; empty lines are kept too.
fn crlf_lines(text: &str) -> Vec<&str> {
    let bare_lf = text
        .char_indices()
        .any(|(i, c)| c == '\n' && !text[..i].ends_with('\r'));
    assert!(
        !bare_lf,
        "console output uses a bare \"\\n\" line ending (expected \"\\r\\n\"): {text:?}"
    );
    let mut lines: Vec<&str> = text.split("\r\n").collect();
    if lines.last() == Some(&"") {
        lines.pop();
    }
    lines
}

/// The last `chars` characters of `text` (for short failure messages).
fn tail(text: &str, chars: usize) -> &str {
    let skip = text.chars().count().saturating_sub(chars);
    let start = text
        .char_indices()
        .nth(skip)
        .map_or(text.len(), |(at, _)| at);
    &text[start..]
}

/// Checks the output of `help`: each command has its own line made of two
/// spaces, the command name, whitespace and a description.
fn check_help(output: &str) {
    let lines = crlf_lines(output);
    for command in COMMANDS {
        let listed = lines.iter().any(|line| {
            line.strip_prefix("  ")
                .and_then(|rest| rest.strip_prefix(command))
                .is_some_and(|description| {
                    description.starts_with(char::is_whitespace) && !description.trim().is_empty()
                })
        });
        assert!(
            listed,
            "help does not list `{command}` as \"  {command}  <description>\"; help output:\n{output}"
        );
    }
}

/// Parses `key : value` lines (as printed by `info`) into pairs. Every
/// non-empty line must have that shape.
fn key_values(output: &str) -> Vec<(String, String)> {
    crlf_lines(output)
        .into_iter()
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            let (key, value) = line
                .split_once(" : ")
                .unwrap_or_else(|| panic!("info line {line:?} is not `key : value`"));
            let key = key.trim();
            assert!(
                !key.is_empty() && !key.contains(char::is_whitespace),
                "info line {line:?} has a malformed key"
            );
            (key.to_owned(), value.trim().to_owned())
        })
        .collect()
}

/// The value of `key` in parsed `info` output.
fn value<'a>(fields: &'a [(String, String)], key: &str) -> &'a str {
    fields
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("info has no `{key}` line; it printed {fields:?}"))
}

/// Parses an uptime value such as `1.234 s` into seconds.
fn uptime_seconds(value: &str) -> f64 {
    value
        .strip_suffix(" s")
        .and_then(|number| number.trim().parse::<f64>().ok())
        .filter(|seconds| seconds.is_finite() && *seconds >= 0.0)
        .unwrap_or_else(|| panic!("uptime {value:?} is not of the form `1.234 s`"))
}

/// Checks the output of `info` and returns the uptime it reports.
fn check_info(output: &str) -> f64 {
    let fields = key_values(output);
    assert_eq!(value(&fields, "version"), VERSION, "info version");
    let board = value(&fields, "board");
    assert!(
        board.contains("Raspberry Pi 3"),
        "info board {board:?} does not name the Raspberry Pi 3"
    );
    let ram = value(&fields, "ram");
    assert!(
        ram.starts_with(|c: char| c.is_ascii_digit()),
        "info ram {ram:?} does not start with an amount"
    );
    let cores = value(&fields, "cores");
    let count: String = cores.chars().take_while(char::is_ascii_digit).collect();
    assert!(
        count.parse::<u32>().is_ok_and(|n| n >= 1),
        "info cores {cores:?} does not start with a core count"
    );
    uptime_seconds(value(&fields, "uptime"))
}

/// Parses a `dmesg` line `[    0.001234] text` into its timestamp in
/// seconds and its text, or `None` if the line has another shape.
fn dmesg_line(line: &str) -> Option<(f64, &str)> {
    let rest = line.strip_prefix('[')?;
    let (stamp, text) = rest.split_once("] ")?;
    let (whole, fraction) = stamp.trim_start_matches(' ').split_once('.')?;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || !digits(fraction) || fraction.len() != 6 || text.trim().is_empty() {
        return None;
    }
    let seconds = format!("{whole}.{fraction}").parse().ok()?;
    Some((seconds, text))
}

#[test]
fn dmesg_line_parser_accepts_linux_format_only() {
    assert_eq!(
        dmesg_line("[    0.001234] running at EL2"),
        Some((0.001234, "running at EL2"))
    );
    assert_eq!(dmesg_line("[12345.000001] x"), Some((12345.000001, "x")));
    assert_eq!(dmesg_line("[    0.0012] short fraction"), None);
    assert_eq!(dmesg_line("[    0.001234]no space"), None);
    assert_eq!(dmesg_line("[    0.001234] "), None);
    assert_eq!(dmesg_line("[  abc.001234] text"), None);
    assert_eq!(dmesg_line("0.001234 text"), None);
}

#[test]
fn boot_prints_banner_and_prompt() {
    let (_qemu, banner) = boot("boot_prints_banner_and_prompt");
    let lines = crlf_lines(&banner);
    // Boot log lines (`[    0.001234] ...`) may come first; the banner
    // starts at the first other non-empty line.
    let first = lines
        .iter()
        .find(|line| !line.trim().is_empty() && dmesg_line(line).is_none())
        .unwrap_or_else(|| panic!("no banner was printed before the prompt:\n{banner}"));
    let after_name = first
        .find("ferrovisor ")
        .map(|at| &first[at + "ferrovisor ".len()..])
        .unwrap_or_else(|| {
            panic!("the first banner line {first:?} does not contain \"ferrovisor \"")
        });
    assert!(
        after_name.contains(VERSION),
        "the first banner line {first:?} does not give the version {VERSION} after the name"
    );
    assert!(
        lines.iter().any(|line| line.contains("Raspberry Pi 3")),
        "the banner does not mention the Raspberry Pi 3:\n{banner}"
    );
}

#[test]
fn help_lists_every_command() {
    let (mut qemu, _) = boot("help_lists_every_command");
    let output = qemu.run_command("help");
    check_help(&output);
    // The prompt came back: the shell still answers.
    check_help(&qemu.run_command("help"));
}

#[test]
fn info_reports_system_facts_and_uptime_advances() {
    let (mut qemu, _) = boot("info_reports_system_facts_and_uptime_advances");
    let first = check_info(&qemu.run_command("info"));

    // Each `info` waits for its own answer, so this loop is paced by the
    // machine, not by sleeping. The uptime must never go backwards and must
    // eventually move forwards.
    let deadline = Instant::now() + scaled(STEP_TIMEOUT);
    let mut previous = first;
    loop {
        let uptime = check_info(&qemu.run_command("info"));
        assert!(
            uptime >= previous,
            "uptime went backwards from {previous} s to {uptime} s"
        );
        if uptime > first {
            break;
        }
        previous = uptime;
        assert!(
            Instant::now() < deadline,
            "uptime stayed at {first} s for {:?}",
            scaled(STEP_TIMEOUT)
        );
    }
}

#[test]
fn unknown_command_is_reported() {
    let (mut qemu, _) = boot("unknown_command_is_reported");
    let output = qemu.run_command("frobnicate");
    assert_eq!(
        crlf_lines(&output),
        ["ferrovisor: unknown command 'frobnicate'; type 'help' for the list of commands"],
        "output of an unknown command"
    );
}

#[test]
fn all_byte_values_then_ctrl_c_leave_the_shell_usable() {
    let (mut qemu, _) = boot("all_byte_values_then_ctrl_c_leave_the_shell_usable");
    let every_byte: Vec<u8> = (0..=255).collect();
    qemu.send(&every_byte);
    // CR and LF among them submit (possibly garbage) lines, and the bytes
    // include a Ctrl-C of their own, so earlier prompts and "^C" prove
    // nothing. The final Ctrl-C must abandon whatever is left on the line
    // and give a clean prompt, on which the typed `help` appears alone.
    qemu.send(b"\x03");
    qemu.send_line("help");
    let before = qemu.expect(&format!("{PROMPT}help\r\n"), STEP_TIMEOUT);
    let before = &before[..before.len() - PROMPT.len() - "help\r\n".len()];
    assert!(
        before.trim_end_matches(['\r', '\n']).ends_with("^C"),
        "Ctrl-C did not print \"^C\" before the fresh prompt; output before it ends with {:?}",
        tail(before, 200)
    );
    check_help(&qemu.wait_for_prompt(STEP_TIMEOUT));
}

#[test]
fn overlong_line_is_rejected() {
    let (mut qemu, _) = boot("overlong_line_is_rejected");
    let line = "abcdefghij".repeat(1024);
    qemu.send_line(&line);
    let message = "ferrovisor: line too long";
    let text = qemu.expect(message, STEP_TIMEOUT);
    let before = &text[..text.len() - message.len()];
    assert!(
        before.ends_with('\n'),
        "\"{message}\" does not start a line; it follows {:?}",
        tail(before, 80)
    );
    let rest = qemu.wait_for_prompt(STEP_TIMEOUT);
    assert!(
        !rest.contains("unknown command"),
        "part of the overlong line was executed: {rest:?}"
    );
    // Back at a clean prompt: `help` typed now is the whole line, echoed
    // right after the prompt.
    check_help(&qemu.run_command("help"));
}

#[test]
fn up_arrow_recalls_the_previous_command() {
    let (mut qemu, _) = boot("up_arrow_recalls_the_previous_command");
    check_info(&qemu.run_command("info"));
    qemu.send(b"\x1b[A");
    // The recalled line is shown on the prompt line before Enter.
    qemu.expect("info", STEP_TIMEOUT);
    qemu.send(b"\r");
    qemu.expect("\r\n", STEP_TIMEOUT);
    let output = qemu.wait_for_prompt(STEP_TIMEOUT);
    assert!(
        !output.contains("unknown command"),
        "the recalled line was not `info`: {output:?}"
    );
    check_info(&output);
}

#[test]
fn dmesg_shows_the_timestamped_boot_log() {
    let (mut qemu, _) = boot("dmesg_shows_the_timestamped_boot_log");
    let output = qemu.run_command("dmesg");
    let mut entries = Vec::new();
    for line in crlf_lines(&output) {
        if line.trim().is_empty() {
            continue;
        }
        let entry = dmesg_line(line)
            .unwrap_or_else(|| panic!("dmesg line {line:?} is not `[    0.001234] text`"));
        entries.push(entry);
    }
    assert!(!entries.is_empty(), "dmesg printed no log lines");
    assert!(
        entries.iter().any(|(_, text)| text.contains("EL2")),
        "no dmesg line mentions EL2:\n{output}"
    );
    assert!(
        entries.windows(2).all(|pair| pair[0].0 <= pair[1].0),
        "dmesg timestamps go backwards:\n{output}"
    );
}

#[test]
fn fault_reports_a_data_abort_and_halts() {
    let (mut qemu, _) = boot("fault_reports_a_data_abort_and_halts");
    qemu.send_line("fault");
    qemu.expect("fault\r\n", STEP_TIMEOUT);
    let report = qemu.expect("halted", STEP_TIMEOUT);
    for part in ["unexpected exception", "Data Abort", "ESR", "FAR", "ELR"] {
        assert!(
            report.contains(part),
            "the exception report lacks {part:?}:\n{report}"
        );
    }
    // A halted machine neither returns to the shell on its own nor answers
    // a key press. Absence can only be shown by waiting, hence the fixed
    // window.
    qemu.send(b"\r");
    qemu.expect_absent(PROMPT, std::time::Duration::from_secs(2));
}

#[test]
fn ctrl_u_erases_the_line() {
    let (mut qemu, _) = boot("ctrl_u_erases_the_line");
    qemu.send(b"helpxyz");
    qemu.expect("helpxyz", STEP_TIMEOUT);
    qemu.send(b"\x15");
    qemu.send(b"info\r");
    qemu.expect("info\r\n", STEP_TIMEOUT);
    let output = qemu.wait_for_prompt(STEP_TIMEOUT);
    assert!(
        !output.contains("unknown command"),
        "Ctrl-U did not erase the line: {output:?}"
    );
    check_info(&output);
}

#[test]
fn backspace_deletes_the_last_character() {
    let (mut qemu, _) = boot("backspace_deletes_the_last_character");
    qemu.send(b"infoo");
    qemu.expect("infoo", STEP_TIMEOUT);
    qemu.send(b"\x7f");
    qemu.send(b"\r");
    qemu.expect("\r\n", STEP_TIMEOUT);
    let output = qemu.wait_for_prompt(STEP_TIMEOUT);
    assert!(
        !output.contains("unknown command"),
        "backspace did not delete the last character: {output:?}"
    );
    check_info(&output);
}
