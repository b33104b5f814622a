//! Host tests of the trap fast path and of the loop's per-exit work,
//! against the fake CPU: which exits a guest may return from without the
//! main loop (an HVC, the mini UART's data and status registers) and every
//! rule that sends it back to the loop instead (a physical interrupt, the
//! end of the slice, a sleeper's wake-up, an interrupt line that changed,
//! any other device, a pending virtual timer interrupt); the EL2 timer
//! and the timer routing written only when they change; and input that
//! hurries the focused VM without letting it starve the others.

extern crate std;

use super::fake_cpu::{Exit, FakeCpu};
use super::machine::{Focus, Hypervisor};
use super::state::{VmState, Why};
use super::tests::{
    dabt_iss, data_abort, esr, machine, poke, sysreg_iss, AUX_MU_LSR, CNTVIRQ_IRQ, CNTV_ENABLE,
    DFSC_TRANSLATION_L1, EC_HVC64, EC_SYSREG, EC_WFX, ENABLE_IRQS_1, ENTRY, LOCAL_TIMER_CONTROL,
    PSCI_SYSTEM_OFF, PSCI_VERSION, SLICE,
};
use crate::emu::aux::{BASE as AUX_BASE, SHADOW_WORDS};
use crate::emu::AccessSize;

/// The mini UART's data register and interrupt enable register.
const AUX_MU_IO: u64 = 0x3f21_5040;
const AUX_MU_IER: u64 = 0x3f21_5044;
/// AUX_MU_IER_REG bit 0 (erratum): the receive interrupt; bit 1 the
/// transmit interrupt.
const ENABLE_RECEIVE_INTERRUPT: u64 = 1 << 0;
const ENABLE_TRANSMIT_INTERRUPT: u64 = 1 << 1;
/// The AUX interrupt's bit in ENABLE_IRQS_1 (peripheral interrupt 29).
const IRQ_AUX: u32 = 29;
/// What PSCI_VERSION answers: 1.1.
const PSCI_1_1: u64 = 0x1_0001;
/// How long a scripted guest runs between two traps.
const GAP: u64 = 10;

/// An HVC with function id `function`, after `ticks` of running.
fn hvc(function: u64, ticks: u64) -> Exit {
    let mut exit = Exit::sync(esr(EC_HVC64, 0), ticks);
    exit.regs[0] = Some((0, function));
    exit
}

/// A 32-bit load of `ipa` into x3.
fn load(ipa: u64) -> Exit {
    let mut exit = data_abort(ipa, dabt_iss(2, 3, false, DFSC_TRANSLATION_L1));
    exit.ticks = GAP;
    exit
}

/// A 32-bit store of `value` from x4 to `ipa`.
fn store(ipa: u64, value: u64) -> Exit {
    let mut exit = data_abort(ipa, dabt_iss(2, 4, true, DFSC_TRANSLATION_L1));
    exit.regs[0] = Some((4, value));
    exit.ticks = GAP;
    exit
}

/// A read of CNTPCT_EL0: a slow exit that resumes the guest.
fn counter_read() -> Exit {
    Exit::sync(esr(EC_SYSREG, sysreg_iss(3, 3, 14, 0, 1, 5, true)), GAP)
}

/// Two VMs both runnable (so VM 0's slice counts), and the fake CPU.
fn contended() -> (Hypervisor, FakeCpu) {
    machine(2)
}

// ---- what the fast path serves ----

// ANCHOR: fast_hvc_test
#[test]
fn hvcs_are_answered_without_the_loop() {
    let (mut hyp, mut cpu) = contended();
    for _ in 0..3 {
        cpu.script.push_back(hvc(PSCI_VERSION, GAP));
    }
    cpu.script.push_back(Exit::irq(GAP));
    hyp.step(&mut cpu);
    // One pass of the loop: four runs of VM 0, the loop's work done once.
    assert_eq!(cpu.runs, [0, 0, 0, 0]);
    assert_eq!(hyp.vms[0].frame.x[0], PSCI_1_1);
    assert_eq!(hyp.vms[0].exits.hvc, 3, "every exit is still counted");
    assert_eq!(cpu.deadline_writes, 1);
    assert_eq!(cpu.route_writes, 1);
    assert_eq!(cpu.interrupts_served, 1, "the IRQ went to the loop");
}
// ANCHOR_END: fast_hvc_test

