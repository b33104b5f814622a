//! The book check catches a stale transcript.
//!
//! Runs `scripts/check-transcripts.sh` (the part of `scripts/check-book.sh`
//! that compares the book's transcripts with fresh runs) on small directories
//! made here: a transcript that differs only in what is masked (timestamps,
//! counters, uptime) passes; one where the code prints another line, or that
//! no run produces any more, fails and is named. No QEMU needed.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use ferrovisor_harness::workspace_root;

/// A fresh and a book directory under `target/`, emptied.
fn dirs(name: &str) -> (PathBuf, PathBuf) {
    let base = workspace_root().join("target/book-check").join(name);
    let _ = fs::remove_dir_all(&base);
    let (fresh, book) = (base.join("fresh"), base.join("book"));
    fs::create_dir_all(&fresh).unwrap();
    fs::create_dir_all(&book).unwrap();
    (fresh, book)
}

/// Runs the check; returns whether it passed and what it printed.
fn check(fresh: &Path, book: &Path) -> (bool, String) {
    let out = Command::new(workspace_root().join("scripts/check-transcripts.sh"))
        .arg("--fresh")
        .arg(fresh)
        .arg("--book")
        .arg(book)
        .output()
        .expect("run check-transcripts.sh");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

/// A `vml` as the book holds it.
const BOOK_VML: &str = "\
[    0.009703] VM 1 'echo': 16 MiB at 0x10000000, image 6394 bytes at IPA 0x80000, entry 0x80000
ferrovisor> vml
Id Name            State    CPU Mem(MiB) Time(s)      WFx      HVC   SysReg     MMIO      IRQ
 1 echo            sleeping   0       16     0.0        1        0        0      208        2
 2 lrtos           running    0       32     1.2        2        0        0     1070       92
uptime          : 2.370300 s
";

/// The same run another time: other timestamps, sizes, states and counters.
const FRESH_VML: &str = "\
[    0.012345] VM 1 'echo': 16 MiB at 0x10000000, image 7000 bytes at IPA 0x80000, entry 0x80000
ferrovisor> vml
Id Name            State    CPU Mem(MiB) Time(s)      WFx      HVC   SysReg     MMIO      IRQ
 1 echo            running    0       16     0.1        3        0        0      999       20
 2 lrtos           sleeping   0       32    11.9      200        0        0    10700      920
uptime          : 0.025622 s
";

#[test]
fn masked_differences_pass() {
    let (fresh, book) = dirs("masked");
    fs::write(book.join("vml.txt"), BOOK_VML).unwrap();
    fs::write(fresh.join("vml.txt"), FRESH_VML).unwrap();
    let (ok, text) = check(&fresh, &book);
    assert!(
        ok,
        "only masked fields differ, the check must pass:\n{text}"
    );
    assert!(text.contains("OK (1 transcripts"), "{text}");
}

#[test]
fn a_new_vm_makes_the_transcript_stale() {
    let (fresh, book) = dirs("stale");
    fs::write(book.join("vml.txt"), BOOK_VML).unwrap();
    let with_third = FRESH_VML.replace(
        "uptime",
        " 3 uboot           running    0      128     0.0        0        0        0        0        0\nuptime",
    );
    fs::write(fresh.join("vml.txt"), with_third).unwrap();
    let (ok, text) = check(&fresh, &book);
    assert!(
        !ok,
        "a VM the book does not show must fail the check:\n{text}"
    );
    assert!(text.contains("vml.txt is stale"), "{text}");
    assert!(
        text.contains("+ 3 uboot"),
        "the diff shows the new line:\n{text}"
    );
}

#[test]
fn a_changed_word_makes_the_transcript_stale() {
    let (fresh, book) = dirs("word");
    fs::write(book.join("vml.txt"), BOOK_VML).unwrap();
    fs::write(fresh.join("vml.txt"), FRESH_VML.replace("lrtos", "rtos2")).unwrap();
    let (ok, text) = check(&fresh, &book);
    assert!(!ok, "{text}");
    assert!(text.contains("vml.txt is stale"), "{text}");
}

#[test]
fn transcripts_without_a_run_or_without_a_copy_fail() {
    let (fresh, book) = dirs("missing");
    fs::write(book.join("old.txt"), BOOK_VML).unwrap();
    fs::write(fresh.join("new.txt"), FRESH_VML).unwrap();
    let (ok, text) = check(&fresh, &book);
    assert!(!ok, "{text}");
    assert!(
        text.contains("old.txt: in the book, but no session"),
        "{text}"
    );
    assert!(
        text.contains("new.txt: a session produces it but the book has no copy"),
        "{text}"
    );
}

/// Linux's `/proc/interrupts` as the book holds it.
const BOOK_INTERRUPTS: &str = "\
/root # cat /proc/interrupts
           CPU0
  2:         15  ARMCTRL-level   1 Edge      3f00b880.mailbox
 71:         43  ARMCTRL-level  61 Edge      ttyS1
109:       2399  bcm2836-timer   3 Edge      arch_timer
111:          0  bcm2836-pmu   9 Edge      arm-pmu
IPI0:         0       Rescheduling interrupts
";

#[test]
fn interrupt_counts_are_masked_but_not_the_lines() {
    let (fresh, book) = dirs("interrupts");
    fs::write(book.join("linux.txt"), BOOK_INTERRUPTS).unwrap();
    let counted = BOOK_INTERRUPTS
        .replace("   43  ", "  107  ")
        .replace("  2399  ", "117053  ");
    fs::write(fresh.join("linux.txt"), &counted).unwrap();
    let (ok, text) = check(&fresh, &book);
    assert!(ok, "only the counts differ:\n{text}");
    // A line that moved to another controller input is a change.
    fs::write(
        fresh.join("linux.txt"),
        counted.replace("ARMCTRL-level  61", "ARMCTRL-level  29"),
    )
    .unwrap();
    let (ok, text) = check(&fresh, &book);
    assert!(!ok, "{text}");
    assert!(text.contains("linux.txt is stale"), "{text}");
}

#[test]
fn update_copies_only_new_and_changed_transcripts() {
    let (fresh, book) = dirs("update");
    fs::write(book.join("vml.txt"), BOOK_VML).unwrap();
    fs::write(book.join("gone.txt"), BOOK_VML).unwrap();
    fs::write(fresh.join("vml.txt"), FRESH_VML).unwrap();
    fs::write(fresh.join("word.txt"), BOOK_VML).unwrap();
    fs::write(book.join("word.txt"), BOOK_VML.replace("lrtos", "rtos2")).unwrap();
    fs::write(fresh.join("new.txt"), FRESH_VML).unwrap();
    let out = Command::new(workspace_root().join("scripts/check-transcripts.sh"))
        .args(["--update", "--fresh"])
        .arg(&fresh)
        .arg("--book")
        .arg(&book)
        .output()
        .expect("run check-transcripts.sh --update");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("copied 2 new or changed"), "{text}");
    let read = |name: &str| fs::read_to_string(book.join(name)).unwrap();
    assert_eq!(
        read("vml.txt"),
        BOOK_VML,
        "a masked difference keeps the copy"
    );
    assert_eq!(read("word.txt"), BOOK_VML, "a changed transcript is copied");
    assert_eq!(read("new.txt"), FRESH_VML, "a new transcript is copied");
    assert!(
        !book.join("gone.txt").exists(),
        "a transcript no session saves goes"
    );
    let (ok, text) = check(&fresh, &book);
    assert!(ok, "after --update the check passes:\n{text}");
}
