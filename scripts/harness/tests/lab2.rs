//! Lab 2's graded system tests: `vmstat <id>`.
//!
//! The lab text fixes the output (see also `hypervisor/src/console/inspect.rs`):
//! a header `VM <id> '<name>' MMIO accesses by device:`, then one line per
//! device of the dispatch table and `absent`, each the name and a decimal
//! count. What is typed into echo is random (from `FERROVISOR_LAB_SEED`), and
//! the count must grow by at least two aux accesses per echoed character.

/// The graders' image: the VMs of guests/lab.list (scripts/course/images.sh).
const LAB_IMAGE: &str = "target/images/ferrovisor-lab.img";

use ferrovisor_harness::{workspace_root, Qemu, BOOT_TIMEOUT, PROMPT, STEP_TIMEOUT};

/// Devices every tree's dispatch table has (lab 3 adds `rng`).
const DEVICES: [&str; 11] = [
    "system_timer",
    "irq_controller",
    "mailbox",
    "watchdog",
    "gpio",
    "sdhost",
    "aux",
    "emmc",
    "usb",
    "local_intc",
    "absent",
];

/// The grader's seed, or a fixed one when run by hand.
fn seed() -> u64 {
    std::env::var("FERROVISOR_LAB_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2)
}

fn boot(name: &str) -> Qemu {
    let mut qemu = Qemu::boot(&workspace_root().join(LAB_IMAGE), name);
    qemu.wait_for_prompt(BOOT_TIMEOUT);
    qemu
}

/// `vmstat <id>` as (device, count) pairs, after checking its layout.
fn vmstat(qemu: &mut Qemu, id: usize, name: &str) -> Vec<(String, u64)> {
    let out = qemu.run_command(&format!("vmstat {id}"));
    let mut lines = out.split("\r\n").filter(|l| !l.is_empty());
    assert_eq!(
        lines.next(),
        Some(format!("VM {id} '{name}' MMIO accesses by device:").as_str()),
        "first line of vmstat {id}:\n{out}"
    );
    let rows: Vec<(String, u64)> = lines
        .map(|line| {
            let words: Vec<&str> = line.split_whitespace().collect();
            let count = match words[..] {
                [_, count] => count.parse().ok(),
                _ => None,
            };
            let count = count.unwrap_or_else(|| panic!("expected `device count`, got {line:?}"));
            (words[0].to_string(), count)
        })
        .collect();
    for device in DEVICES {
        assert!(
            rows.iter().any(|(d, _)| d == device),
            "vmstat {id} has no line for {device}:\n{out}"
        );
    }
    assert_eq!(
        rows.last().map(|(d, _)| d.as_str()),
        Some("absent"),
        "absent comes last:\n{out}"
    );
    rows
}

fn count(rows: &[(String, u64)], device: &str) -> u64 {
    rows.iter()
        .find(|(d, _)| d == device)
        .map_or(0, |(_, c)| *c)
}

#[test]
fn vmstat_lists_every_device() {
    let mut qemu = boot("lab2_vmstat_lists_every_device");
    let id = 1 + (seed() % 2) as usize;
    // Wait until the guest has printed its banner through its UART.
    qemu.send_line(&format!("vmc {id}"));
    qemu.expect(
        ["ready, type something\r\n", "starting 2 tasks"][id - 1],
        STEP_TIMEOUT,
    );
    qemu.send(b"@0");
    qemu.expect(PROMPT, STEP_TIMEOUT);
    let rows = vmstat(&mut qemu, id, ["echo", "lrtos"][id - 1]);
    // Both guests set up their UART at boot, so aux has been touched.
    assert!(
        count(&rows, "aux") > 0,
        "VM {id} has used its mini UART: {rows:?}"
    );
}

#[test]
fn typing_into_echo_counts_aux_accesses() {
    let mut qemu = boot("lab2_typing_into_echo_counts_aux_accesses");
    qemu.send_line("vmc 1");
    qemu.expect("ready, type something\r\n", STEP_TIMEOUT);
    qemu.send(b"@0");
    qemu.expect(PROMPT, STEP_TIMEOUT);
    let before = vmstat(&mut qemu, 1, "echo");
    let n = 10 + (seed() % 30) as usize;
    let text: String = (0..n)
        .map(|i| char::from(b'a' + ((seed() as usize + i * 7) % 26) as u8))
        .collect();
    qemu.send_line("vmc 1");
    qemu.expect("ready, type something\r\n", STEP_TIMEOUT);
    qemu.send(format!("{text}\r").as_bytes());
    qemu.expect(&format!("{text}\r\n"), STEP_TIMEOUT);
    qemu.send(b"@0");
    qemu.expect(PROMPT, STEP_TIMEOUT);
    let after = vmstat(&mut qemu, 1, "echo");
    // Each echoed byte costs at least a status read and a data read on
    // receive, and a data write on transmit: three aux accesses. The test
    // asks for two per byte typed (n letters and Enter), leaving room for
    // a driver that reads several bytes per status read.
    let grown = count(&after, "aux") - count(&before, "aux");
    assert!(
        grown >= 2 * (n as u64 + 1),
        "aux grew by {grown} for {} bytes typed and echoed",
        n + 1
    );
    // echo has no USB: that count stays 0, so the counts are per device.
    assert_eq!(count(&after, "usb"), 0, "echo never touches usb: {after:?}");
    assert!(
        after.iter().zip(&before).all(|((_, a), (_, b))| a >= b),
        "counts never go down: {before:?} -> {after:?}"
    );
}

#[test]
fn vmstat_refuses_bad_ids() {
    let mut qemu = boot("lab2_vmstat_refuses_bad_ids");
    let big = 3 + seed() % 90;
    let out = qemu.run_command(&format!("vmstat {big}"));
    assert_eq!(
        out,
        format!("ferrovisor: vmstat: no VM with id {big}; 'vml' lists them\r\n")
    );
    let out = qemu.run_command("vmstat echo");
    assert_eq!(
        out,
        "ferrovisor: vmstat: 'echo' is not a VM id; 'vml' lists them\r\n"
    );
    let out = qemu.run_command("vmstat");
    assert_eq!(
        out,
        "ferrovisor: vmstat needs an argument; usage: vmstat <id>\r\n"
    );
}