#[test]
fn mini_uart_status_reads_and_data_writes_stay_fast() {
    let (mut hyp, mut cpu) = contended();
    hyp.set_focus(Focus::Vm(0));
    // A key waits, so the shadow cannot stand in and the status reads
    // trap (with nothing to receive they would read the shadow).
    assert!(hyp.give_input(0, b'k'));
    for &byte in b"hi" {
        cpu.script.push_back(load(AUX_MU_LSR));
        cpu.script.push_back(store(AUX_MU_IO, u64::from(byte)));
    }
    hyp.step(&mut cpu);
    assert_eq!(cpu.runs, [0; 5], "four traps and the IRQ that ends it");
    assert_eq!(cpu.console, b"hi", "a focused VM's output on the wire");
    assert_eq!(
        hyp.vms[0].frame.x[3], 0x61,
        "LSR: data ready, transmitter empty, idle"
    );
    assert_eq!(
        hyp.vms[0].frame.pc,
        ENTRY + 4 * 4,
        "each access stepped over"
    );
    assert_eq!(hyp.vms[0].exits.mmio, 4);
}

// ---- when it must hand the exit to the loop ----

// ANCHOR: fast_rules_test
#[test]
fn a_pending_physical_interrupt_ends_the_fast_path() {
    // Console input (for any VM) and the EL2 timer arrive as a physical
    // IRQ, masked at EL2 while the guest is out. The fast path does not
    // look for it: the core takes it the moment the guest runs again
    // (HCR_EL2.IMO), before the guest does anything, and the loop serves it.
    let (mut hyp, mut cpu) = contended();
    let mut first = hvc(PSCI_VERSION, GAP);
    first.irq_arrives = true;
    cpu.script.push_back(first);
    cpu.script.push_back(hvc(PSCI_VERSION, GAP));
    hyp.step(&mut cpu);
    assert_eq!(cpu.runs, [0, 0], "one run for the HVC, one to take the IRQ");
    assert_eq!(cpu.interrupts_served, 1, "the loop served it");
    assert_eq!(cpu.script.len(), 1, "the guest ran no further");
    assert_eq!(hyp.vms[0].frame.x[0], PSCI_1_1, "the HVC was answered");
    // Served before the console, which now gives VM 1 its key.
    hyp.set_focus(Focus::Vm(1));
    assert!(hyp.give_input(1, b'k'));
    hyp.step(&mut cpu);
    // (VM 1 takes the scripted HVC on its own fast path.)
    assert_eq!(cpu.runs[..3], [0, 0, 1], "the key's VM runs next");
}

#[test]
fn the_end_of_the_slice_ends_the_fast_path() {
    let (mut hyp, mut cpu) = contended();
    cpu.script.push_back(hvc(PSCI_VERSION, SLICE + 1));
    cpu.script.push_back(hvc(PSCI_VERSION, GAP));
    hyp.step(&mut cpu);
    assert_eq!(cpu.runs, [0], "its slice is over: the loop decides");
    hyp.step(&mut cpu);
    assert_eq!(cpu.runs[..2], [0, 1], "and the other VM gets its turn");
}

