//! A guest's cache maintenance by set/way, made safe on a board where the
//! caches are shared: the VM's RAM is cleaned and invalidated by address
//! instead, as KVM does it.
//!
//! `DC ISW`, `DC CSW` and `DC CISW` name a line of the cache by where it
//! sits (level, set, way), not by address. On real hardware they reach only
//! the local core's L1 and the shared L2, race with the other cores (a line
//! may move from one cache to another between two operations of a walk),
//! and the lines they name hold anyone's data: the hypervisor's, other
//! VMs'. Replaying them one by one on the physical cache is therefore both
//! wrong and slow (a U-Boot cache walk is some 8,700 of them). What a guest
//! wants from a walk is only ever "what my caches held is in RAM now", and
//! it walks at two moments: around turning its caches on or off.
//!
//! So HCR_EL2.TSW traps the walk, and on its first operation the
//! hypervisor cleans and invalidates the VM's whole RAM by VA (which every
//! core's cache obeys) and starts watching the guest's SCTLR_EL1 by
//! trapping its writes to the virtual memory controls (HCR_EL2.TVM; see
//! `arch::aarch64::vm_controls`). The rest of the walk is ignored: RAM is
//! already clean. When the guest then turns its caches on or off, the VM's
//! RAM is flushed again, so whatever it did with its caches in between (a
//! guest with its caches off writes RAM under lines its caches on may
//! still hold; one turning them off leaves dirty lines behind) is resolved
//! in RAM, and once its caches are on, the watch ends until its next
//! set/way operation.

use super::cpu::Cpu;
use super::guest::Vm;
use crate::arch::aarch64::vm_controls::{caches_on, VmControl};

// ANCHOR: set_way
/// A trapped `DC ISW`/`CSW`/`CISW`: the first since the watch ended
/// flushes the VM's RAM by VA and starts the watch; the others are
/// already done.
pub fn set_way(vm: &mut Vm, cpu: &mut impl Cpu) {
    if vm.caches.watching {
        return;
    }
    flush_ram(vm, cpu);
    vm.caches.watching = true;
}

/// A trapped write of `value` to one of the virtual memory controls:
/// carried out, and a change of SCTLR_EL1's M or C that turns the guest's
/// caches on or off flushes its RAM again; once they are on, the watch ends.
pub fn vm_control_write(vm: &mut Vm, cpu: &mut impl Cpu, reg: VmControl, value: u64) {
    let was_on = reg == VmControl::Sctlr && caches_on(sctlr(vm, cpu));
    if vm.loaded {
        cpu.write_vm_control(reg, value);
    } else {
        *reg.saved(&mut vm.el1) = value;
    }
    if reg != VmControl::Sctlr {
        return;
    }
    let now_on = caches_on(value);
    if now_on != was_on {
        flush_ram(vm, cpu);
    }
    if now_on {
        vm.caches.watching = false;
    }
}
// ANCHOR_END: set_way

/// The VM's SCTLR_EL1: live if it is loaded.
fn sctlr(vm: &Vm, cpu: &impl Cpu) -> u64 {
    if vm.loaded {
        cpu.read_sctlr()
    } else {
        vm.el1.sctlr
    }
}

/// Clean and invalidate the VM's whole RAM by VA.
fn flush_ram(vm: &mut Vm, cpu: &mut impl Cpu) {
    let config = vm.config.expect("only configured VMs run");
    // SAFETY: a configured VM that runs has its RAM on the board, mapped
    // by the hypervisor (creation checked it).
    unsafe { cpu.flush_vm_ram(config.host_base, config.ram) };
    vm.caches.ram_flushes += 1;
}
