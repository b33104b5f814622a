//! Host tests of the run loop and exit handling, against the fake CPU:
//! round robin and slices, input waking the focused VM, WFI sleep and
//! wake, the dispatch of every exit the handlers know, PSCI, and the reset
//! that reloads a VM.

extern crate std;

use super::config::{Blob, VmConfig};
use super::exits::{self, Next};
use super::fake_cpu::{Exit, FakeCpu, RamOp, FREQ};
use super::guest::Consoles;
use super::machine::{Focus, Hypervisor, SLICE_MICROS};
use super::state::{Fault, VmState, Why};
use crate::emu::AccessSize;
use std::boxed::Box;
use std::vec::Vec;

/// ESR_EL2 fields: EC at [31:26], IL at 25.
const EC_SHIFT: u64 = 26;
const IL: u64 = 1 << 25;
const EC_UNKNOWN: u64 = 0x00;
pub(super) const EC_WFX: u64 = 0x01;
pub(super) const EC_HVC64: u64 = 0x16;
const EC_SMC64: u64 = 0x17;
pub(super) const EC_SYSREG: u64 = 0x18;
const EC_IABT_LOWER: u64 = 0x20;
const EC_DABT_LOWER: u64 = 0x24;
/// The FIQ vector from a lower EL in AArch64.
const VECTOR_LOWER_FIQ: u64 = 10;

/// Each test VM's RAM, and where the first one sits in host memory.
pub(super) const RAM: u64 = 1 << 20;
pub(super) const POOL: u64 = 0x1000_0000;
pub(super) const ENTRY: u64 = 0x8_0000;
const IMAGE: &[u8] = &[0x1f, 0x20, 0x03, 0xd5];
pub(super) const SLICE: u64 = FREQ * SLICE_MICROS / 1_000_000;

/// PSCI function ids and answers (Arm DEN0022).
pub(super) const PSCI_VERSION: u64 = 0x8400_0000;
const PSCI_CPU_ON_64: u64 = 0xc400_0003;
pub(super) const PSCI_SYSTEM_OFF: u64 = 0x8400_0008;
const PSCI_SYSTEM_RESET: u64 = 0x8400_0009;
const PSCI_FEATURES: u64 = 0x8400_000a;
const NOT_SUPPORTED: u64 = -1i64 as u64;
const ALREADY_ON: u64 = -4i64 as u64;

/// Devices of the virtual board the tests program.
pub(super) const LOCAL_TIMER_CONTROL: u64 = 0x4000_0040;
pub(super) const CNTVIRQ_IRQ: u64 = 1 << 3;
const ST_C1: u64 = 0x3f00_3010;
pub(super) const ENABLE_IRQS_1: u64 = 0x3f00_b210;
const ST_MATCH_1: u64 = 1 << 1;
pub(super) const AUX_MU_LSR: u64 = 0x3f21_5054;
/// CNTV_CTL_EL0.ENABLE.
pub(super) const CNTV_ENABLE: u64 = 1;

fn config(index: usize, blobs: &'static [Blob], boot_x0: u64) -> VmConfig {
    VmConfig {
        name: ["one", "two", "three", "four"][index],
        image: IMAGE,
        load: ENTRY,
        entry: ENTRY,
        ram: RAM,
        cpu: 0,
        host_base: POOL + index as u64 * RAM,
        blobs,
        boot_x0,
        weight: 1,
    }
}

/// `n` VMs created on a fake CPU whose counter stands at 1000.
pub(super) fn machine(n: usize) -> (Hypervisor, FakeCpu) {
    let configs: Vec<VmConfig> = (0..n).map(|i| config(i, &[], 0)).collect();
    machine_with(configs)
}

pub(super) fn machine_with(configs: Vec<VmConfig>) -> (Hypervisor, FakeCpu) {
    let consoles: &'static Consoles = Box::leak(Box::new(Consoles::new()));
    let configs: &'static [VmConfig] = Box::leak(configs.into_boxed_slice());
    let mut hyp = Hypervisor::new(consoles);
    let mut cpu = FakeCpu::at(1000);
    hyp.create_vms(&mut cpu, configs, u64::MAX);
    (hyp, cpu)
}

pub(super) fn esr(ec: u64, iss: u64) -> u64 {
    (ec << EC_SHIFT) | IL | iss
}

/// Write a register of VM `index`'s virtual board, as its guest would.
pub(super) fn poke(hyp: &mut Hypervisor, cpu: &mut FakeCpu, index: usize, ipa: u64, value: u64) {
    let seat = hyp.seat(index);
    let (board, mut env) = hyp.vms[index].env(seat, cpu);
    board
        .write(ipa, AccessSize::Word, value, &mut env)
        .expect("a device");
}

