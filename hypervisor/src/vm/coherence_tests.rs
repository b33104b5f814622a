//! Host tests of a guest's set/way cache maintenance done by VA
//! (`vm::coherence`), against the fake CPU: the first set/way operation
//! flushes the VM's RAM and starts the watch (HCR_EL2.TVM), the rest of
//! the walk does nothing, turning the caches on or off flushes again and
//! on ends the watch; every trapped virtual memory control lands in the
//! vCPU's EL1 state; a reset flushes the VM's RAM before its image is
//! copied and ends the watch.

extern crate std;

use super::fake_cpu::{Exit, FakeCpu, RamOp};
use super::machine::Hypervisor;
use super::tests::{esr, exit_of, machine, sysreg_iss, EC_SYSREG, ENTRY, POOL, RAM};
use crate::arch::aarch64::vcpu::SCTLR_EL1_RESET;
use crate::arch::aarch64::vm_controls::{SCTLR_C, SCTLR_M};
use std::vec::Vec;

/// The general register the scripted guest writes from.
const RT: u64 = 3;
/// SCTLR_EL1 with the MMU and the data cache on.
const CACHES_ON: u64 = SCTLR_EL1_RESET | SCTLR_M | SCTLR_C;

/// A guest's `DC CISW` (or `ISW`, `CSW`: CRm 14, 6, 10) with operand `x`.
fn set_way(crm: u64, x: u64) -> Exit {
    let mut exit = Exit::sync(esr(EC_SYSREG, sysreg_iss(1, 0, 7, crm, 2, RT, false)), 0);
    exit.regs[0] = Some((RT as usize, x));
    exit
}

/// A guest's `MSR <reg>, x3` for op0 = 3, op1 = 0, CRn, CRm, op2.
fn msr(crn: u64, crm: u64, op2: u64, value: u64) -> Exit {
    let mut exit = Exit::sync(
        esr(EC_SYSREG, sysreg_iss(3, 0, crn, crm, op2, RT, false)),
        0,
    );
    exit.regs[0] = Some((RT as usize, value));
    exit
}

/// `MSR SCTLR_EL1, x3`.
fn sctlr(value: u64) -> Exit {
    msr(1, 0, 0, value)
}

/// Run VM 0 (loaded, as a running VM is) until it takes `exit`, then once
/// more, so the fake records the HCR_EL2 the loop gives it after.
fn run(hyp: &mut Hypervisor, cpu: &mut FakeCpu, exit: Exit) {
    cpu.script.push_back(exit);
    hyp.step(cpu);
    hyp.step(cpu);
}

#[test]
fn set_way_flushes_the_ram_once_and_watches() {
    let (mut hyp, mut cpu) = machine(1);
    hyp.step(&mut cpu);
    assert!(!cpu.watching, "a fresh VM's controls are not watched");
    let before = cpu.ram_ops.len();
    let flushes = cpu.ram_flushes().len();
    let pc = hyp.vms[0].frame.pc;

    run(&mut hyp, &mut cpu, set_way(6, 0));
    assert_eq!(cpu.ram_ops[before..], [RamOp::Flush(POOL, RAM)]);
    assert!(hyp.vms[0].caches.watching);
    assert!(cpu.watching, "HCR_EL2.TVM is set for its next run");
    assert_eq!(hyp.vms[0].frame.pc, pc + 4, "the operation is done");

    // The rest of the walk (a few thousand on U-Boot) costs nothing more.
    for (crm, x) in [(6, 0x40), (10, 0x80), (14, 0x2_0000_0002)] {
        run(&mut hyp, &mut cpu, set_way(crm, x));
    }
    assert_eq!(cpu.ram_flushes().len(), flushes + 1);
    assert_eq!(hyp.vms[0].caches.ram_flushes, 1);
    assert_eq!(hyp.vms[0].frame.pc, pc + 16);
    assert!(cpu.watching);
}

