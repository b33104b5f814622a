//! System tests of the U-Boot guest: Debian's stock `u-boot-rpi` image for
//! `rpi_3`, VM 3 of the demo list, boots to its prompt inside the VM, answers
//! its commands, resets itself (and only itself) through the PM watchdog,
//! and can be watched probing the virtual board with `vmtrace`.
//!
//! U-Boot first tries to boot from the SD card, USB and the network, none
//! of which the virtual board has; the device models make each attempt
//! fail at once, so the prompt comes within seconds (under a busy QEMU, the
//! generous [`UBOOT_TIMEOUT`] still holds).

use std::time::{Duration, Instant};

use ferrovisor_harness::{Qemu, BOOT_TIMEOUT, PROMPT, STEP_TIMEOUT};

/// U-Boot's VM id in guests/vms.list.
const UBOOT: u32 = 3;
/// U-Boot's prompt (CONFIG_SYS_PROMPT of the rpi_3 build).
const UBOOT_PROMPT: &str = "U-Boot> ";
/// What `version` and the banner say.
const UBOOT_VERSION: &str = "U-Boot 2023.01";
/// From power-on (or reset) to U-Boot's prompt, its autoboot attempts
/// included: seconds when QEMU has a core to itself.
const UBOOT_TIMEOUT: Duration = Duration::from_secs(120);

fn boot(test_name: &str) -> Qemu {
    let mut qemu = Qemu::boot_default(test_name);
    qemu.wait_for_prompt(BOOT_TIMEOUT);
    qemu
}

/// One `vml` row: name, state and memory in MiB of VM `id`.
struct Row {
    name: String,
    state: String,
    mem_mib: u64,
}

fn vml_row(qemu: &mut Qemu, id: u32) -> Row {
    let output = qemu.run_command("vml");
    output
        .lines()
        .find_map(|line| {
            let words: Vec<&str> = line.split_whitespace().collect();
            (words.first()?.parse::<u32>().ok()? == id).then(|| Row {
                name: words[1].to_string(),
                state: words[2].to_string(),
                mem_mib: words[4].parse().expect("Mem(MiB) is a number"),
            })
        })
        .unwrap_or_else(|| panic!("vml has no VM {id}: {output}"))
}

fn assert_alive(row: &Row, when: &str) {
    assert!(
        ["running", "sleeping"].contains(&row.state.as_str()),
        "{when}: VM '{}' is {}",
        row.name,
        row.state
    );
}

/// `vmc <id>`, then `@?`: the console keys' help line comes after the
/// VM's scrollback, so what follows it is new output.
fn focus(qemu: &mut Qemu, id: u32) {
    qemu.send_line(&format!("vmc {id}"));
    qemu.expect(&format!("[console: VM {id} '"), STEP_TIMEOUT);
    qemu.send(b"@?");
    qemu.expect("@? this help]", STEP_TIMEOUT);
}

/// `vmc 3` and wait for U-Boot's prompt (from the scrollback or live).
fn to_uboot(qemu: &mut Qemu) {
    qemu.send_line(&format!("vmc {UBOOT}"));
    qemu.expect(&format!("[console: VM {UBOOT} 'uboot'"), STEP_TIMEOUT);
    qemu.expect(UBOOT_PROMPT, UBOOT_TIMEOUT);
}

/// Type a command at U-Boot's prompt; its output up to the next prompt.
fn uboot(qemu: &mut Qemu, command: &str) -> String {
    qemu.send_line(command);
    let output = qemu.expect(UBOOT_PROMPT, STEP_TIMEOUT);
    assert!(
        output.contains(command),
        "U-Boot did not echo {command:?}: {output}"
    );
    output
}

/// `@0` back to the hypervisor's prompt.
fn back_to_ferrovisor(qemu: &mut Qemu) {
    qemu.send(b"@0");
    qemu.expect("[back to ferrovisor]", STEP_TIMEOUT);
    qemu.expect(PROMPT, STEP_TIMEOUT);
}

/// The value of `name = 0x...` in `bdinfo`'s output.
fn bdinfo_value(output: &str, name: &str) -> u64 {
    let line = output
        .lines()
        .find(|l| l.trim_start().starts_with(name))
        .unwrap_or_else(|| panic!("bdinfo has no '{name}': {output}"));
    let hex = line.rsplit("0x").next().unwrap().trim();
    u64::from_str_radix(hex, 16).unwrap_or_else(|_| panic!("not a number: {line}"))
}