/// Handle one scripted exit of VM 0 directly, as the loop would.
pub(super) fn exit_of(hyp: &mut Hypervisor, cpu: &mut FakeCpu, exit: Exit) -> Next {
    let vm = &mut hyp.vms[0];
    vm.frame.esr = exit.esr;
    vm.frame.far = exit.far;
    vm.frame.hpfar = exit.hpfar;
    for (reg, value) in exit.regs.into_iter().flatten() {
        vm.frame.x[reg] = value;
    }
    let seat = hyp.seat(0);
    exits::handle(&mut hyp.vms[0], seat, cpu, exit.vector)
}

pub(super) fn faulted(next: Next) -> Fault {
    match next {
        Next::Stop(Why::Faulted(fault)) => fault,
        other => panic!("not a fault: {other:?}"),
    }
}

// ---- scheduling ----

#[test]
fn runs_the_vms_round_robin_when_each_uses_its_slice() {
    let (mut hyp, mut cpu) = machine(3);
    for _ in 0..6 {
        cpu.script.push_back(Exit::irq(SLICE + 1));
    }
    for _ in 0..6 {
        hyp.step(&mut cpu);
    }
    assert_eq!(cpu.runs, [0, 1, 2, 0, 1, 2]);
    assert_eq!(cpu.interrupts_served, 6, "every IRQ exit is served");
}

#[test]
fn a_vm_keeps_the_cpu_until_its_slice_ends() {
    let (mut hyp, mut cpu) = machine(2);
    // Four exits of a third of a slice each: the first VM runs until the
    // slice is used up, then the other gets the CPU.
    for _ in 0..5 {
        cpu.script.push_back(Exit::irq(SLICE / 3 + 1));
    }
    for _ in 0..5 {
        hyp.step(&mut cpu);
    }
    assert_eq!(cpu.runs, [0, 0, 0, 1, 1]);
}

#[test]
fn the_slice_deadline_is_armed_only_when_another_vm_wants_the_cpu() {
    let (mut hyp, mut cpu) = machine(2);
    hyp.step(&mut cpu);
    let start = 1000;
    assert_eq!(
        cpu.hyp_deadline,
        Some(start + SLICE),
        "contended: the slice"
    );
    hyp.stop_vm(1, Why::StoppedByUser);
    cpu.script.push_back(Exit::irq(SLICE + 1));
    hyp.step(&mut cpu);
    let now = start + 1000;
    let backstop = FREQ * super::machine::IDLE_POLL_MICROS / 1_000_000;
    assert_eq!(
        cpu.hyp_deadline,
        Some(now + backstop),
        "alone: the backstop"
    );
}

// ANCHOR: focus_test
#[test]
fn the_focused_vm_runs_at_once_when_input_arrives() {
    let (mut hyp, mut cpu) = machine(3);
    hyp.step(&mut cpu);
    assert_eq!(cpu.runs, [0]);
    // VM 0's slice has most of its time left, but VM 2 has the focus and
    // a key arrives for it.
    hyp.set_focus(Focus::Vm(2));
    assert!(hyp.give_input(2, b'x'));
    hyp.step(&mut cpu);
    assert_eq!(cpu.runs, [0, 2]);
    assert_eq!(hyp.consoles.inputs[2].pop(), Some(b'x'));
}
// ANCHOR_END: focus_test

#[test]
fn input_to_a_full_queue_is_counted_as_dropped() {
    let (mut hyp, _cpu) = machine(1);
    let mut accepted = 0;
    while hyp.give_input(0, b'a') {
        accepted += 1;
    }
    assert!(accepted > 0);
    assert!(!hyp.give_input(0, b'b'));
    assert_eq!(
        hyp.consoles.dropped[0].load(core::sync::atomic::Ordering::Relaxed),
        2
    );
}

#[test]
fn a_focused_vm_writes_to_the_console_and_its_scrollback() {
    let (mut hyp, mut cpu) = machine(2);
    hyp.set_focus(Focus::Vm(1));
    for (index, byte) in [(0, b'a'), (1, b'b')] {
        let seat = hyp.seat(index);
        let (_, mut env) = hyp.vms[index].env(seat, &mut cpu);
        crate::emu::VmEnv::console_write(&mut env, byte);
    }
    assert_eq!(cpu.console, b"b", "only the focused VM reaches the wire");
    let scrollback = hyp.consoles.scrollbacks[0].lock();
    let (older, newer) = scrollback.as_slices();
    assert_eq!([older, newer].concat(), b"a", "every VM keeps its output");
}

// ---- WFI: sleep and wake ----

