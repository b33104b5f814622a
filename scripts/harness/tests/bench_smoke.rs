//! A quick check of the benchmark guest (`guests/bench/`), natively and as
//! ferrovisor's only VM (`guests/bench-alone.list`): it boots, its quick
//! benchmark (`q`) prints well-formed figures that pass its own checks, and
//! its endless CPU mode (`c`) reports progress and stops on a key.
//!
//! This checks that `scripts/bench.sh` has something sound to measure; it
//! asserts nothing about speed, which is not a test on a shared machine.

use std::collections::BTreeMap;
use std::path::PathBuf;

use ferrovisor_harness::{workspace_root, Qemu, BOOT_TIMEOUT, STEP_TIMEOUT};

/// The guest natively and ferrovisor with it as VM 1, as `scripts/build.sh`
/// builds them.
const BENCH_IMAGE: &str = "target/images/bench.bin";
const BENCH_VM_IMAGE: &str = "target/images/ferrovisor-bench-alone.img";

/// What the guest prints at its menu.
const READY: &str = "bench: ready";
/// The runs of the quick benchmark (`QUICK.runs` in `guests/bench/src/measure.rs`).
const QUICK_RUNS: usize = 2;
/// The fields every run line has; all are counter ticks.
const RUN_FIELDS: [&str; 11] = [
    "cpu_ticks",
    "hvc_ticks_median",
    "hvc_ticks_p99",
    "mmio_ticks_median",
    "mmio_ticks_p99",
    "timer_latency_ticks_median",
    "timer_latency_ticks_p99",
    "wfi_timer_latency_ticks_median",
    "wfi_timer_latency_ticks_p99",
    "counter_ticks_median",
    "run",
];

fn image(relative: &str) -> PathBuf {
    let image = workspace_root().join(relative);
    assert!(
        image.is_file(),
        "{} does not exist; build it with ./scripts/build.sh",
        image.display()
    );
    image
}

/// The `key=value` words of a `bench: ` line.
fn fields(line: &str) -> BTreeMap<&str, &str> {
    line.split_whitespace()
        .filter_map(|word| word.split_once('='))
        .collect()
}

/// Types `q`, checks the start line and every run line, and returns the
/// exception level the guest says it was started at.
fn quick_benchmark(qemu: &mut Qemu) -> String {
    qemu.send(b"q");
    let out = qemu.expect("bench: done", STEP_TIMEOUT);
    qemu.expect(READY, STEP_TIMEOUT);
    let start = out
        .lines()
        .find(|l| l.contains("bench: start "))
        .unwrap_or_else(|| panic!("no start line in: {out}"));
    let start = fields(start);
    assert!(
        start["freq"].parse::<u64>().unwrap() > 0,
        "counter frequency: {start:?}"
    );
    let runs: Vec<_> = out.lines().filter(|l| l.contains("bench: run=")).collect();
    assert_eq!(runs.len(), QUICK_RUNS, "one line per run: {out}");
    for line in runs {
        let run = fields(line);
        assert_eq!(run["check"], "ok", "the guest's own checks: {line}");
        for field in RUN_FIELDS {
            let value = run
                .get(field)
                .unwrap_or_else(|| panic!("no {field}: {line}"));
            value
                .parse::<u64>()
                .unwrap_or_else(|_| panic!("{field}={value} is not a count of ticks: {line}"));
        }
        assert!(run["cpu_ticks"].parse::<u64>().unwrap() > 0, "{line}");
    }
    start["start_el"].to_string()
}

/// Types `c`, waits for two progress lines, and stops it with a key.
fn cpu_forever(qemu: &mut Qemu) {
    qemu.send(b"c");
    qemu.expect("bench: cpu forever", STEP_TIMEOUT);
    for _ in 0..2 {
        qemu.expect("bench: progress units=", STEP_TIMEOUT);
        qemu.expect("check=ok", STEP_TIMEOUT);
    }
    qemu.send(b"x");
    qemu.expect("bench: stopped after", STEP_TIMEOUT);
    qemu.expect(READY, STEP_TIMEOUT);
}

#[test]
fn bench_runs_natively() {
    let mut qemu = Qemu::boot(&image(BENCH_IMAGE), "bench_runs_natively");
    qemu.expect("started at EL2", BOOT_TIMEOUT);
    qemu.expect(READY, STEP_TIMEOUT);
    assert_eq!(
        quick_benchmark(&mut qemu),
        "2",
        "natively bench starts at EL2"
    );
    cpu_forever(&mut qemu);
}

#[test]
fn bench_runs_as_a_vm() {
    let mut qemu = Qemu::boot(&image(BENCH_VM_IMAGE), "bench_runs_as_a_vm");
    qemu.wait_for_prompt(BOOT_TIMEOUT);
    qemu.send_line("vmc 1");
    qemu.expect("VM 1 'bench'", STEP_TIMEOUT);
    qemu.expect(READY, BOOT_TIMEOUT);
    assert_eq!(
        quick_benchmark(&mut qemu),
        "1",
        "in a VM bench starts at EL1"
    );
    cpu_forever(&mut qemu);
    // Every HVC of the benchmark reached ferrovisor, which answered it.
    qemu.send(b"@0");
    qemu.expect("[back to ferrovisor]", STEP_TIMEOUT);
    qemu.expect("ferrovisor> ", STEP_TIMEOUT);
    let vml = qemu.run_command("vml");
    let column = vml
        .lines()
        .find_map(|l| l.split_whitespace().position(|w| w == "HVC"))
        .unwrap_or_else(|| panic!("no HVC column in vml: {vml}"));
    let row = vml
        .lines()
        .find(|l| l.split_whitespace().next() == Some("1"))
        .unwrap_or_else(|| panic!("no row for VM 1: {vml}"));
    let hvc: u64 = row.split_whitespace().nth(column).unwrap().parse().unwrap();
    assert!(hvc >= 64, "2 runs of 32 HVCs, counted by vml: {vml}");
}
