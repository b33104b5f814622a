//! The Linux guest's boot time: from starting QEMU to the init line
//! (`ferrovisor-linux: Linux ... up`), natively (the kernel, its device tree
//! and the initramfs booted by QEMU with `maxcpus=1`) and as VM 4 of the
//! default list beside echo, lrtos and U-Boot, and, given the image of
//! `guests/linux-alone.list`, as the only VM, on core 1 (nothing else busy
//! on its core or in QEMU). The boots alternate, native then VM (then
//! alone), so all see the same load on the host.

use std::path::Path;
use std::time::Instant;

use ferrovisor_harness::linux::{linux_image, native_args, wait_for_init, LINUX_BOOT_TIMEOUT};
use ferrovisor_harness::{Qemu, BOOT_TIMEOUT, STEP_TIMEOUT};

/// Linux's VM id in the default list.
const LINUX_VM: u32 = 4;
/// Its VM id in `guests/linux-alone.list`.
const LINUX_ALONE_VM: u32 = 1;

/// Seconds to the init line, per boot.
pub struct LinuxBoot {
    /// As VM 4, one per boot.
    pub vm_s: Vec<f64>,
    /// Natively, one per boot.
    pub native_s: Vec<f64>,
    /// As the only VM, one per boot, if that image was given.
    pub alone_s: Vec<f64>,
}

/// Seconds from starting QEMU with ferrovisor's `image` to Linux's init
/// line, switching the console to VM `id` at the prompt.
fn vm_boot(image: &Path, id: u32, name: &str) -> f64 {
    let start = Instant::now();
    let mut qemu = Qemu::boot(image, name);
    qemu.wait_for_prompt(BOOT_TIMEOUT);
    // Switch at once: Linux's output then arrives live, not replayed.
    qemu.send_line(&format!("vmc {id}"));
    qemu.expect(&format!("VM {id} 'linux'"), STEP_TIMEOUT);
    wait_for_init(&mut qemu, LINUX_BOOT_TIMEOUT);
    start.elapsed().as_secs_f64()
}

// ANCHOR: linux_boot
/// Boot Linux `pairs` times natively, `pairs` times in the VM of `image`
/// and, if given, `pairs` times as the only VM of `alone`.
pub fn linux_boot(image: &Path, alone: Option<&Path>, pairs: usize) -> LinuxBoot {
    let mut result = LinuxBoot {
        vm_s: Vec::new(),
        native_s: Vec::new(),
        alone_s: Vec::new(),
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

        let name = format!("bench_linux_vm_{i}");
        result.vm_s.push(vm_boot(image, LINUX_VM, &name));
        if let Some(alone) = alone {
            let name = format!("bench_linux_alone_{i}");
            result.alone_s.push(vm_boot(alone, LINUX_ALONE_VM, &name));
        }
    }
    result
}
// ANCHOR_END: linux_boot