#[test]
fn wfi_sleeps_until_the_virtual_timer_fires() {
    let (mut hyp, mut cpu) = machine(1);
    poke(&mut hyp, &mut cpu, 0, LOCAL_TIMER_CONTROL, CNTVIRQ_IRQ);
    // The guest arms its timer 5000 ticks ahead (virtual time), then WFI.
    let cntvoff = hyp.vms[0].cntvoff;
    let cval = cpu.ticks.get() - cntvoff + 5000;
    let mut wfi = Exit::sync(esr(EC_WFX, 0), 100);
    wfi.vtimer = Some((CNTV_ENABLE, cval));
    cpu.script.push_back(wfi);
    hyp.step(&mut cpu);
    assert_eq!(hyp.vms[0].state, VmState::Sleeping);
    assert_eq!(hyp.vms[0].frame.pc, ENTRY + 4, "WFI completes");

    // Nothing can run: the core sleeps until exactly the timer's deadline.
    hyp.step(&mut cpu);
    assert_eq!(cpu.sleeps, 1);
    assert_eq!(cpu.hyp_deadline, Some(cval + cntvoff));
    assert_eq!(cpu.runs.len(), 1, "no run while it sleeps");
    // Then it wakes and runs.
    hyp.step(&mut cpu);
    assert_eq!(cpu.runs.len(), 2);
}

#[test]
fn wfi_sleeps_until_a_device_raises_its_interrupt() {
    let (mut hyp, mut cpu) = machine(1);
    // System timer compare 1, 2000 us ahead, with its interrupt enabled.
    poke(&mut hyp, &mut cpu, 0, ENABLE_IRQS_1, ST_MATCH_1);
    poke(&mut hyp, &mut cpu, 0, ST_C1, 2000);
    cpu.script.push_back(Exit::sync(esr(EC_WFX, 0), 100));
    hyp.step(&mut cpu);
    assert_eq!(hyp.vms[0].state, VmState::Sleeping);
    hyp.step(&mut cpu);
    let due = hyp.vms[0].cntvoff + 2000 * FREQ / 1_000_000;
    assert_eq!(cpu.hyp_deadline, Some(due), "woken when compare 1 matches");
    hyp.step(&mut cpu);
    assert_eq!(hyp.vms[0].state, VmState::Runnable);
    assert_eq!(cpu.runs.len(), 2);
}

#[test]
fn wfi_with_nothing_armed_sleeps_on() {
    let (mut hyp, mut cpu) = machine(1);
    cpu.script.push_back(Exit::sync(esr(EC_WFX, 0), 100));
    hyp.step(&mut cpu);
    for _ in 0..3 {
        hyp.step(&mut cpu);
    }
    assert_eq!(cpu.sleeps, 3, "the idle backstop wakes the core");
    assert_eq!(hyp.vms[0].state, VmState::Sleeping, "but not the VM");
    assert_eq!(cpu.runs.len(), 1);
}

#[test]
fn wfi_with_an_interrupt_pending_returns_at_once() {
    let (mut hyp, mut cpu) = machine(1);
    poke(&mut hyp, &mut cpu, 0, LOCAL_TIMER_CONTROL, CNTVIRQ_IRQ);
    // The vCPU is loaded with its timer already expired.
    hyp.step(&mut cpu);
    cpu.vtimer = (CNTV_ENABLE, 0);
    let next = exit_of(&mut hyp, &mut cpu, Exit::sync(esr(EC_WFX, 0), 0));
    assert_eq!(next, Next::Resume);
}

// ---- exit dispatch ----

#[test]
fn wfe_ends_the_slice() {
    let (mut hyp, mut cpu) = machine(2);
    cpu.script.push_back(Exit::sync(esr(EC_WFX, 1), 10));
    hyp.step(&mut cpu);
    hyp.step(&mut cpu);
    assert_eq!(cpu.runs, [0, 1], "the other VM runs before the slice ends");
    assert_eq!(hyp.vms[0].frame.pc, ENTRY + 4);
    assert_eq!(hyp.vms[0].exits.wfx, 1);
}

#[test]
fn an_irq_exit_serves_interrupts_and_an_fiq_stops_the_vm() {
    let (mut hyp, mut cpu) = machine(1);
    assert_eq!(
        exit_of(&mut hyp, &mut cpu, Exit::irq(0)),
        Next::ServeInterrupts
    );
    assert_eq!(hyp.vms[0].exits.irq, 1);
    let fiq = Exit {
        vector: VECTOR_LOWER_FIQ,
        ..Exit::default()
    };
    let fault = faulted(exit_of(&mut hyp, &mut cpu, fiq));
    assert_eq!(
        fault.what,
        "an FIQ, SError or AArch32 exception reached EL2"
    );
}

#[test]
fn hvc_answers_in_x0_and_smc_also_steps_over_the_instruction() {
    let (mut hyp, mut cpu) = machine(1);
    let mut hvc = Exit::sync(esr(EC_HVC64, 0), 0);
    hvc.regs[0] = Some((0, PSCI_VERSION));
    assert_eq!(exit_of(&mut hyp, &mut cpu, hvc), Next::Resume);
    assert_eq!(hyp.vms[0].frame.x[0], 0x1_0001);
    assert_eq!(hyp.vms[0].frame.pc, ENTRY, "ELR is already past an HVC");
    let mut smc = Exit::sync(esr(EC_SMC64, 0), 0);
    smc.regs[0] = Some((0, PSCI_VERSION));
    exit_of(&mut hyp, &mut cpu, smc);
    assert_eq!(hyp.vms[0].frame.x[0], 0x1_0001);
    assert_eq!(hyp.vms[0].frame.pc, ENTRY + 4);
    assert_eq!(hyp.vms[0].exits.hvc, 2);
}

