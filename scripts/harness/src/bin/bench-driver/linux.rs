//! The Linux guest's boot time: from starting QEMU to the init line
//! (`ferrovisor-linux: Linux ... up`), natively (the kernel, its device tree
//! and the initramfs booted by QEMU with `maxcpus=1`) and as VM 4 of the
//! default list beside echo, lrtos and U-Boot. The boots alternate, native
//! then VM, so both see the same load on the host.

use std::path::Path;
use std::time::Instant;

use ferrovisor_harness::linux::{linux_image, native_args, wait_for_init, LINUX_BOOT_TIMEOUT};
use ferrovisor_harness::{Qemu, BOOT_TIMEOUT, STEP_TIMEOUT};

/// Linux's VM id in the default list.
const LINUX_VM: u32 = 4;

/// Seconds to the init line, per boot.
pub struct LinuxBoot {
    /// As VM 4, one per boot.
    pub vm_s: Vec<f64>,
    /// Natively, one per boot.
    pub native_s: Vec<f64>,
}

// ANCHOR: linux_boot
/// Boot Linux `pairs` times natively and `pairs` times in the VM of `image`.
pub fn linux_boot(image: &Path, pairs: usize) -> LinuxBoot {
    let mut result = LinuxBoot {
        vm_s: Vec::new(),
        native_s: Vec::new(),
    };
    for i in 0..pairs {
        let start = Instant::now();
        let mut qemu = Qemu::boot_with(
            &linux_image(),
            &native_args(),
            &format!("bench_linux_native_{i}"),
        );
        wait_for_init(&mut qemu, LINUX_BOOT_TIMEOUT);
        result.native_s.push(start.elapsed().as_secs_f64());
        drop(qemu);

        let start = Instant::now();
        let mut qemu = Qemu::boot(image, &format!("bench_linux_vm_{i}"));
        qemu.wait_for_prompt(BOOT_TIMEOUT);
        // Switch at once: Linux's output then arrives live, not replayed.
        qemu.send_line(&format!("vmc {LINUX_VM}"));
        qemu.expect(&format!("VM {LINUX_VM} 'linux'"), STEP_TIMEOUT);
        wait_for_init(&mut qemu, LINUX_BOOT_TIMEOUT);
        result.vm_s.push(start.elapsed().as_secs_f64());
    }
    result
}
// ANCHOR_END: linux_boot