// ANCHOR: reset_test
#[test]
fn uboot_boots_to_its_prompt_and_resets_alone() {
    let start = Instant::now();
    let mut qemu = boot("uboot_boots_to_its_prompt_and_resets_alone");
    let ram = vml_row(&mut qemu, UBOOT).mem_mib << 20;

    to_uboot(&mut qemu);
    eprintln!("U-Boot prompt after {:?}", start.elapsed());
    let version = uboot(&mut qemu, "version");
    assert!(version.contains(UBOOT_VERSION), "{version}");

    let bdinfo = uboot(&mut qemu, "bdinfo");
    assert_eq!(bdinfo_value(&bdinfo, "DRAM bank"), 0, "{bdinfo}");
    assert_eq!(bdinfo_value(&bdinfo, "-> start"), 0, "{bdinfo}");
    assert_eq!(bdinfo_value(&bdinfo, "-> size"), ram, "DRAM = the VM's RAM");

    // `reset` arms the PM watchdog; the hypervisor restarts VM 3 alone.
    qemu.send_line("reset");
    qemu.expect("resetting ...", STEP_TIMEOUT);
    qemu.expect(UBOOT_VERSION, UBOOT_TIMEOUT);
    qemu.expect(&format!("DRAM:  {} MiB", ram >> 20), UBOOT_TIMEOUT);
    qemu.expect(UBOOT_PROMPT, UBOOT_TIMEOUT);
    eprintln!("U-Boot back at its prompt after {:?}", start.elapsed());
    back_to_ferrovisor(&mut qemu);

    let dmesg = qemu.run_command("dmesg");
    assert!(
        dmesg.contains("VM 3 'uboot' reset itself through the PM watchdog"),
        "{dmesg}"
    );
    for id in [1, 2, UBOOT] {
        assert_alive(&vml_row(&mut qemu, id), "after U-Boot's reset");
    }

    // echo still echoes.
    focus(&mut qemu, 1);
    qemu.send(b"still here\r");
    qemu.expect("still here\r\n", STEP_TIMEOUT);
    back_to_ferrovisor(&mut qemu);

    // lrtos still prints: a task line after the scrollback.
    focus(&mut qemu, 2);
    let deadline = Instant::now() + STEP_TIMEOUT;
    loop {
        let line = qemu.expect("\r\n", STEP_TIMEOUT);
        if line.contains("12345") || line.contains("abcde") {
            break;
        }
        assert!(Instant::now() < deadline, "lrtos printed no task line");
    }
    back_to_ferrovisor(&mut qemu);
    eprintln!("done after {:?}", start.elapsed());
}
// ANCHOR_END: reset_test

#[test]
fn uboot_commands_work_and_vmtrace_shows_its_mmio() {
    let mut qemu = boot("uboot_commands_work_and_vmtrace_shows_its_mmio");
    to_uboot(&mut qemu);

    let help = uboot(&mut qemu, "help");
    for command in ["bdinfo", "coninfo", "md", "mw", "printenv", "reset"] {
        assert!(
            help.lines().any(|l| l.starts_with(command)),
            "help lists {command}: {help}"
        );
    }
    let env = uboot(&mut qemu, "printenv");
    assert!(env.contains("bootcmd=run distro_bootcmd"), "{env}");
    assert!(env.contains("board_name=3 Model B"), "{env}");
    // The console is the serial port: the framebuffer request failed.
    let coninfo = uboot(&mut qemu, "coninfo");
    assert!(coninfo.contains("serial"), "{coninfo}");
    assert!(!coninfo.contains("vidconsole"), "no display: {coninfo}");
    // RAM through mw/md (U-Boot lives at the top of its RAM; 16 MiB is free).
    uboot(&mut qemu, "mw.l 0x1000000 0x12345678 2");
    let md = uboot(&mut qemu, "md.l 0x1000000 2");
    assert!(md.contains("01000000: 12345678 12345678"), "{md}");

    // vmtrace: U-Boot's `md` of the USB core's GSNPSID register goes
    // through the hypervisor's model, and the trace names it.
    back_to_ferrovisor(&mut qemu);
    let on = qemu.run_command(&format!("vmtrace {UBOOT} on"));
    assert!(on.contains("tracing its MMIO accesses"), "{on}");
    focus(&mut qemu, UBOOT);
    qemu.send_line("md.l 0x3f980040 1");
    qemu.expect(
        "[vmtrace] read  0x3f980040 usb.GSNPSID = 0x4f54280a",
        STEP_TIMEOUT,
    );
    // U-Boot prints the value, each character a traced write of the mini
    // UART's AUX_MU_IO_REG, and then its prompt: '>' (0x3e) is only there.
    // (Keys typed while U-Boot prints are lost: it reads them looking for
    // Ctrl-C.)
    qemu.expect("aux.AUX_MU_IO_REG = 0x61", STEP_TIMEOUT);
    qemu.expect("aux.AUX_MU_IO_REG = 0x3e", STEP_TIMEOUT);
    back_to_ferrovisor(&mut qemu);
    let off = qemu.run_command(&format!("vmtrace {UBOOT} off"));
    assert!(off.contains("MMIO tracing off"), "{off}");

    // Tracing off: the next command prints no trace line.
    focus(&mut qemu, UBOOT);
    qemu.send_line("md.l 0x3f980048 1");
    let md = qemu.expect("3f980048: ", STEP_TIMEOUT);
    let md = md + &qemu.expect(UBOOT_PROMPT, STEP_TIMEOUT);
    assert!(md.contains("3f980048: 228ddd50"), "GHWCFG2: {md}");
    assert!(!md.contains("[vmtrace]"), "tracing is off: {md}");
    back_to_ferrovisor(&mut qemu);

    let bad = qemu.run_command(&format!("vmtrace {UBOOT} maybe"));
    assert!(bad.contains("usage: vmtrace <id> <on|off>"), "{bad}");
    let bad = qemu.run_command("vmtrace 9 on");
    assert!(bad.contains("no VM with id 9"), "{bad}");
}

