//! System tests of the lrtos guest running natively: `target/images/lrtos.bin`
//! booted directly by QEMU `raspi3b` as `kernel8.img`, without ferrovisor.
//!
//! They pin down the behaviour the guest must also show inside a VM: the
//! boot banner and task list, then the two user tasks' lines, whole (each
//! `write` system call is atomic) and interleaved. The tasks print in bursts
//! of [`LINES_PER_BURST`] lines and busy-wait between lines without ever
//! giving up the CPU, so only the timer preempting them can interleave
//! their lines; without preemption each burst would come out as a block of
//! identical lines.

use std::path::PathBuf;

use ferrovisor_harness::{workspace_root, Qemu, BOOT_TIMEOUT, STEP_TIMEOUT};

/// The lrtos image `scripts/build.sh` produces, relative to the workspace root.
const LRTOS_IMAGE: &str = "target/images/lrtos.bin";

/// The version lrtos must report: the workspace version, which this crate
/// shares.
const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The line that lists the tasks; after it, the tasks run.
const TASK_LIST: &str = "lrtos: starting 2 tasks: 12345 (pid 1), abcde (pid 2)\r\n";

/// Task 1's line (pid 1).
const NUMBERS: &str = "12345";
/// Task 2's line (pid 2).
const LETTERS: &str = "abcde";

/// Lines each task prints per burst (`LINES_PER_BURST` in
/// `lrtos/src/user/tasks.rs`): the longest run of identical lines that a
/// task could print if it were never preempted.
const LINES_PER_BURST: usize = 6;

/// How many task lines to read: two bursts of each task.
const LINES_TO_READ: usize = 4 * LINES_PER_BURST;

/// The lrtos image, which must have been built.
fn lrtos_image() -> PathBuf {
    let image = workspace_root().join(LRTOS_IMAGE);
    assert!(
        image.is_file(),
        "the lrtos image {} does not exist; build it with ./scripts/build.sh",
        image.display()
    );
    image
}

/// Boots lrtos natively and waits for its banner and task list; returns
/// the machine and everything it printed up to the end of the task list.
fn boot(test_name: &str) -> (Qemu, String) {
    let mut qemu = Qemu::boot(&lrtos_image(), test_name);
    let banner = format!("lrtos {VERSION}: a tiny RTOS for the Raspberry Pi 3\r\n");
    let mut text = qemu.expect(&banner, BOOT_TIMEOUT);
    text.push_str(&qemu.expect(TASK_LIST, STEP_TIMEOUT));
    (qemu, text)
}

/// Reads the next `count` console lines, each of which must be a whole
/// task line (`12345` or `abcde`, nothing mixed in). Stops with a failure
/// as soon as one task has printed a whole burst without the other getting
/// a line in: that task was not preempted.
fn task_lines(qemu: &mut Qemu, count: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::with_capacity(count);
    while lines.len() < count {
        let text = qemu.expect("\r\n", STEP_TIMEOUT);
        let line = text.strip_suffix("\r\n").unwrap_or(&text);
        assert!(
            line == NUMBERS || line == LETTERS,
            "expected a whole task line ({NUMBERS:?} or {LETTERS:?}), got {line:?}: \
             task output was mixed up or the kernel reported something"
        );
        lines.push(line.to_owned());
        let run = trailing_run(&lines);
        assert!(
            run < LINES_PER_BURST,
            "{run} {line:?} lines in a row: a busy task was not preempted by the timer; \
             lines so far: {}",
            lines.join(" ")
        );
    }
    lines
}

/// Whether `pattern` occurs in `lines` as a subsequence (in order, not
/// necessarily adjacent).
fn contains_in_order(lines: &[String], pattern: &[&str]) -> bool {
    let mut wanted = pattern.iter().peekable();
    for line in lines {
        if wanted.peek().is_some_and(|w| *w == line) {
            wanted.next();
        }
    }
    wanted.peek().is_none()
}

/// The length of the run of identical lines at the end of `lines`.
fn trailing_run(lines: &[String]) -> usize {
    match lines.last() {
        Some(last) => lines.iter().rev().take_while(|l| *l == last).count(),
        None => 0,
    }
}

#[test]
fn subsequence_and_run_helpers() {
    let lines: Vec<String> = ["12345", "12345", "abcde", "12345"]
        .map(String::from)
        .to_vec();
    assert!(contains_in_order(&lines, &[NUMBERS, LETTERS, NUMBERS]));
    assert!(!contains_in_order(&lines, &[LETTERS, NUMBERS, LETTERS]));
    assert!(contains_in_order(&lines, &[]));
    assert_eq!(trailing_run(&lines), 1);
    assert_eq!(trailing_run(&lines[..2]), 2);
    assert_eq!(trailing_run(&[]), 0);
}

#[test]
fn boots_with_banner_and_task_list() {
    let (_qemu, text) = boot("lrtos_boots_with_banner_and_task_list");
    assert!(
        text.contains("kernel at EL1, tasks at EL0"),
        "lrtos does not say where it runs:\n{text}"
    );
    assert!(
        text.contains("started at EL2"),
        "natively on QEMU raspi3b lrtos starts at EL2 and drops to EL1:\n{text}"
    );
}

#[test]
fn tasks_interleave_because_of_preemption() {
    let (mut qemu, _) = boot("lrtos_tasks_interleave_because_of_preemption");
    let lines = task_lines(&mut qemu, LINES_TO_READ);
    let shown = lines.join(" ");
    for pattern in [[NUMBERS, LETTERS, NUMBERS], [LETTERS, NUMBERS, LETTERS]] {
        assert!(
            contains_in_order(&lines, &pattern),
            "the task lines do not contain {pattern:?} in that order: {shown}"
        );
    }
}
