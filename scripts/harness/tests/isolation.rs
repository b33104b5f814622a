//! System tests of isolation and robustness: a misbehaving guest stops
//! alone, bad input never hurts the hypervisor.
//!
//! They boot `target/images/ferrovisor-hostile.img`, which `scripts/build.sh`
//! builds from `guests/hostile.list`: VM 1 echo, VM 2 lrtos, VM 3 hostile
//! (`guests/hostile/`), a guest whose menu keys each make it misbehave in
//! one way. Every probe is run in turn; after each, the test checks what
//! the hypervisor printed about it, that echo still echoes, that lrtos
//! still prints, that the prompt answers, and that `vmreset 3` brings the
//! hostile guest back.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use ferrovisor_harness::text::{echoed, first_difference, mixed_text};
use ferrovisor_harness::{
    scaled, workspace_root, Qemu, BOOT_TIMEOUT, CONSOLE_KEYS, PROMPT, STEP_TIMEOUT,
};

/// The image with the hostile guest, relative to the workspace root.
const IMAGE: &str = "target/images/ferrovisor-hostile.img";
/// The VMs of guests/hostile.list.
const ECHO: u32 = 1;
const LRTOS: u32 = 2;
const HOSTILE: u32 = 3;
/// hostile's RAM (16 MiB in guests/hostile.list): the first address past it.
const RAM_END: u64 = 0x100_0000;
/// Where the Pi firmware loads kernel8.img, ferrovisor's image included.
const KERNEL_LOAD_ADDRESS: u64 = 0x8_0000;
/// The registers hostile's `p` and `x` probes use (the system timer's CLO,
/// which always traps, unlike the mini UART's status registers while the
/// console shadow stands in for them, and AUX_MU_SCRATCH) and the start of
/// the peripheral window.
const SYSTEM_TIMER_CLO: u64 = 0x3f00_3004;
const AUX_MU_SCRATCH: u64 = 0x3f21_505c;
const PERIPHERAL_BASE: u64 = 0x3f00_0000;
/// Exception classes: data abort and instruction abort from a lower EL.
const EC_DATA_ABORT_LOWER: u8 = 0x24;
const EC_INSTRUCTION_ABORT_LOWER: u8 = 0x20;
/// hostile's prompt.
const HOSTILE_PROMPT: &str = "hostile> ";

fn image() -> PathBuf {
    workspace_root().join(IMAGE)
}

fn boot(test_name: &str) -> Qemu {
    let mut qemu = Qemu::boot(&image(), test_name);
    qemu.wait_for_prompt(BOOT_TIMEOUT);
    qemu
}

/// One row of `vml`: the VM's state, its exit counts (WFx, HVC, SysReg,
/// MMIO, IRQ) and the halt reason, if any.
#[derive(Debug)]
struct Row {
    state: String,
    exits: Vec<u64>,
    reason: String,
}

/// The row of VM `id` in the output of `vml`.
fn row(vml: &str, id: u32) -> Row {
    let line = vml
        .lines()
        .find(|line| line.split_whitespace().next() == Some(&id.to_string()))
        .unwrap_or_else(|| panic!("vml has no row for VM {id}: {vml}"));
    let words: Vec<&str> = line.split_whitespace().collect();
    // id name state cpu mem time, then WFx HVC SysReg MMIO IRQ.
    let exits = words[6..11]
        .iter()
        .map(|w| w.parse().unwrap_or_else(|_| panic!("bad count in {line}")))
        .collect();
    let reason = line
        .trim_end()
        .split_once(" (")
        .map_or(String::new(), |(_, r)| {
            r.strip_suffix(')').unwrap_or(r).to_string()
        });
    Row {
        state: words[2].to_string(),
        exits,
        reason,
    }
}

fn vml_row(qemu: &mut Qemu, id: u32) -> Row {
    let vml = qemu.run_command("vml");
    row(&vml, id)
}