#[test]
fn caches_on_flush_again_and_end_the_watch() {
    let (mut hyp, mut cpu) = machine(1);
    run(&mut hyp, &mut cpu, set_way(6, 0));
    let before = cpu.ram_ops.len();

    // A write that leaves the caches off changes the register only.
    run(&mut hyp, &mut cpu, sctlr(SCTLR_EL1_RESET | SCTLR_C));
    assert_eq!(cpu.el1.sctlr, SCTLR_EL1_RESET | SCTLR_C);
    assert_eq!(cpu.ram_ops.len(), before);
    assert!(cpu.watching);

    // MMU and caches on: RAM flushed once more, the watch over.
    run(&mut hyp, &mut cpu, sctlr(CACHES_ON));
    assert_eq!(cpu.el1.sctlr, CACHES_ON, "the write reached the register");
    assert_eq!(cpu.ram_ops[before..], [RamOp::Flush(POOL, RAM)]);
    assert!(!hyp.vms[0].caches.watching);
    assert!(!cpu.watching, "HCR_EL2.TVM is clear again");
    assert_eq!(hyp.vms[0].caches.ram_flushes, 2);

    // A set/way op with the caches on (U-Boot cleaning before it boots
    // Linux) starts a new watch; turning the caches off then flushes, and
    // the watch goes on until they are on again.
    run(&mut hyp, &mut cpu, set_way(14, 0));
    assert!(cpu.watching);
    run(&mut hyp, &mut cpu, sctlr(SCTLR_EL1_RESET));
    assert_eq!(hyp.vms[0].caches.ram_flushes, 4);
    assert!(cpu.watching, "still watched while its caches are off");
    assert_eq!(cpu.el1.sctlr, SCTLR_EL1_RESET);
}

#[test]
fn every_watched_register_lands_in_the_el1_state() {
    let (mut hyp, mut cpu) = machine(1);
    run(&mut hyp, &mut cpu, set_way(6, 0));
    // TTBR0, TTBR1, TCR, AFSR0, AFSR1, ESR, FAR, MAIR, AMAIR, CONTEXTIDR.
    let writes: [(u64, u64, u64, u64); 10] = [
        (2, 0, 0, 0x1000),
        (2, 0, 1, 0x2000),
        (2, 0, 2, 0x3519),
        (5, 1, 0, 0x51),
        (5, 1, 1, 0x52),
        (5, 2, 0, 0x9600_0045),
        (6, 0, 0, 0xdead_beef),
        (10, 2, 0, 0x44ff),
        (10, 3, 0, 0xa),
        (13, 0, 1, 0x77),
    ];
    let pc = hyp.vms[0].frame.pc;
    for (crn, crm, op2, value) in writes {
        run(&mut hyp, &mut cpu, msr(crn, crm, op2, value));
    }
    assert_eq!(hyp.vms[0].frame.pc, pc + 40, "each write is stepped over");
    let live = cpu.el1;
    let got = [
        live.ttbr0,
        live.ttbr1,
        live.tcr,
        live.afsr0,
        live.afsr1,
        live.esr,
        live.far,
        live.mair,
        live.amair,
        live.contextidr,
    ];
    let want: Vec<u64> = writes.iter().map(|w| w.3).collect();
    assert_eq!(got[..], want[..]);
    assert_eq!(cpu.el1_exception, None, "nothing was undefined");

    // A VM that is not loaded keeps them in its saved state.
    hyp.vms[0].loaded = false;
    exit_of(&mut hyp, &mut cpu, msr(10, 2, 0, 0xff));
    assert_eq!(hyp.vms[0].el1.mair, 0xff);
}

#[test]
fn reset_flushes_the_ram_before_the_image_and_ends_the_watch() {
    let (mut hyp, mut cpu) = machine(1);
    run(&mut hyp, &mut cpu, set_way(6, 0));
    assert!(hyp.vms[0].caches.watching);
    let before = cpu.ram_ops.len();
    hyp.reset_vm(&mut cpu, 0);
    assert_eq!(
        cpu.ram_ops[before..],
        [
            RamOp::Flush(POOL, RAM),
            RamOp::Copy(POOL + ENTRY, 4),
            RamOp::Icache
        ],
        "flushed by VA over the VM's RAM, then copied, then its code dropped"
    );
    assert!(!hyp.vms[0].caches.watching);
    hyp.step(&mut cpu);
    assert!(!cpu.watching);
}