/// ISS of a trapped MRS/MSR (ESR EC 0x18): Op0, Op2, Op1, CRn, Rt, CRm, dir.
pub(super) fn sysreg_iss(
    op0: u64,
    op1: u64,
    crn: u64,
    crm: u64,
    op2: u64,
    rt: u64,
    read: bool,
) -> u64 {
    (op0 << 20) | (op2 << 17) | (op1 << 14) | (crn << 10) | (rt << 5) | (crm << 1) | read as u64
}

#[test]
fn trapped_system_registers_are_emulated() {
    let (mut hyp, mut cpu) = machine(1);
    // CNTPCT_EL0 reads as the VM's own counter.
    let cntpct = sysreg_iss(3, 3, 14, 0, 1, 5, true);
    cpu.advance(700);
    let next = exit_of(&mut hyp, &mut cpu, Exit::sync(esr(EC_SYSREG, cntpct), 0));
    assert_eq!(next, Next::Resume);
    assert_eq!(hyp.vms[0].frame.x[5], cpu.ticks.get() - hyp.vms[0].cntvoff);
    assert_eq!(hyp.vms[0].frame.pc, ENTRY + 4);
    // An implementation defined register of the A53 (CPUACTLR_EL1) reads
    // as zero.
    hyp.vms[0].frame.x[6] = 99;
    let impdef = sysreg_iss(3, 1, 15, 2, 0, 6, true);
    exit_of(&mut hyp, &mut cpu, Exit::sync(esr(EC_SYSREG, impdef), 0));
    assert_eq!(hyp.vms[0].frame.x[6], 0);
    // DC CISW is not replayed: the VM's RAM is flushed by VA (the
    // protocol is tested in `coherence_tests`).
    let flushes = cpu.ram_flushes().len();
    let mut cisw = Exit::sync(esr(EC_SYSREG, sysreg_iss(1, 0, 7, 14, 2, 2, false)), 0);
    cisw.regs[0] = Some((2, 0x42));
    exit_of(&mut hyp, &mut cpu, cisw);
    assert_eq!(cpu.ram_flushes()[flushes..], [(POOL, RAM)]);
    assert_eq!(hyp.vms[0].exits.sysreg, 3);
}

/// ISS of a data abort with a valid syndrome: ISV, SAS, SRT, WnR, DFSC.
pub(super) fn dabt_iss(size_log2: u64, rt: u64, write: bool, dfsc: u64) -> u64 {
    (1 << 24) | (size_log2 << 22) | (rt << 16) | ((write as u64) << 6) | dfsc
}
/// A stage-2 translation fault, level 1.
pub(super) const DFSC_TRANSLATION_L1: u64 = 0b00_0101;

pub(super) fn data_abort(ipa: u64, iss: u64) -> Exit {
    let mut exit = Exit::sync(esr(EC_DABT_LOWER, iss), 0);
    exit.hpfar = (ipa >> 12) << 4;
    exit.far = ipa & 0xfff;
    exit
}

#[test]
fn a_data_abort_on_a_device_is_emulated() {
    let (mut hyp, mut cpu) = machine(1);
    hyp.vms[0].frame.x[3] = 0xdead;
    let load = data_abort(AUX_MU_LSR, dabt_iss(2, 3, false, DFSC_TRANSLATION_L1));
    assert_eq!(exit_of(&mut hyp, &mut cpu, load), Next::Resume);
    // An idle mini UART: transmitter empty and idle (bits 5 and 6).
    assert_eq!(hyp.vms[0].frame.x[3], 0x60);
    assert_eq!(hyp.vms[0].frame.pc, ENTRY + 4);
    assert_eq!(hyp.vms[0].exits.mmio, 1);
}

#[test]
fn a_data_abort_outside_ram_and_devices_stops_the_vm() {
    let (mut hyp, mut cpu) = machine(1);
    let ipa = 0x2000_0040;
    let store = data_abort(ipa, dabt_iss(2, 1, true, DFSC_TRANSLATION_L1));
    let fault = faulted(exit_of(&mut hyp, &mut cpu, store));
    assert_eq!(fault.what, "store outside the VM's RAM and devices");
    assert_eq!((fault.address, fault.pc, fault.ec), (ipa, ENTRY, 0x24));
    // ISV = 0, and the instruction at the PC (the image's NOP) is not a
    // load or store: nothing to emulate.
    let pair = data_abort(AUX_MU_LSR, DFSC_TRANSLATION_L1);
    let fault = faulted(exit_of(&mut hyp, &mut cpu, pair));
    assert_eq!(
        fault.what,
        "MMIO access by an instruction that is not a load or store"
    );
}