/// Runs `vml` until VM `id` is in `state` (it gets there on its own
/// schedule), failing after the step timeout.
fn wait_for_state(qemu: &mut Qemu, id: u32, state: &str) -> Row {
    let deadline = Instant::now() + scaled(STEP_TIMEOUT);
    loop {
        let row = vml_row(qemu, id);
        if row.state == state {
            return row;
        }
        assert!(
            Instant::now() < deadline,
            "VM {id} never became {state}: {row:?}"
        );
    }
}

/// Give the console to VM `id` and skip what the switch replays: after
/// this, everything read is new output.
fn focus(qemu: &mut Qemu, id: u32) {
    qemu.send_line(&format!("vmc {id}"));
    qemu.expect(&format!("[console: VM {id} "), STEP_TIMEOUT);
    qemu.send(b"@?");
    qemu.expect(CONSOLE_KEYS, STEP_TIMEOUT);
}

/// Focus hostile and wait until it shows its prompt, freshly.
fn focus_hostile(qemu: &mut Qemu) {
    focus(qemu, HOSTILE);
    // `?` redraws the menu, which proves hostile reads its keys.
    qemu.send(b"?");
    qemu.expect("?  this menu", STEP_TIMEOUT);
    qemu.expect(HOSTILE_PROMPT, STEP_TIMEOUT);
}

/// echo still echoes a line nobody typed before.
fn echo_still_echoes(qemu: &mut Qemu, tag: &str) {
    focus(qemu, ECHO);
    let line = format!("still there after {tag}");
    qemu.send(format!("{line}\r").as_bytes());
    qemu.expect(&format!("{line}\r\n"), STEP_TIMEOUT);
    qemu.back_to_prompt();
}

/// lrtos still prints: a task line appears after the switch.
fn lrtos_still_prints(qemu: &mut Qemu) {
    focus(qemu, LRTOS);
    let deadline = Instant::now() + STEP_TIMEOUT;
    loop {
        let line = qemu.expect("\r\n", STEP_TIMEOUT);
        if line.contains("12345") || line.contains("abcde") {
            break;
        }
        assert!(Instant::now() < deadline, "lrtos printed no task line");
    }
    qemu.back_to_prompt();
}

/// The other VMs and the prompt are fine: echo and lrtos alive in `vml`,
/// echo echoes, lrtos prints.
fn others_keep_working(qemu: &mut Qemu, tag: &str) {
    let vml = qemu.run_command("vml");
    for id in [ECHO, LRTOS] {
        let state = row(&vml, id).state;
        assert!(
            ["running", "sleeping"].contains(&state.as_str()),
            "after {tag}, VM {id} is {state}: {vml}"
        );
    }
    echo_still_echoes(qemu, tag);
    lrtos_still_prints(qemu);
}

/// `vmreset 3` restarts hostile, which then answers its menu key.
fn reset_hostile(qemu: &mut Qemu) {
    let out = qemu.run_command(&format!("vmreset {HOSTILE}"));
    assert!(out.contains("VM 3 'hostile' reset"), "{out}");
    focus_hostile(qemu);
    qemu.back_to_prompt();
    let state = vml_row(qemu, HOSTILE).state;
    assert!(
        ["running", "sleeping"].contains(&state.as_str()),
        "hostile after vmreset: {state}"
    );
}

// ANCHOR: probe_stops
/// Run probe `key`, which must stop hostile with `reason`, exception class
/// `ec` and `address` in the report line; then check the others and revive it.
fn probe_stops(qemu: &mut Qemu, key: u8, reason: &str, ec: u8, address: u64) {
    focus_hostile(qemu);
    qemu.send(&[key]);
    let report =
        format!("VM 3 'hostile' halted: {reason} (EC {ec:#x}) at address {address:#x}, pc ");
    qemu.expect(&report, STEP_TIMEOUT);
    qemu.expect("'vmreset 3' restarts it", STEP_TIMEOUT);
    qemu.back_to_prompt();
    let hostile = wait_for_state(qemu, HOSTILE, "halted");
    assert_eq!(hostile.reason, reason, "probe {}", key as char);
    others_keep_working(qemu, &format!("probe {}", key as char));
    reset_hostile(qemu);
}
// ANCHOR_END: probe_stops

