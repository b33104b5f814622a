//! System tests of the console multiplexer: pasting into a VM, switching
//! between consoles while others print, scrollback, and the VM life cycle
//! from the shell. They boot the demo image (guests/vms.list) and type at
//! the console as a person would.

use std::time::{Duration, Instant};

use ferrovisor_harness::text::{echoed, first_difference, mixed_text};
use ferrovisor_harness::{scaled, Qemu, BOOT_TIMEOUT, PROMPT, STEP_TIMEOUT};

const ECHO_READY: &str = "echo: ready, type something\r\n";
const LRTOS_BANNER: &str = "lrtos 0.1.0: a tiny RTOS";
const PASTE_END: &[u8] = b" END OF THE 64K PASTE\r";

fn boot(test_name: &str) -> Qemu {
    let mut qemu = Qemu::boot_default(test_name);
    qemu.wait_for_prompt(BOOT_TIMEOUT);
    qemu
}

/// Runs `vmlog <id>` until its output satisfies `done` (the VM prints on
/// its own schedule), failing after the step timeout.
fn vmlog_until(qemu: &mut Qemu, id: u32, done: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + STEP_TIMEOUT;
    loop {
        let log = qemu.run_command(&format!("vmlog {id}"));
        if done(&log) {
            return log;
        }
        assert!(
            Instant::now() < deadline,
            "vmlog {id} never showed what was expected: {log}"
        );
    }
}

/// The state column of VM `id` in `vml`.
fn state_of(vml: &str, id: u32) -> String {
    vml.lines()
        .find_map(|line| {
            let mut words = line.split_whitespace();
            (words.next()?.parse::<u32>().ok()? == id).then(|| words.nth(1).map(str::to_string))?
        })
        .unwrap_or_else(|| panic!("vml has no row for VM {id}: {vml}"))
}

/// 64 KiB of mixed printable text pasted in one write into echo comes back
/// byte for byte: the RX ring, the VM's input queue and the virtual UART's
/// FIFO lose nothing.
#[test]
fn a_64k_paste_into_echo_comes_back_exactly() {
    let mut qemu = boot("a_64k_paste_into_echo_comes_back_exactly");
    qemu.send_line("vmc 1");
    qemu.expect(ECHO_READY, STEP_TIMEOUT);
    let text = mixed_text(64 * 1024, PASTE_END);
    // '@' is the console's escape key: a literal one is typed as '@@'.
    let typed: Vec<u8> = text
        .iter()
        .flat_map(|&b| if b == b'@' { vec![b'@', b'@'] } else { vec![b] })
        .collect();
    qemu.send(&typed);
    let want = echoed(&text);
    let got = qemu.expect_bytes(&echoed(PASTE_END), scaled(Duration::from_secs(120)));
    assert!(got == want, "{}", first_difference(&got, &want));
    qemu.back_to_prompt();
    let info = qemu.run_command("info");
    assert!(
        info.contains(", 0 bytes lost"),
        "the hypervisor lost console bytes: {info}"
    );
}

/// While echo has the console, lrtos keeps printing into its scrollback but
/// none of it reaches the screen; switching to lrtos with `@2` shows it,
/// `@1` goes back to echo, which still echoes.
#[test]
fn background_output_never_mixes_into_the_focused_console() {
    let mut qemu = boot("background_output_never_mixes_into_the_focused_console");
    qemu.send_line("vmc 1");
    qemu.expect(ECHO_READY, STEP_TIMEOUT);
    qemu.send(b"first\r");
    qemu.expect("first\r\n", STEP_TIMEOUT);
    // lrtos prints a line every few hundred milliseconds: in 3 s it would
    // have shown up here if background output leaked.
    qemu.expect_absent("12345", scaled(Duration::from_secs(3)));
    qemu.expect_absent("abcde", Duration::from_millis(1));
    qemu.send(b"@2");
    qemu.expect("VM 2 'lrtos'", STEP_TIMEOUT);
    qemu.expect("abcde", STEP_TIMEOUT);
    qemu.send(b"@1");
    qemu.expect("VM 1 'echo'", STEP_TIMEOUT);
    // The scrollback replay ends with what echo printed last.
    qemu.expect("first\r\n", STEP_TIMEOUT);
    qemu.send(b"second\r");
    qemu.expect("second\r\n", STEP_TIMEOUT);
    qemu.expect_absent("12345", scaled(Duration::from_secs(2)));
    qemu.back_to_prompt();
}

