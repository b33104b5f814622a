//! System tests of the Linux guest: Debian's stock arm64 kernel with its own
//! Raspberry Pi 3 device tree and a BusyBox initramfs, VM 4 of the demo list.
//! The hypervisor is its firmware: it loads Image, device tree and initrd,
//! edits the tree and starts the kernel per the arm64 boot protocol. The
//! tests type at the BusyBox shell through the console multiplexer, check
//! the kernel saw the virtual board as a real Pi 3 (its timer and mini UART
//! interrupts, no oops), and that `reboot` and `poweroff` act on this VM only.

use ferrovisor_harness::linux::{wait_for_init, Shell, LINUX_BOOT_TIMEOUT};
use ferrovisor_harness::{Qemu, BOOT_TIMEOUT, PROMPT, STEP_TIMEOUT};

/// Linux's VM id in guests/vms.list.
const LINUX: u32 = 4;

/// Boots the demo, switches to VM 4 and waits for its init line.
fn boot_linux(test_name: &str) -> (Qemu, String) {
    let mut qemu = Qemu::boot_default(test_name);
    qemu.wait_for_prompt(BOOT_TIMEOUT);
    qemu.send_line(&format!("vmc {LINUX}"));
    qemu.expect(&format!("VM {LINUX} 'linux'"), STEP_TIMEOUT);
    let init = wait_for_init(&mut qemu, LINUX_BOOT_TIMEOUT);
    (qemu, init)
}

/// Leaves the VM's console for the hypervisor prompt.
fn back_to_ferrovisor(qemu: &mut Qemu) {
    qemu.send(b"@0");
    qemu.expect("[back to ferrovisor]", STEP_TIMEOUT);
    qemu.expect(PROMPT, STEP_TIMEOUT);
}

/// VM `id`'s state in `vml`.
fn vm_state(qemu: &mut Qemu, id: u32) -> String {
    let output = qemu.run_command("vml");
    output
        .lines()
        .find_map(|line| {
            let words: Vec<&str> = line.split_whitespace().collect();
            (words.first()?.parse::<u32>().ok()? == id).then(|| words[2].to_string())
        })
        .unwrap_or_else(|| panic!("vml has no VM {id}: {output}"))
}

#[test]
fn linux_boots_to_a_shell_in_vm_4_beside_the_others() {
    let (mut qemu, init) = boot_linux("linux_boots_to_a_shell_in_vm_4_beside_the_others");
    assert!(init.ends_with(" up, 1 CPU"), "one vCPU: {init:?}");
    let mut shell = Shell::new();
    let uname = shell.run(&mut qemu, "uname -a");
    assert!(
        uname.starts_with("Linux ") && uname.contains(" aarch64"),
        "uname -a: {uname:?}"
    );
    assert_eq!(shell.run(&mut qemu, "echo $((6*7))"), "42\n");
    let interrupts = shell.run(&mut qemu, "cat /proc/interrupts");
    let line_with = |name: &str| {
        interrupts
            .lines()
            .find(|l| l.contains(name))
            .map(str::to_owned)
    };
    let timer =
        line_with("arch_timer").unwrap_or_else(|| panic!("no arch_timer line: {interrupts}"));
    assert!(
        timer
            .split_whitespace()
            .nth(1)
            .and_then(|n| n.parse::<u64>().ok())
            .is_some_and(|n| n > 0),
        "the arch timer has interrupted: {timer}"
    );
    assert!(line_with("ttyS1").is_some(), "no ttyS1 line: {interrupts}");
    assert_eq!(
        shell.run(&mut qemu, "dmesg | grep -ci -e oops -e 'bug:'"),
        "0\n",
        "the kernel log has an oops or a BUG"
    );
    assert_eq!(
        shell.run(&mut qemu, "dmesg | grep -c \"couldn't lock PLL\""),
        "0\n",
        "the clock manager's PLLs lock"
    );

    // The other VMs still answer.
    back_to_ferrovisor(&mut qemu);
    qemu.send_line("vmc 1");
    qemu.expect("VM 1 'echo'", STEP_TIMEOUT);
    qemu.send_line("still here");
    qemu.expect("still here\r\n", STEP_TIMEOUT);
    back_to_ferrovisor(&mut qemu);
    qemu.send_line("vmc 2");
    qemu.expect("VM 2 'lrtos'", STEP_TIMEOUT);
    qemu.expect("12345", STEP_TIMEOUT);
    qemu.expect("abcde", STEP_TIMEOUT);
    back_to_ferrovisor(&mut qemu);
    // And Linux's shell still answers after the visits.
    qemu.send_line(&format!("vmc {LINUX}"));
    qemu.expect(&format!("VM {LINUX} 'linux'"), STEP_TIMEOUT);
    assert_eq!(shell.run(&mut qemu, "echo $((6*7))"), "42\n");
}

#[test]
fn linux_reboot_and_poweroff_act_on_its_vm_only() {
    let (mut qemu, _) = boot_linux("linux_reboot_and_poweroff_act_on_its_vm_only");
    let mut shell = Shell::new();
    assert_eq!(shell.run(&mut qemu, "echo $((6*7))"), "42\n");
    // reboot: the watchdog resets this VM, which boots again.
    qemu.expect(" # ", STEP_TIMEOUT);
    qemu.send_line("reboot");
    wait_for_init(&mut qemu, LINUX_BOOT_TIMEOUT);
    let mut shell = Shell::new();
    assert_eq!(shell.run(&mut qemu, "echo $((6*7))"), "42\n");
    // poweroff: PM_RSTS partition 63, then the watchdog: the VM stays off.
    qemu.expect(" # ", STEP_TIMEOUT);
    qemu.send_line("poweroff");
    qemu.expect("reboot: Power down", LINUX_BOOT_TIMEOUT);
    // The hypervisor says so when the watchdog fires (10 ticks, 150 us,
    // after the kernel's last words).
    qemu.expect(
        &format!("VM {LINUX} 'linux' powered itself off (PM watchdog reset to partition 63)"),
        STEP_TIMEOUT,
    );
    back_to_ferrovisor(&mut qemu);
    assert_eq!(
        vm_state(&mut qemu, LINUX),
        "stopped",
        "poweroff leaves VM {LINUX} off"
    );
    assert_ne!(vm_state(&mut qemu, 1), "stopped", "echo keeps running");
    // vmreset brings it back.
    qemu.run_command(&format!("vmreset {LINUX}"));
    qemu.send_line(&format!("vmc {LINUX}"));
    qemu.expect(&format!("VM {LINUX} 'linux'"), STEP_TIMEOUT);
    wait_for_init(&mut qemu, LINUX_BOOT_TIMEOUT);
    let mut shell = Shell::new();
    assert_eq!(shell.run(&mut qemu, "echo $((6*7))"), "42\n");
}