/// Faults: each one stops hostile alone, with a one-line report.
#[test]
fn each_fault_stops_only_the_hostile_vm() {
    let mut qemu = boot("each_fault_stops_only_the_hostile_vm");
    let ram_end = RAM_END;
    let stops: [(u8, &str, u8, u64); 5] = [
        (
            b'r',
            "load outside the VM's RAM and devices",
            EC_DATA_ABORT_LOWER,
            ram_end,
        ),
        (
            b'w',
            "store outside the VM's RAM and devices",
            EC_DATA_ABORT_LOWER,
            ram_end,
        ),
        (
            b'h',
            "store outside the VM's RAM and devices",
            EC_DATA_ABORT_LOWER,
            ram_end + KERNEL_LOAD_ADDRESS,
        ),
        (
            b'j',
            "instruction fetch outside the VM's RAM",
            EC_INSTRUCTION_ABORT_LOWER,
            PERIPHERAL_BASE,
        ),
        (
            b't',
            "stage-1 page-table walk outside the VM's RAM",
            EC_INSTRUCTION_ABORT_LOWER,
            PERIPHERAL_BASE,
        ),
    ];
    for (key, reason, ec, address) in stops {
        probe_stops(&mut qemu, key, reason, ec, address);
    }
}

/// Waits for the first of `needles` in the console output and returns it.
fn expect_one_of<'a>(qemu: &mut Qemu, needles: &[&'a str]) -> &'a str {
    let deadline = Instant::now() + scaled(STEP_TIMEOUT);
    loop {
        let line = qemu.expect("\n", STEP_TIMEOUT);
        if let Some(found) = needles.iter().find(|n| line.contains(**n)) {
            return found;
        }
        assert!(
            Instant::now() < deadline,
            "none of {needles:?} appeared in time"
        );
    }
}