#[test]
fn a_sleeper_due_to_wake_ends_the_fast_path() {
    let (mut hyp, mut cpu) = contended();
    // VM 1 sleeps with its virtual timer 500 ticks ahead.
    poke(&mut hyp, &mut cpu, 1, LOCAL_TIMER_CONTROL, CNTVIRQ_IRQ);
    hyp.stop_vm(0, Why::StoppedByUser);
    let cval = cpu.ticks.get() + 500 - hyp.vms[1].cntvoff;
    let mut wfi = Exit::sync(esr(EC_WFX, 0), GAP);
    wfi.vtimer = Some((CNTV_ENABLE, cval));
    cpu.script.push_back(wfi);
    hyp.step(&mut cpu);
    assert_eq!(hyp.vms[1].state, VmState::Sleeping);
    hyp.vms[0].state = VmState::Runnable;
    // VM 0 makes HVCs; the second one comes after VM 1's deadline.
    cpu.script.push_back(hvc(PSCI_VERSION, GAP));
    cpu.script.push_back(hvc(PSCI_VERSION, 600));
    cpu.script.push_back(hvc(PSCI_VERSION, GAP));
    hyp.step(&mut cpu);
    assert_eq!(cpu.runs, [1, 0, 0], "back to the loop at VM 1's deadline");
    hyp.step(&mut cpu);
    assert_eq!(hyp.vms[1].state, VmState::Runnable, "the loop woke it");
}

#[test]
fn a_read_that_changes_the_uart_interrupt_goes_to_the_loop() {
    let (mut hyp, mut cpu) = contended();
    poke(&mut hyp, &mut cpu, 0, AUX_MU_IER, ENABLE_RECEIVE_INTERRUPT);
    assert!(hyp.give_input(0, b'x'));
    hyp.step(&mut cpu);
    assert_eq!(
        cpu.lines,
        (false, false),
        "AUX is not enabled in the controller"
    );
    poke(&mut hyp, &mut cpu, 0, ENABLE_IRQS_1, 1 << IRQ_AUX);
    // Reading the last byte lowers the receive interrupt.
    cpu.script.push_back(load(AUX_MU_IO));
    cpu.script.push_back(hvc(PSCI_VERSION, GAP));
    let runs = cpu.runs.len();
    hyp.step(&mut cpu);
    assert_eq!(hyp.vms[0].frame.x[3], u64::from(b'x'));
    assert_eq!(cpu.runs.len(), runs + 1, "the lines changed: the loop");
    hyp.step(&mut cpu);
    assert_eq!(cpu.lines, (false, false), "and computed them again");
}

#[test]
fn any_other_device_goes_to_the_loop() {
    let (mut hyp, mut cpu) = contended();
    cpu.script.push_back(store(ENABLE_IRQS_1, 1));
    cpu.script.push_back(hvc(PSCI_VERSION, GAP));
    hyp.step(&mut cpu);
    assert_eq!(cpu.runs, [0]);
    assert_eq!(hyp.vms[0].exits.mmio, 1);
}

#[test]
fn while_the_virtual_timer_interrupt_is_pending_every_exit_goes_to_the_loop() {
    // Delivered as a virtual IRQ, it can be lowered by the guest without a
    // trap (a write to CNTV_CTL or CNTV_CVAL): the loop must look again.
    let (mut hyp, mut cpu) = contended();
    hyp.step(&mut cpu);
    cpu.vtimer = (CNTV_ENABLE, 0);
    cpu.script.push_back(hvc(PSCI_VERSION, GAP));
    cpu.script.push_back(hvc(PSCI_VERSION, GAP));
    hyp.step(&mut cpu);
    assert_eq!(cpu.runs, [0, 0]);
}

#[test]
fn a_psci_call_that_stops_the_vm_goes_to_the_loop() {
    let (mut hyp, mut cpu) = contended();
    cpu.script.push_back(hvc(PSCI_SYSTEM_OFF, GAP));
    cpu.script.push_back(hvc(PSCI_VERSION, GAP));
    hyp.step(&mut cpu);
    assert_eq!(cpu.runs, [0]);
    assert_eq!(hyp.vms[0].state, VmState::Off(Why::PoweredOff));
}

