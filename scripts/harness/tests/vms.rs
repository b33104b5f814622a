//! System tests of the virtual machines: boot the demo image (echo, lrtos
//! and uboot from guests/vms.list), list the VMs, and use each VM's console
//! through `vmc` and `@0` as a person would.

use std::time::{Duration, Instant};

use ferrovisor_harness::{scaled, Qemu, BOOT_TIMEOUT, PROMPT, STEP_TIMEOUT};

fn boot(test_name: &str) -> Qemu {
    let mut qemu = Qemu::boot_default(test_name);
    qemu.wait_for_prompt(BOOT_TIMEOUT);
    qemu
}

/// The rows of `vml`: (id, name, state) for every line that starts with a number.
fn vml_rows(output: &str) -> Vec<(u32, String, String)> {
    output
        .lines()
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            let id = words.next()?.parse().ok()?;
            let name = words.next()?.to_string();
            let state = words.next()?.to_string();
            Some((id, name, state))
        })
        .collect()
}

#[test]
fn vml_lists_echo_lrtos_and_uboot_alive() {
    let mut qemu = boot("vml_lists_echo_lrtos_and_uboot_alive");
    let output = qemu.run_command("vml");
    assert!(output.contains("Name"), "vml prints a header: {output}");
    let rows = vml_rows(&output);
    let names: Vec<&str> = rows.iter().map(|r| r.1.as_str()).collect();
    assert_eq!(
        names,
        ["echo", "lrtos", "uboot", "linux"],
        "vml rows: {output}"
    );
    for (id, name, state) in &rows {
        assert!(
            ["running", "ready", "sleeping"].contains(&state.as_str()),
            "VM {id} {name} is {state}, not alive: {output}"
        );
    }
}

/// Switches to lrtos and watches its two tasks take turns: a `12345` line
/// followed by an `abcde` line followed by a `12345` line, and the other way
/// round. That needs the guest's timer interrupt to preempt its tasks, so it
/// checks the virtual timer, the interrupt controllers and the scheduler.
#[test]
fn lrtos_tasks_interleave_in_its_console() {
    let mut qemu = boot("lrtos_tasks_interleave_in_its_console");
    qemu.send_line("vmc 2");
    qemu.expect("VM 2 'lrtos'", STEP_TIMEOUT);
    let deadline = Instant::now() + scaled(Duration::from_secs(60));
    let mut sequence: Vec<char> = Vec::new();
    while Instant::now() < deadline {
        let chunk = qemu.expect("\r\n", STEP_TIMEOUT);
        for line in chunk.split("\r\n") {
            if line.contains("12345") {
                sequence.push('1');
            } else if line.contains("abcde") {
                sequence.push('a');
            }
        }
        let text: String = sequence.iter().collect();
        let runs = text
            .chars()
            .collect::<Vec<_>>()
            .windows(2)
            .filter(|w| w[0] != w[1])
            .count();
        if runs >= 3 {
            break;
        }
    }
    let text: String = sequence.iter().collect();
    let changes = text
        .chars()
        .collect::<Vec<_>>()
        .windows(2)
        .filter(|w| w[0] != w[1])
        .count();
    assert!(
        changes >= 3,
        "lrtos's tasks did not take turns (1 = 12345 line, a = abcde line): {text}"
    );
    qemu.send(b"@0");
    qemu.expect("[back to ferrovisor]", STEP_TIMEOUT);
    qemu.expect(PROMPT, STEP_TIMEOUT);
    // The hypervisor shell still works after the visit.
    let output = qemu.run_command("vml");
    assert_eq!(vml_rows(&output).len(), 4, "{output}");
}

#[test]
fn echo_echoes_what_is_typed_in_its_console() {
    let mut qemu = boot("echo_echoes_what_is_typed_in_its_console");
    qemu.send_line("vmc 1");
    qemu.expect("VM 1 'echo'", STEP_TIMEOUT);
    qemu.expect("echo: ready, type something", STEP_TIMEOUT);
    qemu.send(b"hello ferrovisor\r");
    qemu.expect("hello ferrovisor\r\n", STEP_TIMEOUT);
    // '@@' is a literal '@'.
    qemu.send(b"me@@pi\r");
    qemu.expect("me@pi\r\n", STEP_TIMEOUT);
    qemu.send(b"@0");
    qemu.expect("[back to ferrovisor]", STEP_TIMEOUT);
    qemu.expect(PROMPT, STEP_TIMEOUT);
    // echo sleeps in WFI between keys: its WFx exits are counted. A WFI
    // with an interrupt already pending completes without trapping (the
    // architecture allows it and QEMU does it), so while keys were arriving
    // echo may not have trapped yet; once idle and scheduled, it does.
    let deadline = Instant::now() + scaled(STEP_TIMEOUT);
    let (output, counts) = loop {
        let output = qemu.run_command("vml");
        let rows = vml_rows(&output);
        assert_eq!(rows[0].1, "echo", "{output}");
        let echo_row = output.lines().find(|l| l.contains(" echo ")).unwrap();
        let counts: Vec<u64> = echo_row
            .split_whitespace()
            .skip(5)
            .filter_map(|w| w.parse().ok())
            .collect();
        // id name state cpu mem time, then WFx HVC SysReg MMIO IRQ.
        assert_eq!(counts.len(), 5, "vml row has five exit counts: {echo_row}");
        if counts[0] > 0 || Instant::now() >= deadline {
            break (output, counts);
        }
    };
    let echo_row = output.lines().find(|l| l.contains(" echo ")).unwrap();
    assert!(counts[0] > 0, "echo executed WFI: {echo_row}");
    assert!(
        counts[3] > 0,
        "echo touched its UART (MMIO exits): {echo_row}"
    );
}

#[test]
fn vmc_refuses_an_unknown_vm() {
    let mut qemu = boot("vmc_refuses_an_unknown_vm");
    let output = qemu.run_command("vmc 7");
    assert!(output.contains("no VM with id 7"), "{output}");
    let output = qemu.run_command("vmc x");
    assert!(output.contains("'x' is not a VM id"), "{output}");
}