/// What the guest handles itself, or the hypervisor answers, does not
/// stop it: absent devices read 0, a pair, a writeback and SIMD&FP
/// registers on devices are decoded, undefined instructions go to its own
/// vector, trapped system registers are emulated, HVC/SMC calls answered.
#[test]
fn contained_misbehaviour_lets_the_guest_go_on() {
    let mut qemu = boot("contained_misbehaviour_lets_the_guest_go_on");
    let before = vml_row(&mut qemu, HOSTILE);

    focus_hostile(&mut qemu);
    qemu.send(b"a");
    for device in ["0x3f204000", "0x3f804004", "0x3f20c000"] {
        qemu.expect(&format!("a: ldr from {device}"), STEP_TIMEOUT);
        let rest = qemu.expect("\r\n", STEP_TIMEOUT);
        assert!(
            rest.trim_end().ends_with(": 0x0"),
            "an absent device must read 0: {device}{rest}"
        );
    }
    qemu.expect("a: still running", STEP_TIMEOUT);

    // Accesses the syndrome cannot describe (ISV = 0) are decoded from the
    // instruction and complete with what the device models hold.
    qemu.send(b"p");
    qemu.expect(
        &format!("p: ldp (load pair) from {SYSTEM_TIMER_CLO:#x}"),
        STEP_TIMEOUT,
    );
    qemu.expect("p: ldp read CLO ", STEP_TIMEOUT);
    let pair = qemu.expect("\r\n", STEP_TIMEOUT);
    let numbers: Vec<u64> = pair
        .split_whitespace()
        .filter_map(|word| {
            u64::from_str_radix(word.trim_end_matches(';').strip_prefix("0x")?, 16).ok()
        })
        .collect();
    assert_eq!(numbers.len(), 3, "CLO, CHI and CLO again: {pair}");
    let (low, high, again) = (numbers[0], numbers[1], numbers[2]);
    assert!(
        low > 0 && high == 0 && again >= low,
        "the system timer counts up: {pair}"
    );
    qemu.send(b"x");
    // The marker's low byte: the scratch register holds 8 bits.
    qemu.expect(
        &format!("x: stored, base now {AUX_MU_SCRATCH:#x}; AUX_MU_SCRATCH reads 0xad"),
        STEP_TIMEOUT,
    );
    qemu.send(b"q");
    qemu.expect(
        "q: ldp s1, s2 read 0x11111111 0x22222222; ldr C3 reads 0x33333333",
        STEP_TIMEOUT,
    );

    qemu.send(b"u");
    qemu.expect(
        "taken by this guest's own EL1 vector; ferrovisor never saw it",
        STEP_TIMEOUT,
    );
    qemu.expect("u: still running", STEP_TIMEOUT);

    qemu.send(b"s");
    qemu.expect(
        "s: mrs cntpct_el0 (trapped: CNTHCTL_EL2.EL1PCTEN = 0) = 0x",
        STEP_TIMEOUT,
    );
    qemu.expect("\r\n", STEP_TIMEOUT);
    let actlr = qemu.expect("\r\n", STEP_TIMEOUT);
    assert!(
        actlr.contains("mrs actlr_el1 (trapped: HCR_EL2.TACR) = 0x0"),
        "ACTLR_EL1 writes are ignored, reads give 0: {actlr}"
    );
    qemu.expect(
        "s: mrs hcr_el2: an EL2 register, UNDEFINED at EL1",
        STEP_TIMEOUT,
    );
    qemu.expect("ferrovisor never saw it", STEP_TIMEOUT);
    qemu.expect("s: sys #0, c15, c0, #0", STEP_TIMEOUT);
    // QEMU before 8.1 does not implement HCR_EL2.TIDCP: the instruction
    // is undefined at EL1 and hostile goes on. A CPU that traps it sends
    // it to EL2, where ferrovisor does not know it and stops the VM.
    let outcome = expect_one_of(
        &mut qemu,
        &["ferrovisor never saw it", "VM 3 'hostile' halted: "],
    );
    if outcome == "ferrovisor never saw it" {
        qemu.expect("s: still running", STEP_TIMEOUT);
        qemu.send(b"c");
        let answers = [
            "hvc x0=0x84000000 (PSCI_VERSION): x0 = 0x10001",
            "hvc x0=0x8400000a (PSCI_FEATURES(SYSTEM_RESET)): x0 = 0x0 (SUCCESS)",
            "hvc x0=0x840000ff (an undefined PSCI function): x0 = 0xffffffffffffffff (NOT_SUPPORTED)",
            "hvc x0=0x80000000 (SMCCC_VERSION): x0 = 0xffffffffffffffff (NOT_SUPPORTED)",
            "hvc x0=0xdeadbeef84000000 (PSCI_VERSION, junk in bits 63:32): x0 = 0x10001",
            "smc x0=0x84000000 (PSCI_VERSION): x0 = 0x10001",
            "smc x0=0xc2000000 (a SiP service call): x0 = 0xffffffffffffffff (NOT_SUPPORTED)",
        ];
        for answer in answers {
            qemu.expect(answer, STEP_TIMEOUT);
        }
        qemu.expect("c: still running", STEP_TIMEOUT);
        qemu.expect(HOSTILE_PROMPT, STEP_TIMEOUT);
    }
    qemu.back_to_prompt();
    let after = vml_row(&mut qemu, HOSTILE);
    if outcome == "ferrovisor never saw it" {
        assert!(
            ["running", "sleeping"].contains(&after.state.as_str()),
            "{after:?}"
        );
        // cntpct_el0 and two ACTLR_EL1 accesses reached EL2 (SysReg), and
        // the seven calls (HVC, which counts SMC too).
        assert!(
            after.exits[2] >= before.exits[2] + 3,
            "{before:?} {after:?}"
        );
        assert!(
            after.exits[1] >= before.exits[1] + 7,
            "{before:?} {after:?}"
        );
    }
    others_keep_working(&mut qemu, "the contained probes");
}