#[test]
fn an_instruction_abort_stops_the_vm() {
    let (mut hyp, mut cpu) = machine(1);
    let mut fetch = Exit::sync(esr(EC_IABT_LOWER, DFSC_TRANSLATION_L1), 0);
    fetch.hpfar = (0x3000_0000 >> 12) << 4;
    let fault = faulted(exit_of(&mut hyp, &mut cpu, fetch));
    assert_eq!(fault.what, "instruction fetch outside the VM's RAM");
    assert_eq!(fault.address, 0x3000_0000);
}

#[test]
fn a_fault_stops_only_that_vm_through_the_loop() {
    let (mut hyp, mut cpu) = machine(2);
    cpu.script
        .push_back(Exit::sync(esr(EC_IABT_LOWER, DFSC_TRANSLATION_L1), 0));
    hyp.step(&mut cpu);
    assert!(matches!(hyp.vms[0].state, VmState::Off(Why::Faulted(_))));
    assert_eq!(hyp.vms[1].state, VmState::Runnable);
    hyp.step(&mut cpu);
    hyp.step(&mut cpu);
    assert_eq!(cpu.runs, [0, 1, 1]);
}

// ---- PSCI ----

fn psci(hyp: &mut Hypervisor, cpu: &mut FakeCpu, function: u64, arg: u64) -> (Next, u64) {
    let mut hvc = Exit::sync(esr(EC_HVC64, 0), 0);
    hvc.regs = [Some((0, function)), Some((1, arg))];
    let next = exit_of(hyp, cpu, hvc);
    (next, hyp.vms[0].frame.x[0])
}

#[test]
fn psci_answers() {
    let (mut hyp, mut cpu) = machine(1);
    let resume = |(next, x0): (Next, u64)| {
        assert_eq!(next, Next::Resume);
        x0
    };
    assert_eq!(resume(psci(&mut hyp, &mut cpu, PSCI_VERSION, 0)), 0x1_0001);
    assert_eq!(
        resume(psci(&mut hyp, &mut cpu, PSCI_CPU_ON_64, 0)),
        ALREADY_ON
    );
    assert_eq!(
        resume(psci(&mut hyp, &mut cpu, PSCI_FEATURES, PSCI_SYSTEM_OFF)),
        0
    );
    assert_eq!(
        resume(psci(&mut hyp, &mut cpu, 0x8400_00ff, 0)),
        NOT_SUPPORTED
    );
    // The 32-bit SMCCC id space is taken from the low word.
    assert_eq!(
        resume(psci(
            &mut hyp,
            &mut cpu,
            0xffff_ffff_0000_0000 | PSCI_VERSION,
            0
        )),
        0x1_0001
    );
    let (next, _) = psci(&mut hyp, &mut cpu, PSCI_SYSTEM_OFF, 0);
    assert_eq!(next, Next::Stop(Why::PoweredOff));
    let (next, _) = psci(&mut hyp, &mut cpu, PSCI_SYSTEM_RESET, 0);
    assert_eq!(next, Next::Reset);
}

const PSCI_CPU_SUSPEND_64: u64 = 0xc400_0001;
const PSCI_CPU_OFF: u64 = 0x8400_0002;
const PSCI_AFFINITY_INFO_64: u64 = 0xc400_0004;
const PSCI_MIGRATE: u64 = 0x8400_0005;
const PSCI_MIGRATE_INFO_TYPE: u64 = 0x8400_0006;
const SMCCC_VERSION: u64 = 0x8000_0000;
const INVALID_PARAMETERS: u64 = -2i64 as u64;