#[test]
fn tracing_sends_mmio_to_the_loop() {
    let (mut hyp, mut cpu) = contended();
    let mut sink = std::string::String::new();
    hyp.vms[0].trace.set(true, &mut sink).unwrap();
    cpu.script.push_back(load(AUX_MU_LSR));
    cpu.script.push_back(hvc(PSCI_VERSION, GAP));
    hyp.step(&mut cpu);
    assert_eq!(cpu.runs, [0], "the slow path logs the access");
}
// ANCHOR_END: fast_rules_test

// ---- the loop's own work ----

#[test]
fn the_el2_timer_and_the_routing_are_written_only_when_they_change() {
    let (mut hyp, mut cpu) = contended();
    for _ in 0..3 {
        cpu.script.push_back(counter_read());
    }
    for _ in 0..3 {
        hyp.step(&mut cpu);
    }
    assert_eq!(cpu.runs, [0, 0, 0], "three slow exits in one slice");
    assert_eq!(cpu.deadline_writes, 1, "the slice's end, once");
    assert_eq!(cpu.route_writes, 1);
    // A console interrupt leaves the EL2 timer armed: not written again.
    cpu.script.push_back(Exit::irq(GAP));
    cpu.script.push_back(counter_read());
    hyp.step(&mut cpu);
    hyp.step(&mut cpu);
    assert_eq!(cpu.deadline_writes, 1, "the console's IRQ stops no timer");
    // Serving the EL2 timer stops it: it is armed again afterwards (the
    // fake's timer fires when its deadline has passed).
    let deadline = cpu.hyp_deadline.unwrap();
    cpu.ticks.set(deadline);
    cpu.script.push_back(Exit::irq(0));
    hyp.step(&mut cpu);
    hyp.step(&mut cpu);
    assert_eq!(cpu.deadline_writes, 2);
}

#[test]
fn a_lone_vms_backstop_is_not_rewritten_on_every_exit() {
    // Alone, a VM's timer is only a backstop 100 ms away; moving it on by
    // the few ticks between two exits would reprogram QEMU's host timer
    // for every exit.
    let (mut hyp, mut cpu) = machine(1);
    for _ in 0..5 {
        cpu.script.push_back(counter_read());
        hyp.step(&mut cpu);
    }
    assert_eq!(cpu.runs, [0; 5]);
    assert_eq!(cpu.deadline_writes, 1, "the backstop, once");
    // Half its distance later it is moved on.
    let deadline = cpu.hyp_deadline.unwrap();
    let now = cpu.ticks.get();
    cpu.ticks.set(now + (deadline - now) / 2 + 1);
    cpu.script.push_back(counter_read());
    hyp.step(&mut cpu);
    assert_eq!(cpu.deadline_writes, 2);
    assert!(cpu.hyp_deadline.unwrap() > deadline);
}

#[test]
fn a_sleepers_devices_are_not_looked_at_while_nothing_is_due() {
    let (mut hyp, mut cpu) = contended();
    cpu.script.push_back(Exit::sync(esr(EC_WFX, 0), GAP));
    hyp.step(&mut cpu);
    assert_eq!(hyp.vms[0].state, VmState::Sleeping);
    // Behind the loop's back (a sleeping guest cannot do this), raise a
    // line of VM 0: its transmit interrupt, which is always pending. A
    // look at its devices would wake it; nothing is due, so none is made.
    poke(&mut hyp, &mut cpu, 0, AUX_MU_IER, ENABLE_TRANSMIT_INTERRUPT);
    poke(&mut hyp, &mut cpu, 0, ENABLE_IRQS_1, 1 << IRQ_AUX);
    for _ in 0..3 {
        cpu.script.push_back(counter_read());
        hyp.step(&mut cpu);
    }
    assert_eq!(hyp.vms[0].state, VmState::Sleeping);
    assert_eq!(cpu.runs, [0, 1, 1, 1]);
    // Input for it is a reason to look.
    assert!(hyp.give_input(0, b'a'));
    hyp.step(&mut cpu);
    assert_eq!(hyp.vms[0].state, VmState::Runnable);
}

