//! The course's common graded test: the image the graders boot
//! (`target/images/ferrovisor-lab.img`, the VMs of `guests/lab.list`, built
//! by `scripts/course/images.sh`) comes up with both VMs, and echo answers.
//! Labs use it as the parent of their system tests: when it fails, the
//! tree is broken in a way no lab test can say anything about. What is
//! typed is random (from `FERROVISOR_LAB_SEED`), so no hard-coded answer
//! passes.

use ferrovisor_harness::{workspace_root, Qemu, BOOT_TIMEOUT, PROMPT, STEP_TIMEOUT};

/// The image the graders boot.
pub const LAB_IMAGE: &str = "target/images/ferrovisor-lab.img";

/// The grader's seed, or a fixed one when run by hand.
fn seed() -> u64 {
    std::env::var("FERROVISOR_LAB_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5)
}

/// A word of 8 to 15 lowercase letters from the seed.
fn random_word(mut state: u64) -> String {
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let len = 8 + next() % 8;
    (0..len)
        .map(|_| char::from(b'a' + (next() % 26) as u8))
        .collect()
}

// ANCHOR: course_test
#[test]
fn lab_image_runs_both_vms() {
    let mut qemu = Qemu::boot(
        &workspace_root().join(LAB_IMAGE),
        "course_lab_image_runs_both_vms",
    );
    qemu.expect(PROMPT, BOOT_TIMEOUT);
    let vml = qemu.run_command("vml");
    for vm in [" 1 echo ", " 2 lrtos "] {
        assert!(vml.contains(vm), "vml does not list {vm:?}:\n{vml}");
    }
    let word = random_word(seed() | 1);
    qemu.send_line("vmc 1");
    qemu.expect("ready, type something\r\n", STEP_TIMEOUT);
    qemu.send(format!("{word}\r").as_bytes());
    qemu.expect(&format!("{word}\r\n"), STEP_TIMEOUT);
    qemu.send(b"@0");
    qemu.expect("[back to ferrovisor]", STEP_TIMEOUT);
    qemu.expect(PROMPT, STEP_TIMEOUT);
}
// ANCHOR_END: course_test
