//! The book's console transcripts, produced by real runs.
//!
//! Runs every session script in `book/transcripts/*.session` (the language
//! is described in `ferrovisor_harness::session`) against the real images in
//! QEMU and writes each saved part to `target/transcripts/NAME.txt`.
//! `scripts/check-transcripts.sh` (run by `scripts/check-book.sh`) compares
//! them with the copies the chapters include from `book/src/transcripts/`,
//! with timestamps and counters masked, and `--update` refreshes the copies.
//!
//! `FERROVISOR_SESSIONS=linux,vml` runs only those sessions (while writing
//! one; the book check then misses the others' transcripts).
//!
//! Needs `./scripts/build.sh` and `./scripts/course/images.sh --lab4` first
//! (lab 4's session boots its lrtos image). A session that times out fails the test
//! and leaves its console log in `target/systest-logs/`.

use std::ffi::OsString;
use std::fs;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use ferrovisor_harness::session::{book_text, elide, parse_session, segment_start, Step};
use ferrovisor_harness::{workspace_root, Qemu, BOOT_TIMEOUT, PROMPT, STEP_TIMEOUT};

/// Where the session scripts live, relative to the workspace root.
const SESSIONS: &str = "book/transcripts";
/// Where the fresh transcripts go, relative to the workspace root.
const OUT: &str = "target/transcripts";
/// Environment variable naming the only sessions to run, separated by commas.
const ONLY_VAR: &str = "FERROVISOR_SESSIONS";

/// Runs one session and writes its saved transcripts into `out`.
fn run_session(name: &str, text: &str, root: &Path, out: &Path) {
    let steps = parse_session(text).unwrap_or_else(|e| panic!("{name}.session: {e}"));
    let mut qemu: Option<Qemu> = None;
    // QEMU arguments a `card` step adds to the boot.
    let mut card: Vec<OsString> = Vec::new();
    // Everything the steps consumed, and where the next saved text starts.
    let mut shown: Vec<u8> = Vec::new();
    let mut start = 0;
    // How long an `expect` or `skip` may wait (a `timeout` step changes it).
    let mut wait = STEP_TIMEOUT;
    for step in steps {
        match step {
            Step::Card(folder) => card = make_card(name, &root.join(folder), root),
            Step::Boot(image) => {
                let mut q =
                    Qemu::boot_with(&root.join(image), &card, &format!("transcript-{name}"));
                shown.extend(q.expect(PROMPT, BOOT_TIMEOUT).into_bytes());
                qemu = Some(q);
            }
            Step::Start(image) => {
                qemu = Some(Qemu::boot_with(
                    &root.join(image),
                    &card,
                    &format!("transcript-{name}"),
                ));
            }
            Step::Line(line) => {
                let q = qemu.as_mut().expect("booted");
                q.send_line(&line);
                shown.extend(q.expect(&format!("{line}\r\n"), STEP_TIMEOUT).into_bytes());
                shown.extend(q.expect(PROMPT, STEP_TIMEOUT).into_bytes());
            }
            Step::Type(bytes) => qemu.as_mut().expect("booted").send(&bytes),
            Step::Expect(bytes) => {
                let q = qemu.as_mut().expect("booted");
                shown.extend(q.expect_bytes(&bytes, wait));
            }
            Step::Skip(bytes) => {
                let q = qemu.as_mut().expect("booted");
                let at_line_start = shown.last().is_none_or(|&b| b == b'\n');
                shown.extend(elide(&q.expect_bytes(&bytes, wait), at_line_start));
            }
            Step::Timeout(seconds) => wait = Duration::from_secs(seconds),
            Step::Mark => start = segment_start(&shown),
            Step::Save(file) => {
                let path = out.join(format!("{file}.txt"));
                fs::write(&path, book_text(&shown[start..]))
                    .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
                start = segment_start(&shown);
            }
        }
    }
}

/// Makes session `name`'s SD card from `folder` with scripts/mktestsd.sh
/// and returns the QEMU arguments that put it in the slot.
fn make_card(name: &str, folder: &Path, root: &Path) -> Vec<OsString> {
    let image = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("transcript-{name}.img"));
    let status = Command::new(root.join("scripts/mktestsd.sh"))
        .arg(folder)
        .arg(&image)
        .status()
        .expect("run scripts/mktestsd.sh");
    assert!(
        status.success(),
        "{name}.session: mktestsd.sh failed for {}",
        folder.display()
    );
    let mut drive = OsString::from("if=sd,format=raw,file=");
    drive.push(&image);
    vec!["-drive".into(), drive]
}

#[test]
fn book_transcripts_come_from_real_runs() {
    let root = workspace_root();
    let out = root.join(OUT);
    fs::create_dir_all(&out).expect("create target/transcripts");
    let mut sessions: Vec<_> = fs::read_dir(root.join(SESSIONS))
        .expect("book/transcripts exists")
        .map(|entry| entry.expect("readable directory").path())
        .filter(|path| path.extension().is_some_and(|e| e == "session"))
        .collect();
    sessions.sort();
    assert!(!sessions.is_empty(), "no sessions in {SESSIONS}");
    let only = std::env::var(ONLY_VAR).unwrap_or_default();
    let only: Vec<&str> = only.split(',').filter(|s| !s.is_empty()).collect();
    for path in sessions {
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        if !only.is_empty() && !only.contains(&name.as_str()) {
            continue;
        }
        let text = fs::read_to_string(&path).expect("readable session");
        run_session(&name, &text, &root, &out);
    }
}