// ---- input and the slices ----

// ANCHOR: paste_test
#[test]
fn a_paste_into_a_busy_focused_vm_does_not_starve_the_others() {
    let (mut hyp, mut cpu) = contended();
    hyp.set_focus(Focus::Vm(0));
    // VM 0 never sleeps; a key arrives for it before every pass.
    for _ in 0..40 {
        assert!(hyp.give_input(0, b'p'));
        cpu.script.push_back(Exit::irq(SLICE / 8));
        hyp.step(&mut cpu);
    }
    let others = cpu.runs.iter().filter(|&&i| i == 1).count();
    assert!(
        others * 3 >= cpu.runs.len(),
        "VM 1 ran {others} of {} times",
        cpu.runs.len()
    );
}

#[test]
fn input_still_hurries_a_vm_that_sleeps_between_keys() {
    let (mut hyp, mut cpu) = contended();
    hyp.set_focus(Focus::Vm(0));
    cpu.script.push_back(Exit::sync(esr(EC_WFX, 0), GAP));
    hyp.step(&mut cpu);
    poke(&mut hyp, &mut cpu, 0, AUX_MU_IER, ENABLE_RECEIVE_INTERRUPT);
    poke(&mut hyp, &mut cpu, 0, ENABLE_IRQS_1, 1 << IRQ_AUX);
    for key in 0..100 {
        // VM 1 is busy with its slice when the key arrives.
        cpu.script.push_back(Exit::irq(SLICE / 4));
        hyp.step(&mut cpu);
        assert!(hyp.give_input(0, b'k'));
        let runs = cpu.runs.len();
        // VM 0 reads the key, then sleeps again.
        cpu.script.push_back(load(AUX_MU_IO));
        cpu.script.push_back(Exit::sync(esr(EC_WFX, 0), SLICE / 20));
        hyp.step(&mut cpu);
        assert_eq!(cpu.runs[runs], 0, "key {key} was not served at once");
        while hyp.vms[0].state != VmState::Sleeping {
            hyp.step(&mut cpu);
        }
    }
}
// ANCHOR_END: paste_test

// ---- the console shadow ----

/// A stage-2 permission fault at level 3: a store to the read-only shadow.
const DFSC_PERMISSION_L3: u64 = 0b00_1111;
/// Where AUX_MU_LSR_REG and AUX_MU_IIR_REG sit among the shadow's words.
const LSR_WORD: usize = 0x54 / 4;
const IIR_WORD: usize = 0x48 / 4;
const IER_WORD: usize = 0x44 / 4;

/// A 32-bit store of `value` from x4 to `ipa` while the shadow is mapped.
fn shadow_store(ipa: u64, value: u64) -> Exit {
    let mut exit = data_abort(ipa, dabt_iss(2, 4, true, DFSC_PERMISSION_L3));
    // HPFAR need not be valid for a permission fault: only FAR says where.
    exit.hpfar = 0;
    exit.regs[0] = Some((4, value));
    exit.ticks = GAP;
    exit
}

/// VM `index`'s shadow as the fake CPU holds it: (words, mapped).
fn shadow_of(cpu: &FakeCpu, index: usize) -> ([u32; SHADOW_WORDS], bool) {
    cpu.shadows[&index]
}

// ANCHOR: shadow_test
#[test]
fn a_quiet_mini_uart_is_read_from_its_shadow() {
    let (mut hyp, mut cpu) = contended();
    cpu.script.push_back(counter_read());
    hyp.step(&mut cpu);
    let (words, mapped) = shadow_of(&cpu, 0);
    assert!(mapped, "nothing to receive: the shadow stands in");
    // Exactly what the emulated registers read, word by word.
    let seat = hyp.seat(0);
    let (board, mut env) = hyp.vms[0].env(seat, &mut cpu);
    for (word, &value) in words.iter().enumerate() {
        let read = board.read(AUX_BASE + 4 * word as u64, AccessSize::Word, &mut env);
        assert_eq!(read.unwrap().value, u64::from(value), "word {word}");
    }
    assert_eq!(words[LSR_WORD], 0x60, "LSR: transmitter empty and idle");
}

