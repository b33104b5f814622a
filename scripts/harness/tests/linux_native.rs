//! System test of the Linux guest running natively: Debian's kernel, its
//! device tree and the BusyBox initramfs booted by QEMU `raspi3b` itself
//! (`-kernel Image -dtb ... -initrd ... -append ...`, from
//! `guests/linux/native.args`), without ferrovisor. It pins down what the
//! guest must also do inside a VM (tests/linux.rs): reach the init line on
//! one CPU and answer at its shell.

use ferrovisor_harness::linux::{
    linux_image, native_args, wait_for_init, Shell, LINUX_BOOT_TIMEOUT,
};
use ferrovisor_harness::Qemu;

#[test]
fn linux_native_boots_to_a_shell() {
    let mut qemu = Qemu::boot_with(
        &linux_image(),
        &native_args(),
        "linux_native_boots_to_a_shell",
    );
    let init = wait_for_init(&mut qemu, LINUX_BOOT_TIMEOUT);
    assert!(
        init.ends_with(" up, 1 CPU"),
        "the native boot has maxcpus=1, as the VM has one vCPU: {init:?}"
    );
    let mut shell = Shell::new();
    let uname = shell.run(&mut qemu, "uname -a");
    assert!(
        uname.starts_with("Linux ") && uname.contains(" aarch64"),
        "uname -a: {uname:?}"
    );
    let release = init
        .trim_start_matches("ferrovisor-linux: Linux ")
        .split(' ')
        .next()
        .unwrap_or_default();
    assert!(
        uname.contains(release),
        "uname -a {uname:?} names the release {release:?}"
    );
    assert_eq!(shell.run(&mut qemu, "echo $((6*7))"), "42\n");
}