/// Debug, OS-lock and PMU registers trap to ferrovisor (MDCR_EL2) and are
/// this VM's own; a PMU register the virtual PMU lacks is UNDEFINED, which
/// ferrovisor injects: the guest's own EL1 handler runs and it goes on.
#[test]
fn debug_and_pmu_registers_are_the_vms_own_and_undefined_ones_injected() {
    let mut qemu = boot("debug_and_pmu_registers_are_the_vms_own_and_undefined_ones_injected");
    let before = vml_row(&mut qemu, HOSTILE);
    focus_hostile(&mut qemu);

    qemu.send(b"d");
    // The OS lock is set out of reset (OSLM = 0b10, OSLK = 1), and cleared.
    qemu.expect("d: oslsr_el1 = 0xa, after oslar_el1 = 0: 0x8", STEP_TIMEOUT);
    qemu.expect("d: mdscr_el1 after writing 0x8000: 0x8000", STEP_TIMEOUT);
    // A breakpoint register takes the write and reads 0: nothing of it
    // reaches the CPU.
    qemu.expect("d: dbgbcr0_el1 after writing 0x1e7: 0x0", STEP_TIMEOUT);
    qemu.expect("d: still running", STEP_TIMEOUT);

    qemu.send(b"m");
    // Not the CPU's PMCR_EL0 (QEMU's A53 has N = 6): ferrovisor's, N = 0.
    qemu.expect("m: pmcr_el0 = 0x41030000 (N = 0)", STEP_TIMEOUT);
    qemu.expect("m: pmccntr_el0 = 0x0", STEP_TIMEOUT);
    // Injected: ESR_EL1 says EC 0 (unknown reason) with IL set.
    qemu.expect("(ESR_EL1 0x2000000, EC 0x0)", STEP_TIMEOUT);
    qemu.expect(
        "m: pmevcntr0_el0 was UNDEFINED; this guest's handler ran",
        STEP_TIMEOUT,
    );
    qemu.expect("m: still running", STEP_TIMEOUT);
    qemu.expect(HOSTILE_PROMPT, STEP_TIMEOUT);

    qemu.back_to_prompt();
    let after = vml_row(&mut qemu, HOSTILE);
    assert!(
        ["running", "sleeping"].contains(&after.state.as_str()),
        "{after:?}"
    );
    // d: nine accesses, m: three, all at EL2 (SysReg).
    assert!(
        after.exits[2] >= before.exits[2] + 12,
        "{before:?} {after:?}"
    );
    others_keep_working(&mut qemu, "the debug and PMU probes");
}

/// Run a probe that never ends, check that the others and the prompt keep
/// working for a while, and that the hostile VM is in `state`.
fn probe_runs_for_ever(qemu: &mut Qemu, key: u8, announces: &str, state: &str) -> (Row, Row) {
    focus_hostile(qemu);
    qemu.send(&[key]);
    qemu.expect(announces, STEP_TIMEOUT);
    qemu.back_to_prompt();
    let first = wait_for_state(qemu, HOSTILE, state);
    others_keep_working(qemu, &format!("probe {}", key as char));
    let second = vml_row(qemu, HOSTILE);
    assert_eq!(first.state, state, "probe {}: {first:?}", key as char);
    assert_eq!(second.state, state, "probe {}: {second:?}", key as char);
    (first, second)
}

/// A guest that sleeps for ever, spins with interrupts masked, faults for
/// ever at EL1, or storms itself with interrupts starves nobody.
#[test]
fn runaway_guests_never_starve_the_others() {
    let mut qemu = boot("runaway_guests_never_starve_the_others");

    // Asleep for ever: `vml` says so, and it gets no CPU time.
    let (first, second) = probe_runs_for_ever(
        &mut qemu,
        b'f',
        "f: every interrupt off and masked, then wfi: asleep for ever",
        "sleeping",
    );
    assert_eq!(first.exits[0], second.exits[0], "it never woke up");
    reset_hostile(&mut qemu);

    // Spinning with IRQs masked: physical interrupts still reach EL2, so
    // it is preempted (its IRQ exits grow) and the others run.
    for (key, announces) in [
        (b'l', "l: interrupts masked, then b . (a branch to itself)"),
        (
            b'v',
            "v: zero 0x0-0x800, VBAR_EL1 = 0, udf #0: faults for ever at EL1",
        ),
    ] {
        let (first, second) = probe_runs_for_ever(&mut qemu, key, announces, "running");
        assert!(
            second.exits[4] > first.exits[4],
            "probe {}: preempted by the hypervisor's timer: {first:?} {second:?}",
            key as char
        );
        reset_hostile(&mut qemu);
    }

    // The interrupt storm: the guest takes its own virtual timer interrupt
    // a million times while the others run.
    focus_hostile(&mut qemu);
    qemu.send(b"i");
    qemu.expect(
        "storm: 1048576 virtual timer interrupts taken",
        STEP_TIMEOUT,
    );
    qemu.back_to_prompt();
    others_keep_working(&mut qemu, "the interrupt storm");
    assert_eq!(vml_row(&mut qemu, HOSTILE).state, "running");
    reset_hostile(&mut qemu);
}

