//! Lab 4's graded system tests: lrtos's `uptime` task, natively and as a VM.
//!
//! They boot the images `scripts/course/images.sh --lab4` builds:
//! `target/images/lrtos-uptime.bin` (lrtos with `--features uptime`) on the
//! bare (emulated) board, and `target/images/ferrovisor-lab4.img`, where it
//! is VM 2. The lab text fixes the output: the task list line
//! `lrtos: starting 3 tasks: 12345 (pid 1), abcde (pid 2), uptime (pid 3)`,
//! then every two seconds a line `uptime: N ms`, N in decimal. The grader
//! checks that consecutive N differ by 2000 ms plus a little (the sleep
//! ends on a 10 ms tick, and the task then waits for the CPU), so a task
//! that prints a made-up count or counts at the wrong rate fails.

use ferrovisor_harness::{workspace_root, Qemu, BOOT_TIMEOUT, PROMPT, STEP_TIMEOUT};

/// lrtos with the uptime task, for native runs.
const NATIVE_IMAGE: &str = "target/images/lrtos-uptime.bin";
/// ferrovisor with that lrtos as VM 2.
const VM_IMAGE: &str = "target/images/ferrovisor-lab4.img";
/// The task list the lab asks for.
const TASK_LIST: &str = "lrtos: starting 3 tasks: 12345 (pid 1), abcde (pid 2), uptime (pid 3)\r\n";
/// The period the lab asks for.
const PERIOD_MS: u64 = 2000;
/// How much later than the period a line may come: a sleep ends on the
/// next 10 ms tick, and under ferrovisor the VM may wait for its slice.
const SLACK_MS: u64 = 400;

/// The grader's seed, or a fixed one when run by hand.
fn seed() -> u64 {
    std::env::var("FERROVISOR_LAB_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3)
}

/// Reads the next `count` uptime values.
fn uptimes(qemu: &mut Qemu, count: usize) -> Vec<u64> {
    (0..count)
        .map(|_| {
            qemu.expect("uptime: ", STEP_TIMEOUT);
            let rest = qemu.expect(" ms\r\n", STEP_TIMEOUT);
            let digits = rest.strip_suffix(" ms\r\n").unwrap_or(&rest);
            assert!(
                !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()),
                "expected `uptime: N ms` with N in decimal, got `uptime: {digits} ms`"
            );
            digits.parse().expect("a number that fits in u64")
        })
        .collect()
}

/// Checks that the values step by one period each.
fn check_steps(values: &[u64], where_: &str) {
    for pair in values.windows(2) {
        let step = pair[1].saturating_sub(pair[0]);
        assert!(
            (PERIOD_MS - 10..=PERIOD_MS + SLACK_MS).contains(&step),
            "{where_}: uptime went from {} to {} ms, a step of {step} ms; expected {PERIOD_MS} to {} \
             (all values: {values:?})",
            pair[0],
            pair[1],
            PERIOD_MS + SLACK_MS
        );
    }
}

#[test]
fn native_task_list() {
    let mut qemu = Qemu::boot(
        &workspace_root().join(NATIVE_IMAGE),
        "lab4_native_task_list",
    );
    qemu.expect(TASK_LIST, BOOT_TIMEOUT);
}

#[test]
fn native_uptime_counts_milliseconds() {
    let mut qemu = Qemu::boot(&workspace_root().join(NATIVE_IMAGE), "lab4_native_uptime");
    qemu.expect(TASK_LIST, BOOT_TIMEOUT);
    let values = uptimes(&mut qemu, 2 + (seed() % 2) as usize);
    assert!(
        values[0] < 60_000,
        "the first uptime line says {} ms, but lrtos started a moment ago",
        values[0]
    );
    check_steps(&values, "natively");
}

#[test]
fn vm_uptime_counts_milliseconds() {
    let mut qemu = Qemu::boot(&workspace_root().join(VM_IMAGE), "lab4_vm_uptime");
    qemu.expect(PROMPT, BOOT_TIMEOUT);
    qemu.send_line("vmc 2");
    qemu.expect(TASK_LIST, STEP_TIMEOUT);
    let values = uptimes(&mut qemu, 2 + (seed() % 2) as usize);
    check_steps(&values, "as VM 2 under ferrovisor");
}