/// The RNG's control register (BCM2835 RNG, as Linux's bcm2835-rng
/// driver programs it): it keeps what is written.
const RNG_CTRL: u64 = 0x3f10_4000;

/// The count in vmtrace's line after a decoded instruction:
/// `[vmtrace] (decoded from the instruction at pc 0x...; N decoded so far)`.
fn decoded_so_far(text: &str) -> u64 {
    let line = text
        .lines()
        .rev()
        .find(|l| l.contains("decoded so far"))
        .unwrap_or_else(|| panic!("no decoded access traced: {text}"));
    let count = line
        .split("; ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next());
    count
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no count in {line}"))
}

/// U-Boot's `mw`, `md` and `cp` on an emulated device: its loops store and
/// load with writeback, which the syndrome cannot describe (ISV = 0); the
/// hypervisor decodes them, the VM keeps running, and `vmtrace` counts them.
#[test]
fn uboot_mw_md_cp_on_a_device_are_decoded() {
    let mut qemu = boot("uboot_mw_md_cp_on_a_device_are_decoded");
    to_uboot(&mut qemu);
    back_to_ferrovisor(&mut qemu);
    qemu.run_command(&format!("vmtrace {UBOOT} on"));
    focus(&mut qemu, UBOOT);
    qemu.send_line(&format!("mw.l {RNG_CTRL:x} 1"));
    qemu.expect(
        &format!("[vmtrace] write {RNG_CTRL:#x} rng.RNG_CTRL = 0x1"),
        STEP_TIMEOUT,
    );
    let first = qemu.expect("decoded so far)", STEP_TIMEOUT);
    let first = decoded_so_far(&first);
    // Its prompt, traced: '>' (0x3e) is only there.
    qemu.expect("aux.AUX_MU_IO_REG = 0x3e", STEP_TIMEOUT);
    back_to_ferrovisor(&mut qemu);
    qemu.run_command(&format!("vmtrace {UBOOT} off"));
    assert_alive(&vml_row(&mut qemu, UBOOT), "after mw.l on the RNG");

    // md.l reads the value back; cp.l copies it into RAM.
    to_uboot(&mut qemu);
    let md = uboot(&mut qemu, &format!("md.l {RNG_CTRL:x} 1"));
    assert!(md.contains(&format!("{RNG_CTRL:08x}: 00000001")), "{md}");
    uboot(&mut qemu, &format!("mw.l {RNG_CTRL:x} 0"));
    uboot(&mut qemu, &format!("cp.l {RNG_CTRL:x} 1000000 1"));
    let md = uboot(&mut qemu, "md.l 1000000 1");
    assert!(
        md.contains("01000000: 00000000"),
        "cp.l copied RNG_CTRL: {md}"
    );
    uboot(&mut qemu, &format!("mw.l {RNG_CTRL:x} 1"));
    let md = uboot(&mut qemu, &format!("md.l {RNG_CTRL:x} 1"));
    assert!(md.contains(&format!("{RNG_CTRL:08x}: 00000001")), "{md}");

    // The count went on rising while tracing was off.
    back_to_ferrovisor(&mut qemu);
    qemu.run_command(&format!("vmtrace {UBOOT} on"));
    focus(&mut qemu, UBOOT);
    qemu.send_line(&format!("mw.l {RNG_CTRL:x} 0"));
    let second = qemu.expect("decoded so far)", STEP_TIMEOUT);
    let second = decoded_so_far(&second);
    assert!(second > first + 1, "decoded {first}, then {second}");
    qemu.expect("aux.AUX_MU_IO_REG = 0x3e", STEP_TIMEOUT);
    back_to_ferrovisor(&mut qemu);
    qemu.run_command(&format!("vmtrace {UBOOT} off"));
    assert_alive(&vml_row(&mut qemu, UBOOT), "after md.l and cp.l");
}