#[test]
fn psci_1_1_for_a_one_cpu_vm() {
    let (mut hyp, mut cpu) = machine(1);
    let mut call = |f: u64, a1: u64, a2: u64| {
        let mut hvc = Exit::sync(esr(EC_HVC64, 0), 0);
        hvc.regs = [Some((0, f)), Some((1, a1))];
        hyp.vms[0].frame.x[2] = a2;
        let next = exit_of(&mut hyp, &mut cpu, hvc);
        (next, hyp.vms[0].frame.x[0])
    };
    let answer = |r: (Next, u64)| {
        assert_eq!(r.0, Next::Resume);
        r.1
    };
    // CPU_ON: the only vCPU (MPIDR affinity 0) is on; no other exists.
    assert_eq!(answer(call(PSCI_CPU_ON_64, 0, ENTRY)), ALREADY_ON);
    assert_eq!(answer(call(PSCI_CPU_ON_64, 1, ENTRY)), INVALID_PARAMETERS);
    assert_eq!(
        answer(call(PSCI_CPU_ON_64, 0x100, ENTRY)),
        INVALID_PARAMETERS
    );
    // AFFINITY_INFO: vCPU 0 is ON, at level 0 and as part of its cluster.
    assert_eq!(answer(call(PSCI_AFFINITY_INFO_64, 0, 0)), 0);
    assert_eq!(
        answer(call(PSCI_AFFINITY_INFO_64, 2, 0)),
        INVALID_PARAMETERS
    );
    assert_eq!(answer(call(PSCI_AFFINITY_INFO_64, 2, 1)), 0);
    assert_eq!(
        answer(call(PSCI_AFFINITY_INFO_64, 0, 4)),
        INVALID_PARAMETERS
    );
    assert_eq!(answer(call(PSCI_MIGRATE_INFO_TYPE, 0, 0)), 2);
    assert_eq!(answer(call(PSCI_MIGRATE, 0, 0)), NOT_SUPPORTED);
    assert_eq!(answer(call(SMCCC_VERSION, 0, 0)), NOT_SUPPORTED);
    // FEATURES tells the truth about every function.
    for f in [
        PSCI_VERSION,
        PSCI_CPU_SUSPEND_64,
        PSCI_CPU_OFF,
        PSCI_CPU_ON_64,
        PSCI_AFFINITY_INFO_64,
        PSCI_MIGRATE_INFO_TYPE,
        PSCI_SYSTEM_OFF,
        PSCI_SYSTEM_RESET,
        PSCI_FEATURES,
    ] {
        assert_eq!(answer(call(PSCI_FEATURES, f, 0)), 0, "{f:#x}");
    }
    for f in [SMCCC_VERSION, PSCI_MIGRATE, 0x8400_0012, 0x8400_00ff] {
        assert_eq!(answer(call(PSCI_FEATURES, f, 0)), NOT_SUPPORTED, "{f:#x}");
    }
    // CPU_SUSPEND waits like WFI and returns SUCCESS; CPU_OFF of the only
    // vCPU turns the VM off.
    assert_eq!(call(PSCI_CPU_SUSPEND_64, 0, 0), (Next::Sleep, 0));
    assert_eq!(call(PSCI_CPU_OFF, 0, 0).0, Next::Stop(Why::PoweredOff));
}

#[test]
fn system_off_and_reset_through_the_loop() {
    let (mut hyp, mut cpu) = machine(1);
    let mut off = Exit::sync(esr(EC_HVC64, 0), 0);
    off.regs[0] = Some((0, PSCI_SYSTEM_OFF));
    cpu.script.push_back(off);
    hyp.step(&mut cpu);
    assert_eq!(hyp.vms[0].state, VmState::Off(Why::PoweredOff));

    let (mut hyp, mut cpu) = machine(1);
    let mut reset = Exit::sync(esr(EC_HVC64, 0), 0);
    reset.regs[0] = Some((0, PSCI_SYSTEM_RESET));
    hyp.vms[0].frame.pc = ENTRY + 0x100;
    cpu.script.push_back(reset);
    let before = cpu.ram_ops.len();
    hyp.step(&mut cpu);
    assert_eq!(hyp.vms[0].state, VmState::Runnable);
    assert_eq!(hyp.vms[0].frame.pc, ENTRY, "restarted at its entry");
    // Its RAM flushed by VA, then the image copied, then its old code
    // dropped (the order is tested in `coherence_tests`).
    assert_eq!(
        cpu.ram_ops[before..],
        [
            RamOp::Flush(POOL, RAM),
            RamOp::Copy(POOL + ENTRY, IMAGE.len()),
            RamOp::Icache
        ]
    );
}

// ---- reset and the loader ----

static DTB: [u8; 8] = [0xd0, 0x0d, 0xfe, 0xed, 0, 0, 0, 0x28];
static INITRD: [u8; 4] = *b"0707";
static BLOBS: [Blob; 2] = [
    Blob {
        load: 0x4_0000,
        bytes: &DTB,
    },
    Blob {
        load: 0x8_0000 + 0x1000,
        bytes: &INITRD,
    },
];

#[test]
fn a_reset_loads_every_blob_and_sets_x0() {
    let (mut hyp, mut cpu) = machine_with(std::vec![config(0, &BLOBS, 0x4_0000)]);
    let base = POOL;
    assert_eq!(
        cpu.word(base + ENTRY),
        u32::from_le_bytes([0x1f, 0x20, 0x03, 0xd5])
    );
    assert_eq!(cpu.word(base + 0x4_0000), 0xedfe_0dd0);
    assert_eq!(cpu.word(base + 0x8_1000), u32::from_le_bytes(*b"0707"));
    let vm = &hyp.vms[0];
    assert_eq!(vm.frame.x[..4], [0x4_0000, 0, 0, 0]);
    assert_eq!(vm.frame.pstate, 0x3c5, "EL1h, DAIF masked");
    assert_eq!(vm.el1.sctlr & 1, 0, "MMU off");
    // A reset puts the blobs back over whatever the guest did to them.
    cpu.ram.insert(base + 0x4_0000, 0);
    hyp.vms[0].frame.x[0] = 7;
    hyp.reset_vm(&mut cpu, 0);
    assert_eq!(cpu.word(base + 0x4_0000), 0xedfe_0dd0);
    assert_eq!(hyp.vms[0].frame.x[0], 0x4_0000);
}