#[test]
fn input_takes_the_shadow_away_before_the_vm_runs_again() {
    let (mut hyp, mut cpu) = contended();
    hyp.set_focus(Focus::Vm(0));
    cpu.script.push_back(counter_read());
    hyp.step(&mut cpu);
    assert!(shadow_of(&cpu, 0).1);
    // A key: reading AUX_MU_IO_REG takes it, so every read must trap.
    assert!(hyp.give_input(0, b'k'));
    cpu.script.push_back(load(AUX_MU_LSR));
    cpu.script.push_back(load(AUX_MU_IO));
    cpu.script.push_back(Exit::irq(GAP));
    hyp.step(&mut cpu);
    assert_eq!(cpu.runs[1], 0, "VM 0 ran with the key");
    assert_eq!(cpu.shadow_unmaps, 1, "and without its shadow");
    assert_eq!(
        hyp.vms[0].frame.x[3],
        u64::from(b'k'),
        "the trapped read took it"
    );
    // Taken, nothing is left to receive: the shadow comes back, as it was.
    let words = shadow_of(&cpu, 0).0;
    cpu.script.push_back(counter_read());
    while cpu.runs.len() < 5 {
        hyp.step(&mut cpu);
    }
    assert_eq!(shadow_of(&cpu, 0), (words, true));
}

#[test]
fn the_read_that_takes_the_last_byte_brings_the_shadow_back_at_once() {
    let (mut hyp, mut cpu) = contended();
    hyp.set_focus(Focus::Vm(0));
    cpu.script.push_back(counter_read());
    hyp.step(&mut cpu);
    assert!(hyp.give_input(0, b'k') && hyp.give_input(0, b'l'));
    // The receive interrupt is off, so taking a byte changes no line.
    cpu.script.push_back(load(AUX_MU_IO));
    cpu.script.push_back(load(AUX_MU_IO));
    cpu.script.push_back(hvc(PSCI_VERSION, GAP));
    let runs = cpu.runs.len();
    hyp.step(&mut cpu);
    assert_eq!(cpu.runs[runs], 0, "VM 0 ran with the keys");
    assert_eq!(hyp.vms[0].frame.x[3], u64::from(b'l'));
    // 'l' was left after 'k': fast. Nothing is left after 'l': the loop,
    // so the status polls of what the guest prints next do not trap.
    assert_eq!(cpu.runs.len(), runs + 2, "the read of 'l' went to the loop");
    assert!(!shadow_of(&cpu, 0).1, "still away until the loop maps it");
    hyp.step(&mut cpu);
    assert!(shadow_of(&cpu, 0).1, "mapped before the VM ran again");
}

#[test]
fn a_write_that_changes_what_the_page_reads_rewrites_the_shadow() {
    let (mut hyp, mut cpu) = contended();
    hyp.set_focus(Focus::Vm(0));
    cpu.script.push_back(counter_read());
    hyp.step(&mut cpu);
    assert_eq!(shadow_of(&cpu, 0).0[IER_WORD], 0);
    // A byte sent through the shadow changes nothing: still fast.
    cpu.script
        .push_back(shadow_store(AUX_MU_IO, u64::from(b'a')));
    // Enabling the transmit interrupt changes IER, IIR and AUX_IRQ.
    cpu.script
        .push_back(shadow_store(AUX_MU_IER, ENABLE_TRANSMIT_INTERRUPT));
    cpu.script.push_back(hvc(PSCI_VERSION, GAP));
    let runs = cpu.runs.len();
    hyp.step(&mut cpu);
    assert_eq!(cpu.console, b"a");
    assert_eq!(cpu.runs.len(), runs + 2, "the IER write went to the loop");
    hyp.step(&mut cpu);
    let (words, mapped) = shadow_of(&cpu, 0);
    assert!(mapped);
    assert_eq!(u64::from(words[IER_WORD]), ENABLE_TRANSMIT_INTERRUPT);
    assert_eq!(
        words[IIR_WORD] & 0b111,
        0b010,
        "IIR: transmit holding register empty"
    );
}