/// Switching back and forth many times in a row loses nothing typed.
#[test]
fn switching_hundreds_of_times_keeps_the_console_working() {
    let mut qemu = boot("switching_hundreds_of_times_keeps_the_console_working");
    let mut burst = Vec::new();
    for _ in 0..200 {
        burst.extend_from_slice(b"vmc 1\r@0");
    }
    qemu.send(&burst);
    for _ in 0..200 {
        qemu.expect("[back to ferrovisor]", STEP_TIMEOUT);
    }
    qemu.expect(PROMPT, STEP_TIMEOUT);
    qemu.send_line("vmc 1");
    qemu.expect(ECHO_READY, STEP_TIMEOUT);
    qemu.send(b"still here\r");
    qemu.expect("still here\r\n", STEP_TIMEOUT);
    qemu.back_to_prompt();
}

#[test]
fn vmlog_prints_a_vms_recent_output() {
    let mut qemu = boot("vmlog_prints_a_vms_recent_output");
    // lrtos prints on its own schedule; wait until a task line is in.
    let log = vmlog_until(&mut qemu, 2, |log| log.contains("abcde"));
    assert!(
        log.contains("--- recent output of VM 2 'lrtos' ---"),
        "{log}"
    );
    assert!(log.contains(LRTOS_BANNER), "{log}");
    assert!(log.contains("12345") && log.contains("abcde"), "{log}");
    assert!(log.contains("--- end of VM 2 output ---"), "{log}");
    let err = qemu.run_command("vmlog 9");
    assert!(err.contains("vmlog: no VM with id 9"), "{err}");
}

/// vmstop, vmstart and vmreset change one VM; the others carry on, and
/// nonsense (starting a running VM, stopping a stopped one) is refused.
#[test]
fn stop_start_and_reset_a_vm_while_the_others_run() {
    let mut qemu = boot("stop_start_and_reset_a_vm_while_the_others_run");
    // Let lrtos boot and run its tasks first, so the reset shows.
    vmlog_until(&mut qemu, 2, |log| log.contains("abcde"));
    let out = qemu.run_command("vmstop 2");
    assert!(out.contains("VM 2 'lrtos' stopped"), "{out}");
    let vml = qemu.run_command("vml");
    assert_eq!(state_of(&vml, 2), "stopped", "{vml}");
    let out = qemu.run_command("vmstop 2");
    assert!(out.contains("it is not running"), "{out}");

    // echo keeps working while lrtos is stopped.
    qemu.send_line("vmc 1");
    qemu.expect(ECHO_READY, STEP_TIMEOUT);
    qemu.send(b"ping\r");
    qemu.expect("ping\r\n", STEP_TIMEOUT);
    qemu.back_to_prompt();

    let out = qemu.run_command("vmstart 2");
    assert!(out.contains("VM 2 'lrtos' started"), "{out}");
    let out = qemu.run_command("vmstart 2");
    assert!(out.contains("it is already running"), "{out}");
    let vml = qemu.run_command("vml");
    assert!(
        ["running", "sleeping"].contains(&state_of(&vml, 2).as_str()),
        "{vml}"
    );

    let out = qemu.run_command("vmreset 2");
    assert!(out.contains("VM 2 'lrtos' reset"), "{out}");
    // After the reset lrtos boots again: its banner is in the log twice.
    vmlog_until(&mut qemu, 2, |log| log.matches(LRTOS_BANNER).count() == 2);
    // And echo still echoes.
    qemu.send_line("vmc 1");
    qemu.expect(ECHO_READY, STEP_TIMEOUT);
    qemu.send(b"pong\r");
    qemu.expect("pong\r\n", STEP_TIMEOUT);
    qemu.back_to_prompt();
}