#[test]
fn a_reset_drops_the_input_typed_to_the_old_instance() {
    let (mut hyp, mut cpu) = machine(1);
    hyp.give_input(0, b'q');
    hyp.reset_vm(&mut cpu, 0);
    assert_eq!(hyp.consoles.inputs[0].pop(), None);
}

#[test]
fn a_vm_whose_ram_is_not_on_the_board_never_starts() {
    let consoles: &'static Consoles = Box::leak(Box::new(Consoles::new()));
    let configs: &'static [VmConfig] = Box::leak(Box::new([config(0, &[], 0), config(1, &[], 0)]));
    let mut hyp = Hypervisor::new(consoles);
    let mut cpu = FakeCpu::at(0);
    hyp.create_vms(&mut cpu, configs, POOL + RAM);
    assert_eq!(hyp.vms[0].state, VmState::Runnable);
    assert_eq!(hyp.vms[1].state, VmState::Off(Why::NeverStarted));
    assert!(cpu.ram.keys().all(|&a| a < POOL + RAM), "nothing loaded");
    hyp.reset_vm(&mut cpu, 1);
    assert_eq!(hyp.vms[1].state, VmState::Off(Why::NeverStarted));
    for _ in 0..3 {
        hyp.step(&mut cpu);
    }
    assert!(cpu.runs.iter().all(|&i| i == 0));
}

// ---- what a Cortex-A53 makes UNDEFINED ----

/// Where hostile-like guests keep their vectors, and where they trap.
pub(super) const VBAR: u64 = 0x8_0800;
const TRAP_PC: u64 = ENTRY + 0x40;

/// VM 0 loaded (as after it ran), at TRAP_PC in EL1h with `pstate`.
pub(super) fn loaded_at(pstate: u64) -> (Hypervisor, FakeCpu) {
    let (mut hyp, mut cpu) = machine(1);
    cpu.script.push_back(Exit::irq(0));
    hyp.step(&mut cpu);
    cpu.vbar = VBAR;
    hyp.vms[0].frame.pc = TRAP_PC;
    hyp.vms[0].frame.pstate = pstate;
    (hyp, cpu)
}

#[test]
fn an_unknown_system_register_is_undefined_in_the_guest() {
    // EL1h with the flags N and C set, interrupts unmasked.
    let pstate = 0xa000_0005;
    let (mut hyp, mut cpu) = loaded_at(pstate);
    // MRS x2, S3_5_C11_C9_7: in the implementation defined space trapped
    // by TIDCP, but no register of the A53.
    let unknown = sysreg_iss(3, 5, 11, 9, 7, 2, true);
    hyp.vms[0].frame.x[2] = 0x77;
    let next = exit_of(&mut hyp, &mut cpu, Exit::sync(esr(EC_SYSREG, unknown), 0));
    assert_eq!(next, Next::Resume, "the VM goes on");
    assert_eq!(
        cpu.el1_exception,
        Some((0x200_0000, TRAP_PC, pstate)),
        "ESR_EL1 = EC 0 with IL, ELR_EL1 = the MRS, SPSR_EL1 = its PSTATE"
    );
    let vm = &hyp.vms[0];
    assert_eq!(
        vm.frame.pc,
        VBAR + 0x200,
        "current EL with SP_ELx, synchronous"
    );
    assert_eq!(vm.frame.pstate, 0x3c5, "EL1h, D A I F masked");
    assert_eq!(vm.frame.x[2], 0x77, "the register is left alone");
    assert_eq!(vm.state, VmState::Runnable);
    assert!(vm.undefined_reported, "the first one is logged");
    let log = crate::log::kernel::LOG.lock();
    let (a, b) = log.whole_lines();
    let text = std::string::String::from_utf8_lossy(&[a, b].concat()).into_owned();
    assert!(
        text.contains("VM 1 'one': S3_5_C11_C9_7 at pc 0x80040 is UNDEFINED on a Cortex-A53"),
        "{text}"
    );
}

#[test]
fn an_unknown_reason_exit_is_undefined_in_the_guest_too() {
    // From EL0 (M = EL0t): the lower-EL AArch64 vector.
    let (mut hyp, mut cpu) = loaded_at(0);
    let next = exit_of(&mut hyp, &mut cpu, Exit::sync(esr(EC_UNKNOWN, 0), 0));
    assert_eq!(next, Next::Resume);
    assert_eq!(hyp.vms[0].frame.pc, VBAR + 0x400);
    assert_eq!(cpu.el1_exception, Some((0x200_0000, TRAP_PC, 0)));
}

