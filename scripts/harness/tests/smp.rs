//! System tests of the four cores: boot the demo image, whose list
//! (`guests/vms.list`) spreads the VMs over cores 0-3, and check that each
//! core runs the VMs its line names, that every VM makes progress there,
//! and that the shell, on core 0, reaches a VM on another core while it
//! runs. The expectations come from the list itself, not from the code.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use ferrovisor_harness::{scaled, workspace_root, Qemu, BOOT_TIMEOUT, STEP_TIMEOUT};

fn boot(test_name: &str) -> Qemu {
    let mut qemu = Qemu::boot_default(test_name);
    qemu.wait_for_prompt(BOOT_TIMEOUT);
    qemu
}

/// The default list's VMs, in order: (name, core).
fn listed_vms() -> Vec<(String, u32)> {
    let text = std::fs::read_to_string(workspace_root().join("guests/vms.list")).unwrap();
    text.lines()
        .map(|line| line.split('#').next().unwrap().trim())
        .filter(|line| !line.is_empty())
        .map(|line| {
            let words: Vec<&str> = line.split_whitespace().collect();
            (words[0].to_string(), words[5].parse().unwrap())
        })
        .collect()
}

/// `vml`'s rows: id -> (name, state, core, sum of the exit counts).
fn vml(qemu: &mut Qemu) -> BTreeMap<u32, (String, String, u32, u64)> {
    let output = qemu.run_command("vml");
    output
        .lines()
        .filter_map(|line| {
            let words: Vec<&str> = line.split_whitespace().collect();
            let id = words.first()?.parse().ok()?;
            let core = words.get(3)?.parse().ok()?;
            let exits = words
                .get(6..11)?
                .iter()
                .map(|w| w.parse::<u64>().ok())
                .sum::<Option<u64>>()?;
            Some((
                id,
                (words[1].to_string(), words[2].to_string(), core, exits),
            ))
        })
        .collect()
}

#[test]
fn each_core_runs_the_vms_its_list_line_names() {
    let mut qemu = boot("each_core_runs_the_vms_its_list_line_names");
    let listed = listed_vms();
    let cores: std::collections::BTreeSet<u32> = listed.iter().map(|(_, c)| *c).collect();
    assert!(
        cores.len() > 1,
        "the default list spreads its VMs: {listed:?}"
    );

    let info = qemu.run_command("info");
    assert!(
        info.contains("cores           : 4, 4 online"),
        "every core joined the hypervisor: {info}"
    );
    for core in 0..4u32 {
        let names: Vec<&str> = listed
            .iter()
            .filter(|(_, c)| *c == core)
            .map(|(n, _)| n.as_str())
            .collect();
        let expected = if names.is_empty() {
            "no VM".to_string()
        } else {
            names.join(", ")
        };
        let key = format!("core{core}           : {expected};");
        assert!(info.contains(&key), "info has no line {key:?}: {info}");
    }

    let rows = vml(&mut qemu);
    for (index, (name, core)) in listed.iter().enumerate() {
        let row = &rows[&(index as u32 + 1)];
        assert_eq!(
            (&row.0, row.2),
            (name, *core),
            "vml row of VM {}",
            index + 1
        );
    }
}

#[test]
fn every_vm_makes_progress_on_its_core_and_the_shell_reaches_each() {
    let mut qemu = boot("every_vm_makes_progress_on_its_core_and_the_shell_reaches_each");
    let before = vml(&mut qemu);

    // echo (core 1) answers a key typed at its console.
    qemu.switch_console(1, true);
    qemu.send(b"cores\r");
    qemu.expect("cores", STEP_TIMEOUT);
    qemu.back_to_prompt();

    // lrtos (core 2) prints while the others run: two new task lines.
    qemu.switch_console(2, true);
    qemu.expect("12345", scaled(Duration::from_secs(30)));
    qemu.expect("abcde", scaled(Duration::from_secs(30)));
    qemu.back_to_prompt();

    // Every VM trapped more since the first look, each on its own core.
    let deadline = Instant::now() + scaled(STEP_TIMEOUT);
    loop {
        let after = vml(&mut qemu);
        let behind: Vec<&String> = before
            .iter()
            .filter(|(id, row)| after[id].3 <= row.3)
            .map(|(_, row)| &row.0)
            .collect();
        if behind.is_empty() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no progress for {behind:?}: before {before:?}, after {after:?}"
        );
    }

    // A command about lrtos is carried out on core 2 while it runs, and
    // its state moves there and back.
    let stopped = qemu.run_command("vmstop 2");
    assert!(stopped.contains("VM 2 'lrtos' stopped"), "{stopped}");
    assert_eq!(vml(&mut qemu)[&2].1, "stopped");
    let frozen = vml(&mut qemu)[&2].3;
    qemu.switch_console(1, true);
    qemu.send(b"still\r");
    qemu.expect("still", STEP_TIMEOUT);
    qemu.back_to_prompt();
    assert_eq!(vml(&mut qemu)[&2].3, frozen, "a stopped VM does not run");
    let started = qemu.run_command("vmstart 2");
    assert!(started.contains("VM 2 'lrtos' started"), "{started}");
    qemu.switch_console(2, true);
    qemu.expect("12345", scaled(Duration::from_secs(30)));
    qemu.back_to_prompt();
}