/// Bytes of a VM's scrollback (hypervisor/src/vm/machine.rs).
const SCROLLBACK_BYTES: usize = 16 * 1024;

/// A guest printing as fast as it can: the console stays responsive while
/// it has the focus and after, the others run, its scrollback stays
/// bounded; and a 64 KiB paste into the hypervisor prompt meanwhile is
/// taken line by line, every byte of it.
#[test]
fn a_flood_and_a_64k_paste_into_the_prompt_hurt_nothing() {
    let mut qemu = boot("a_flood_and_a_64k_paste_into_the_prompt_hurt_nothing");
    focus_hostile(&mut qemu);
    qemu.send(b"o");
    qemu.expect("o: flood line 300:", STEP_TIMEOUT);
    // `@0` gets through the flood at once.
    let started = Instant::now();
    qemu.back_to_prompt();
    let back = started.elapsed();
    assert!(back < scaled(Duration::from_secs(5)), "@0 took {back:?}");
    others_keep_working(&mut qemu, "the flood");

    // Every byte value reaches the focused VM, and echo sends each back
    // (`@` typed as `@@`, the console's literal `@`).
    focus(&mut qemu, ECHO);
    let every_byte: Vec<u8> = (0..=u8::MAX).chain(*b" END OF THE BYTES\r").collect();
    let typed: Vec<u8> = every_byte
        .iter()
        .flat_map(|&b| if b == b'@' { vec![b, b] } else { vec![b] })
        .collect();
    qemu.send(&typed);
    let got = qemu.expect_bytes(b" END OF THE BYTES\r\n", STEP_TIMEOUT);
    let want = echoed(&every_byte);
    assert!(
        got.ends_with(&want),
        "echo: {}",
        first_difference(&got[got.len().saturating_sub(want.len())..], &want)
    );
    qemu.back_to_prompt();

    let log = qemu.run_command(&format!("vmlog {HOSTILE}"));
    assert!(log.contains("o: flood line"), "{log}");
    assert!(
        log.len() < SCROLLBACK_BYTES + 200,
        "the scrollback is bounded: vmlog printed {} bytes",
        log.len()
    );

    // 64 KiB of random printable lines at the prompt, in one write, while
    // hostile still floods in the background. Every line is echoed exactly
    // and refused as an unknown command; nothing is lost.
    let text = mixed_text(64 * 1024, b" END OF THE PASTE\r");
    qemu.send(&text);
    let mut lines = 0;
    for line in text.split(|&b| b == b'\r').filter(|l| !l.is_empty()) {
        let mut echo = line.to_vec();
        echo.extend_from_slice(b"\r\n");
        qemu.expect_bytes(&echo, STEP_TIMEOUT);
        lines += 1;
    }
    qemu.expect(PROMPT, STEP_TIMEOUT);
    assert!(lines > 500, "{lines} lines");
    let info = qemu.run_command("info");
    assert!(info.contains(", 0 bytes lost"), "{info}");
    assert_eq!(vml_row(&mut qemu, HOSTILE).state, "running");
    reset_hostile(&mut qemu);
    others_keep_working(&mut qemu, "the paste");
}