#[test]
fn an_injection_into_a_vm_not_loaded_goes_to_its_saved_state() {
    let (mut hyp, mut cpu) = machine(2);
    hyp.vms[1].el1.vbar = VBAR;
    hyp.vms[1].frame.pc = TRAP_PC;
    let taken = hyp.vms[1].inject_exception(&mut cpu, 0x200_0000);
    assert_eq!(taken.pc, VBAR + 0x200);
    let el1 = &hyp.vms[1].el1;
    assert_eq!((el1.esr, el1.elr, el1.spsr), (0x200_0000, TRAP_PC, 0x3c5));
    assert_eq!(
        cpu.el1_exception, None,
        "the CPU's registers are another VM's"
    );
}

#[test]
fn debug_and_pmu_registers_are_the_vms_own() {
    let (mut hyp, mut cpu) = loaded_at(0x3c5);
    let pmcr = sysreg_iss(3, 3, 9, 12, 0, 4, true);
    exit_of(&mut hyp, &mut cpu, Exit::sync(esr(EC_SYSREG, pmcr), 0));
    assert_eq!(hyp.vms[0].frame.x[4], 0x4103_0000, "an A53 PMU with N = 0");
    assert_eq!(hyp.vms[0].frame.pc, TRAP_PC + 4);
    // MSR MDSCR_EL1, x5, then MRS x6, MDSCR_EL1: kept for this VM.
    let mut write = Exit::sync(esr(EC_SYSREG, sysreg_iss(2, 0, 0, 2, 2, 5, false)), 0);
    write.regs[0] = Some((5, 0x8000));
    exit_of(&mut hyp, &mut cpu, write);
    let read = Exit::sync(esr(EC_SYSREG, sysreg_iss(2, 0, 0, 2, 2, 6, true)), 0);
    exit_of(&mut hyp, &mut cpu, read);
    assert_eq!(hyp.vms[0].frame.x[6], 0x8000);
    assert_eq!(cpu.el1_exception, None, "nothing injected so far");
    // An event counter the virtual PMU does not have: UNDEFINED.
    let pc = hyp.vms[0].frame.pc;
    let counter = sysreg_iss(3, 3, 14, 8, 0, 7, true);
    exit_of(&mut hyp, &mut cpu, Exit::sync(esr(EC_SYSREG, counter), 0));
    assert_eq!(cpu.el1_exception, Some((0x200_0000, pc, 0x3c5)));
    // A reset starts the debug state afresh.
    hyp.reset_vm(&mut cpu, 0);
    assert_eq!(hyp.vms[0].debug.mdscr, 0);
    assert!(hyp.vms[0].debug.os_lock);
}

// ---- the PM watchdog: reboot and power-off as Linux does them ----

/// The PM block's registers and password (Linux's bcm2835_wdt).
const PM_RSTC: u64 = 0x3f10_001c;
const PM_RSTS: u64 = 0x3f10_0020;
const PM_WDOG: u64 = 0x3f10_0024;
const PM_PASSWORD: u64 = 0x5a00_0000;
const PM_RSTC_WRCFG_FULL_RESET: u64 = 0x20;
/// Boot partition 63 spread over PM_RSTS's even bits: "halt".
const PM_RSTS_RASPBERRYPI_HALT: u64 = 0x555;

fn store(ipa: u64, value: u64) -> Exit {
    let mut exit = data_abort(ipa, dabt_iss(2, 1, true, DFSC_TRANSLATION_L1));
    exit.regs[0] = Some((1, value));
    exit
}

/// Linux's `__bcm2835_restart`, after an optional power-off mark, then the
/// guest spins (one long run); returns the VM's state once the loop acted.
fn watchdog_restart(halt: bool) -> (Hypervisor, VmState) {
    let (mut hyp, mut cpu) = machine(1);
    if halt {
        cpu.script
            .push_back(store(PM_RSTS, PM_PASSWORD | PM_RSTS_RASPBERRYPI_HALT));
    }
    cpu.script.push_back(store(PM_WDOG, PM_PASSWORD | 10));
    cpu.script
        .push_back(store(PM_RSTC, PM_PASSWORD | PM_RSTC_WRCFG_FULL_RESET));
    // Spinning, with no device access: only the deadline can end it.
    cpu.script.push_back(Exit::irq(FREQ));
    hyp.vms[0].frame.pc = ENTRY + 0x100;
    for _ in 0..20 {
        hyp.step(&mut cpu);
        if hyp.vms[0].state != VmState::Runnable || hyp.vms[0].frame.pc == ENTRY {
            break;
        }
    }
    let state = hyp.vms[0].state;
    (hyp, state)
}

#[test]
fn a_watchdog_reset_restarts_the_vm() {
    let (hyp, state) = watchdog_restart(false);
    assert_eq!(state, VmState::Runnable);
    assert_eq!(hyp.vms[0].frame.pc, ENTRY, "restarted at its entry");
}

#[test]
fn a_watchdog_reset_to_partition_63_powers_the_vm_off() {
    let (hyp, state) = watchdog_restart(true);
    assert_eq!(state, VmState::Off(Why::PoweredOff));
    assert_ne!(hyp.vms[0].frame.pc, ENTRY, "not restarted");
}