#[test]
fn a_full_console_shows_the_focused_vm_a_busy_transmitter_in_its_shadow() {
    let (mut hyp, mut cpu) = contended();
    hyp.set_focus(Focus::Vm(0));
    cpu.script.push_back(counter_read());
    hyp.step(&mut cpu);
    assert_eq!(shadow_of(&cpu, 0).0[LSR_WORD], 0x60, "ready");
    // The transmit ring passes its high-water mark: before VM 0 runs
    // again its shadow says busy (LSR transmitter empty and idle clear).
    cpu.console_busy = true;
    cpu.script.push_back(counter_read());
    while cpu.runs.iter().filter(|&&vm| vm == 0).count() < 2 {
        hyp.step(&mut cpu);
    }
    assert_eq!(shadow_of(&cpu, 0).0[LSR_WORD], 0, "busy");
    assert!(shadow_of(&cpu, 0).1, "and still mapped");
    // VM 1 has no focus: it writes into its scrollback, never busy.
    let seat = hyp.seat(1);
    let (board, mut env) = hyp.vms[1].env(seat, &mut cpu);
    let lsr = board.read(AUX_MU_LSR, AccessSize::Word, &mut env);
    assert_eq!(lsr.unwrap().value, 0x60);
    // Room again: ready before VM 0 runs again.
    cpu.console_busy = false;
    let runs = cpu.runs.iter().filter(|&&vm| vm == 0).count();
    cpu.script.push_back(counter_read());
    while cpu.runs.iter().filter(|&&vm| vm == 0).count() == runs {
        hyp.step(&mut cpu);
    }
    assert_eq!(shadow_of(&cpu, 0).0[LSR_WORD], 0x60);
}

#[test]
fn a_byte_that_fills_the_console_ends_the_fast_path_so_the_shadow_says_busy() {
    let (mut hyp, mut cpu) = contended();
    hyp.set_focus(Focus::Vm(0));
    cpu.script.push_back(counter_read());
    hyp.step(&mut cpu);
    assert_eq!(shadow_of(&cpu, 0).0[LSR_WORD], 0x60);
    // Room for one more byte: the store that takes it fills the console.
    cpu.console_capacity = Some(1);
    cpu.script
        .push_back(shadow_store(AUX_MU_IO, u64::from(b'a')));
    cpu.script.push_back(hvc(PSCI_VERSION, GAP));
    let runs = cpu.runs.len();
    hyp.step(&mut cpu);
    assert_eq!(cpu.console, b"a");
    assert_eq!(cpu.runs.len(), runs + 1, "the byte went to the loop");
    while cpu.runs.len() == runs + 1 {
        hyp.step(&mut cpu);
    }
    assert!(shadow_of(&cpu, 0).1, "still mapped");
    assert_eq!(
        shadow_of(&cpu, 0).0[LSR_WORD],
        0,
        "busy before it ran again"
    );
}

#[test]
fn tracing_keeps_the_shadow_away() {
    let (mut hyp, mut cpu) = contended();
    let mut sink = std::string::String::new();
    hyp.vms[0].trace.set(true, &mut sink).unwrap();
    cpu.script.push_back(counter_read());
    hyp.step(&mut cpu);
    assert!(
        cpu.shadows.get(&0).is_none_or(|s| !s.1),
        "vmtrace must see every read"
    );
}
// ANCHOR_END: shadow_test
