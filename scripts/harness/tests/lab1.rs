//! Lab 1's graded system tests: `vmregs <id>`.
//!
//! The lab text fixes the output (see also `hypervisor/src/console/inspect.rs`):
//! a header `VM <id> '<name>' registers:`, then x0 to x30 four a line, each as
//! the name and `0x` with 16 hex digits, then a line with `pc` and `pstate`.
//! Bad ids get the same messages as `vmc`. The VM asked about and the bad
//! ids are random (from `FERROVISOR_LAB_SEED`). They boot the graders' image
//! (target/images/ferrovisor-lab.img, from scripts/course/images.sh:
//! VM 1 echo with 16 MiB, VM 2 lrtos with 32 MiB).

use std::time::Instant;

/// The graders' image: the VMs of guests/lab.list (scripts/course/images.sh).
const LAB_IMAGE: &str = "target/images/ferrovisor-lab.img";

use ferrovisor_harness::{scaled, workspace_root, Qemu, BOOT_TIMEOUT, STEP_TIMEOUT};

/// The VMs of guests/lab.list: name and RAM.
const VMS: [(&str, u64); 2] = [("echo", 16 << 20), ("lrtos", 32 << 20)];

/// The grader's seed, or a fixed one when run by hand.
fn seed() -> u64 {
    std::env::var("FERROVISOR_LAB_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1)
}

fn boot(name: &str) -> Qemu {
    let mut qemu = Qemu::boot(&workspace_root().join(LAB_IMAGE), name);
    qemu.wait_for_prompt(BOOT_TIMEOUT);
    qemu
}

/// The registers `vmregs` printed: (name, value) in order, after checking
/// the header and the layout.
fn registers(output: &str, id: usize, name: &str) -> Vec<(String, u64)> {
    let lines: Vec<&str> = output.split("\r\n").filter(|l| !l.is_empty()).collect();
    let header = format!("VM {id} '{name}' registers:");
    assert_eq!(
        lines.first().copied(),
        Some(header.as_str()),
        "first line of vmregs {id}:\n{output}"
    );
    let mut regs = Vec::new();
    for line in &lines[1..] {
        let words: Vec<&str> = line.split_whitespace().collect();
        assert!(
            words.len().is_multiple_of(2) && words.len() <= 8,
            "each line holds at most four `name 0x...` pairs: {line:?}"
        );
        for pair in words.chunks(2) {
            let hex = pair[1].strip_prefix("0x").filter(|h| h.len() == 16);
            let value = hex
                .and_then(|h| u64::from_str_radix(h, 16).ok())
                .unwrap_or_else(|| {
                    panic!(
                        "{} must be 0x and 16 hex digits, got {:?} in {line:?}",
                        pair[0], pair[1]
                    )
                });
            regs.push((pair[0].to_string(), value));
        }
    }
    let names: Vec<&str> = regs.iter().map(|(n, _)| n.as_str()).collect();
    let mut want: Vec<String> = (0..31).map(|i| format!("x{i}")).collect();
    want.push("pc".into());
    want.push("pstate".into());
    assert_eq!(
        names, want,
        "vmregs prints x0 to x30, pc and pstate, in that order:\n{output}"
    );
    regs
}

fn value(regs: &[(String, u64)], name: &str) -> u64 {
    regs.iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| *v)
        .expect("register present")
}

#[test]
fn vmregs_prints_every_register() {
    let mut qemu = boot("lab1_vmregs_prints_every_register");
    let id = 1 + (seed() % 2) as usize;
    let (name, ram) = VMS[id - 1];
    let out = qemu.run_command(&format!("vmregs {id}"));
    let regs = registers(&out, id, name);
    let pc = value(&regs, "pc");
    assert!(
        pc < ram,
        "VM {id}'s pc {pc:#x} must lie in its {} MiB of RAM",
        ram >> 20
    );
    // A guest runs at EL1 or EL0 (PSTATE.M[3:2] = 1 or 0: lrtos's tasks
    // run at EL0, and the registers are those of the guest's last exit),
    // never at EL2.
    assert!(
        value(&regs, "pstate") >> 2 & 3 <= 1,
        "VM {id} runs at EL1 or EL0: pstate {:#x}",
        value(&regs, "pstate")
    );
}

#[test]
fn vmregs_follows_a_running_vm() {
    let mut qemu = boot("lab1_vmregs_follows_a_running_vm");
    // Between two looks, lrtos runs: its scrollback (vmlog) grows.
    let mut seen = Vec::new();
    for _ in 0..2 + seed() % 2 {
        let out = qemu.run_command("vmregs 2");
        seen.push(registers(&out, 2, "lrtos"));
        let log = qemu.run_command("vmlog 2");
        let deadline = Instant::now() + scaled(STEP_TIMEOUT);
        while qemu.run_command("vmlog 2") == log {
            assert!(
                Instant::now() < deadline,
                "lrtos printed nothing new within {STEP_TIMEOUT:?}"
            );
        }
    }
    assert!(
        seen.windows(2).any(|w| w[0] != w[1]),
        "vmregs 2 printed the same registers every time, but lrtos is running"
    );
}

#[test]
fn vmregs_refuses_bad_ids() {
    let mut qemu = boot("lab1_vmregs_refuses_bad_ids");
    let big = 3 + seed() % 90;
    let out = qemu.run_command(&format!("vmregs {big}"));
    assert_eq!(
        out,
        format!("ferrovisor: vmregs: no VM with id {big}; 'vml' lists them\r\n")
    );
    let word = ["two", "x1", "-1", "2a"][(seed() % 4) as usize];
    let out = qemu.run_command(&format!("vmregs {word}"));
    assert_eq!(
        out,
        format!("ferrovisor: vmregs: '{word}' is not a VM id; 'vml' lists them\r\n")
    );
    let out = qemu.run_command("vmregs");
    assert_eq!(
        out,
        "ferrovisor: vmregs needs an argument; usage: vmregs <id>\r\n"
    );
    let out = qemu.run_command("vmregs 1 2");
    assert_eq!(
        out,
        "ferrovisor: too many arguments; usage: vmregs <id>\r\n"
    );
}

#[test]
fn help_lists_vmregs() {
    let mut qemu = boot("lab1_help_lists_vmregs");
    let out = qemu.run_command("help vmregs");
    assert!(
        out.starts_with("usage: vmregs <id>\r\n  "),
        "help vmregs:\n{out}"
    );
    let out = qemu.run_command("help");
    assert!(out.contains("\r\n  vmregs  "), "help lists vmregs:\n{out}");
}
