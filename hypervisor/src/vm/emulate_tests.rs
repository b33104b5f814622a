//! Host tests of the emulation of MMIO accesses the syndrome cannot
//! describe (`vm::emulate`): a pair, a writeback, SIMD&FP registers live
//! and saved, a pair that crosses from a device page into RAM through the
//! guest's own stage 1, and the faults that stay the guest's.

extern crate std;

use super::exits::Next;
use super::fake_cpu::FakeCpu;
use super::machine::Hypervisor;
use super::tests::{
    data_abort, exit_of, faulted, loaded_at, machine, DFSC_TRANSLATION_L1, ENTRY, POOL, VBAR,
};
use crate::emu::AccessSize;

/// Registers of the virtual board the tests use: GPIO's rising-edge enables
/// (kept as written) and the system timer's compare registers.
const GPREN0: u64 = 0x3f20_004c;
const ST_C1: u64 = 0x3f00_3010;
/// Instructions, as llvm-mc assembles them.
const STP_W1_W2_X0: u32 = 0x2900_0801;
const LDP_W3_W4_X0: u32 = 0x2940_1003;
const STR_W1_X0_POST_4: u32 = 0xb800_4401;
const STR_Q1_X1: u32 = 0x3d80_0021;
const LDR_D2_X1: u32 = 0xfd40_0022;
const LDR_Q0_X1: u32 = 0x3dc0_0020;
const LDRSB_X5_X0_PRE_1: u32 = 0x3880_1c05;
const STP_W1_W2_SP_PRE_MINUS_8: u32 = 0x29bf_0be1;
const LDP_W1_W2_X0_MINUS_4: u32 = 0x297f_8801;
/// ldr x0, [x0, #8]!: writeback into the loaded register.
const LDR_X0_X0_PRE_8: u32 = 0xf840_8c00;
/// PSTATE EL1h.
const EL1H: u64 = 0b0101;

/// Put `insn` at VM 0's PC (ENTRY) and take an ISV = 0 abort at `ipa`.
fn run(hyp: &mut Hypervisor, cpu: &mut FakeCpu, insn: u32, ipa: u64) -> Next {
    let pc = hyp.vms[0].frame.pc;
    // SAFETY: the fake's RAM is a map.
    unsafe { crate::vm::cpu::Cpu::copy_to_ram(cpu, POOL + pc, &insn.to_le_bytes()) };
    exit_of(hyp, cpu, data_abort(ipa, DFSC_TRANSLATION_L1))
}

fn read(hyp: &mut Hypervisor, cpu: &mut FakeCpu, ipa: u64, size: AccessSize) -> u64 {
    let seat = hyp.seat(0);
    let (board, mut env) = hyp.vms[0].env(seat, cpu);
    board.read(ipa, size, &mut env).unwrap().value
}

#[test]
fn a_pair_is_two_accesses_in_order() {
    let (mut hyp, mut cpu) = machine(1);
    let vm = &mut hyp.vms[0];
    (vm.frame.x[0], vm.frame.x[1], vm.frame.x[2]) = (GPREN0, 0x1234, 0x5678);
    assert_eq!(run(&mut hyp, &mut cpu, STP_W1_W2_X0, GPREN0), Next::Resume);
    assert_eq!(read(&mut hyp, &mut cpu, GPREN0, AccessSize::Word), 0x1234);
    assert_eq!(
        read(&mut hyp, &mut cpu, GPREN0 + 4, AccessSize::Word),
        0x5678
    );
    assert_eq!(hyp.vms[0].frame.pc, ENTRY + 4);
    hyp.vms[0].frame.x[3] = u64::MAX;
    run(&mut hyp, &mut cpu, LDP_W3_W4_X0, GPREN0);
    let vm = &hyp.vms[0];
    assert_eq!((vm.frame.x[3], vm.frame.x[4]), (0x1234, 0x5678));
    assert_eq!(vm.frame.x[0], GPREN0, "no writeback");
    assert_eq!((vm.exits.decoded, vm.frame.pc), (2, ENTRY + 8));
}

#[test]
fn a_writeback_moves_the_base_after_the_access() {
    // The form of U-Boot's mw.l loop (str w21, [x2], #4): str w1, [x0], #4.
    let (mut hyp, mut cpu) = machine(1);
    (hyp.vms[0].frame.x[0], hyp.vms[0].frame.x[1]) = (ST_C1, 0xffff_ffff_0000_0001);
    run(&mut hyp, &mut cpu, STR_W1_X0_POST_4, ST_C1);
    assert_eq!(read(&mut hyp, &mut cpu, ST_C1, AccessSize::Word), 1);
    assert_eq!(hyp.vms[0].frame.x[0], ST_C1 + 4);
    // ldrsb x5, [x0, #1]!: the address is the new base; sign-extended.
    hyp.vms[0].frame.x[1] = 0x80;
    run(&mut hyp, &mut cpu, STR_W1_X0_POST_4, ST_C1 + 4);
    hyp.vms[0].frame.x[0] = ST_C1 + 3;
    run(&mut hyp, &mut cpu, LDRSB_X5_X0_PRE_1, ST_C1 + 4);
    assert_eq!(hyp.vms[0].frame.x[5], 0xffff_ffff_ffff_ff80);
    assert_eq!(hyp.vms[0].frame.x[0], ST_C1 + 4);
}

#[test]
fn sp_is_the_base_register_31_and_written_back_where_it_lives() {
    // EL1h: SP_EL1, live in the CPU while the VM is loaded.
    let (mut hyp, mut cpu) = loaded_at(EL1H);
    cpu.el1.sp_el1 = GPREN0 + 8;
    (hyp.vms[0].frame.x[1], hyp.vms[0].frame.x[2]) = (7, 9);
    run(&mut hyp, &mut cpu, STP_W1_W2_SP_PRE_MINUS_8, GPREN0);
    assert_eq!(cpu.el1.sp_el1, GPREN0);
    assert_eq!(
        read(&mut hyp, &mut cpu, GPREN0, AccessSize::Double),
        9 << 32 | 7
    );
}

#[test]
fn simd_registers_live_and_saved() {
    // Not loaded: the saved FP state.
    let (mut hyp, mut cpu) = machine(1);
    hyp.vms[0].frame.x[1] = ST_C1;
    hyp.vms[0].fp.q[1] = [0x2222_2222_1111_1111, 0x4444_4444_3333_3333];
    run(&mut hyp, &mut cpu, STR_Q1_X1, ST_C1);
    assert_eq!(
        read(&mut hyp, &mut cpu, ST_C1, AccessSize::Word),
        0x1111_1111
    );
    assert_eq!(
        read(&mut hyp, &mut cpu, ST_C1 + 8, AccessSize::Word),
        0x3333_3333
    );
    hyp.vms[0].fp.q[2] = [u64::MAX, u64::MAX];
    run(&mut hyp, &mut cpu, LDR_D2_X1, ST_C1);
    // A D load clears the upper half of the V register.
    assert_eq!(hyp.vms[0].fp.q[2], [0x2222_2222_1111_1111, 0]);
    // Loaded: the live registers, and the saved copy is not touched.
    let (mut hyp, mut cpu) = loaded_at(EL1H);
    hyp.vms[0].frame.x[1] = ST_C1;
    poke_double(&mut hyp, &mut cpu, ST_C1, 0x0000_0002_0000_0001);
    run(&mut hyp, &mut cpu, LDR_Q0_X1, ST_C1);
    assert_eq!(cpu.fp.unwrap().q[0][0], 0x0000_0002_0000_0001);
    assert_eq!(hyp.vms[0].fp.q[0], [0, 0]);
}

fn poke_double(hyp: &mut Hypervisor, cpu: &mut FakeCpu, ipa: u64, value: u64) {
    let seat = hyp.seat(0);
    let (board, mut env) = hyp.vms[0].env(seat, cpu);
    board
        .write(ipa, AccessSize::Double, value, &mut env)
        .unwrap();
}

#[test]
fn unaligned_to_device_memory_is_the_guests_alignment_fault() {
    // MMU off: data accesses are Device-nGnRnE, and a Q register at an
    // address that is not 16-byte aligned faults at stage 1.
    let (mut hyp, mut cpu) = loaded_at(EL1H);
    cpu.vbar = VBAR;
    hyp.vms[0].frame.x[1] = ST_C1 + 4;
    let pc = hyp.vms[0].frame.pc;
    assert_eq!(run(&mut hyp, &mut cpu, LDR_Q0_X1, ST_C1 + 4), Next::Resume);
    // A data abort from the current EL (EC 0x25), IL, alignment (0x21).
    assert_eq!(
        cpu.el1_exception,
        Some((0x25 << 26 | 1 << 25 | 0x21, pc, EL1H))
    );
    assert_eq!(cpu.el1.far, ST_C1 + 4);
    assert_eq!(hyp.vms[0].frame.pc, VBAR + 0x200);
    assert_eq!(hyp.vms[0].exits.decoded, 0, "nothing performed");
}

#[test]
fn what_cannot_be_emulated_stops_the_vm() {
    let (mut hyp, mut cpu) = machine(1);
    let fault = faulted(run(&mut hyp, &mut cpu, LDR_X0_X0_PRE_8, ST_C1));
    assert!(fault.what.contains("CONSTRAINED UNPREDICTABLE"));
    assert_eq!(fault.address, ST_C1);
    // A PC outside the VM's RAM: the instruction cannot be fetched.
    let (mut hyp, mut cpu) = machine(1);
    hyp.vms[0].frame.pc = 0x3f00_0000;
    let fault = faulted(exit_of(
        &mut hyp,
        &mut cpu,
        data_abort(ST_C1, DFSC_TRANSLATION_L1),
    ));
    assert_eq!(
        fault.what,
        "MMIO access whose instruction cannot be fetched"
    );
}

/// Descriptor bits (4 KiB granule): table or page, a block, AF, AP[2],
/// AttrIndx 1 (Normal in the MAIR below; 0 is Device-nGnRnE).
const TABLE: u64 = 0b11;
const BLOCK: u64 = 0b01 | 1 << 10;
const PAGE: u64 = 0b11 | 1 << 10;
const READ_ONLY: u64 = 1 << 7;
const NORMAL: u64 = 1 << 2;

/// VM 0 with its MMU on: T0SZ = 25 (the walk starts at level 1), RAM's
/// first 2 MiB as a Normal block at VA 0, and at VA 0x20_0000 three pages:
/// the system timer, RAM page 0x1000, and the system timer read-only.
fn with_tables() -> (Hypervisor, FakeCpu) {
    let (mut hyp, mut cpu) = machine(1);
    let (l1, l2, l3) = (0x1_0000u64, 0x1_1000u64, 0x1_2000u64);
    let entries = [
        (l1, l2 | TABLE),
        (l2, BLOCK | NORMAL),
        (l2 + 8, l3 | TABLE),
        (l3, 0x3f00_3000 | PAGE),
        (l3 + 8, 0x1000 | PAGE | NORMAL),
        (l3 + 16, 0x3f00_3000 | PAGE | READ_ONLY),
    ];
    for (at, descriptor) in entries {
        // SAFETY: the fake's RAM is a map.
        unsafe { crate::vm::cpu::Cpu::copy_to_ram(&mut cpu, POOL + at, &descriptor.to_le_bytes()) };
    }
    let el1 = &mut hyp.vms[0].el1;
    el1.sctlr |= 1;
    el1.tcr = 25 | 1 << 23 | 0b10 << 30;
    el1.ttbr0 = l1;
    el1.mair = 0xff << 8;
    (hyp, cpu)
}

#[test]
fn each_half_of_a_pair_is_translated_on_its_own() {
    let (mut hyp, mut cpu) = with_tables();
    // SAFETY: the fake's RAM is a map.
    unsafe { crate::vm::cpu::Cpu::copy_to_ram(&mut cpu, POOL + 0x1000, &0x77u32.to_le_bytes()) };
    poke_double(&mut hyp, &mut cpu, 0x3f00_3ff8, 0);
    // ldp w1, w2, [x0, #-4] with x0 at the second page: the first word
    // is the timer page's last (absent: 0), the second is RAM.
    hyp.vms[0].frame.x[0] = 0x20_1000;
    hyp.vms[0].frame.x[1] = 0xdead;
    assert_eq!(
        run(&mut hyp, &mut cpu, LDP_W1_W2_X0_MINUS_4, 0x3f00_3ffc),
        Next::Resume
    );
    assert_eq!((hyp.vms[0].frame.x[1], hyp.vms[0].frame.x[2]), (0, 0x77));
}

#[test]
fn a_store_stage_1_forbids_is_the_guests_permission_fault() {
    let (mut hyp, mut cpu) = with_tables();
    hyp.vms[0].frame.pstate = EL1H;
    hyp.vms[0].el1.vbar = VBAR;
    // stp w1, w2, [x0] at the read-only page.
    hyp.vms[0].frame.x[0] = 0x20_2000;
    assert_eq!(run(&mut hyp, &mut cpu, STP_W1_W2_X0, ST_C1), Next::Resume);
    // Data abort, current EL, WnR, permission fault at level 3.
    let el1 = &hyp.vms[0].el1;
    assert_eq!(el1.esr, 0x25 << 26 | 1 << 25 | 1 << 6 | 0b00_1111);
    assert_eq!((el1.far, el1.elr), (0x20_2000, ENTRY));
    assert_eq!(hyp.vms[0].frame.pc, VBAR + 0x200);
    // Through the read-write mapping of the same page it is performed.
    hyp.vms[0].frame.pc = ENTRY;
    (hyp.vms[0].frame.x[0], hyp.vms[0].frame.x[1]) = (0x20_0010, 5);
    run(&mut hyp, &mut cpu, STP_W1_W2_X0, ST_C1);
    assert_eq!(read(&mut hyp, &mut cpu, ST_C1, AccessSize::Word), 5);
}

#[test]
fn vmtrace_shows_each_access_and_says_it_was_decoded() {
    let (mut hyp, mut cpu) = machine(1);
    let mut sink = std::string::String::new();
    hyp.vms[0].trace.set(true, &mut sink).unwrap();
    let vm = &mut hyp.vms[0];
    (vm.frame.x[0], vm.frame.x[1], vm.frame.x[2]) = (GPREN0, 0x1234, 0x5678);
    run(&mut hyp, &mut cpu, STP_W1_W2_X0, GPREN0);
    let scrollback = hyp.consoles.scrollbacks[0].lock();
    let (older, newer) = scrollback.as_slices();
    let text = std::string::String::from_utf8([older, newer].concat()).unwrap();
    let lines: std::vec::Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(lines[0].starts_with("[vmtrace] write 0x3f20004c gpio.GPREN0 = 0x1234"));
    assert!(lines[1].starts_with("[vmtrace] write 0x3f200050 gpio.GPREN1 = 0x5678"));
    assert!(lines[2]
        .starts_with("[vmtrace] (decoded from the instruction at pc 0x80000; 1 decoded so far)"));
}

/// dc zva, x3.
const DC_ZVA_X3: u32 = 0xd50b_7423;
/// ldp w1, w2, [x0] (as LDP_W1_W2_X0_MINUS_4, offset 0).
const LDP_W1_W2_X0: u32 = 0x2940_0801;
/// SCTLR_EL1.A: alignment checks on every data access.
const SCTLR_A: u64 = 1 << 1;

#[test]
fn dc_zva_zeroes_a_block_of_normal_memory_and_faults_on_device_memory() {
    // Device (MMU off): the alignment fault, WnR set, FAR = Xt.
    let (mut hyp, mut cpu) = loaded_at(EL1H);
    hyp.vms[0].frame.x[3] = ST_C1 + 4;
    assert_eq!(run(&mut hyp, &mut cpu, DC_ZVA_X3, ST_C1), Next::Resume);
    assert_eq!(
        cpu.el1_exception.map(|(esr, ..)| esr),
        Some(0x25 << 26 | 1 << 25 | 1 << 6 | 0x21)
    );
    assert_eq!(cpu.el1.far, ST_C1 + 4);
    // Normal: the guest maps the timer's page so (page 4 of the tables).
    let (mut hyp, mut cpu) = with_tables();
    let normal_timer = 0x3f00_3000 | PAGE | NORMAL;
    // SAFETY: the fake's RAM is a map.
    unsafe {
        crate::vm::cpu::Cpu::copy_to_ram(&mut cpu, POOL + 0x1_2018, &normal_timer.to_le_bytes())
    };
    poke_double(&mut hyp, &mut cpu, ST_C1, u64::MAX);
    poke_double(&mut hyp, &mut cpu, ST_C1 + 8, u64::MAX);
    hyp.vms[0].frame.x[3] = 0x20_3000 + 0x24;
    assert_eq!(run(&mut hyp, &mut cpu, DC_ZVA_X3, ST_C1), Next::Resume);
    // The block 0x3f00_3000..0x3f00_3040 is zero: C1 and C2 among it.
    assert_eq!(read(&mut hyp, &mut cpu, ST_C1, AccessSize::Double), 0);
    assert_eq!(read(&mut hyp, &mut cpu, ST_C1 + 8, AccessSize::Word), 0);
    assert_eq!(
        (hyp.vms[0].frame.pc, hyp.vms[0].exits.decoded),
        (ENTRY + 4, 1)
    );
}

#[test]
fn unaligned_to_normal_memory_goes_unless_sctlr_a_says_otherwise() {
    // The timer's page mapped Normal: an ldp at a 2-byte offset is
    // performed, as the A53 performs it.
    let (mut hyp, mut cpu) = with_tables();
    let normal_timer = 0x3f00_3000 | PAGE | NORMAL;
    // SAFETY: the fake's RAM is a map.
    unsafe {
        crate::vm::cpu::Cpu::copy_to_ram(&mut cpu, POOL + 0x1_2018, &normal_timer.to_le_bytes())
    };
    hyp.vms[0].frame.x[0] = 0x20_3000 + 0x12;
    assert_eq!(run(&mut hyp, &mut cpu, LDP_W1_W2_X0, ST_C1), Next::Resume);
    assert_eq!(hyp.vms[0].frame.pc, ENTRY + 4);
    // With SCTLR_EL1.A set: the guest's alignment fault instead.
    hyp.vms[0].frame.pc = ENTRY;
    hyp.vms[0].frame.pstate = EL1H;
    hyp.vms[0].el1.sctlr |= SCTLR_A;
    hyp.vms[0].el1.vbar = VBAR;
    assert_eq!(run(&mut hyp, &mut cpu, LDP_W1_W2_X0, ST_C1), Next::Resume);
    assert_eq!(hyp.vms[0].el1.esr, 0x25 << 26 | 1 << 25 | 0x21);
    assert_eq!(hyp.vms[0].el1.far, 0x20_3012);
    assert_eq!(hyp.vms[0].frame.pc, VBAR + 0x200);
}

/// ldxr x0, [x1] and stxr w3, x4, [x5] (llvm-mc).
const LDXR_X0_X1: u32 = 0xc85f_7c20;
const STXR_W3_X4_X5: u32 = 0xc803_7ca4;

#[test]
fn exclusives_on_a_device_do_what_the_bcm2837_bus_makes_of_them() {
    // A load-exclusive: the bus answers OKAY, not EXOKAY, and the A53
    // takes a data abort with the unsupported-exclusive status 0x35.
    let (mut hyp, mut cpu) = loaded_at(EL1H);
    hyp.vms[0].frame.x[1] = ST_C1;
    hyp.vms[0].frame.x[0] = 0x1234;
    assert_eq!(run(&mut hyp, &mut cpu, LDXR_X0_X1, ST_C1), Next::Resume);
    assert_eq!(
        cpu.el1_exception.map(|(esr, ..)| esr),
        Some(0x25 << 26 | 1 << 25 | 0x35)
    );
    assert_eq!(hyp.vms[0].frame.x[0], 0x1234, "nothing loaded");
    // A store-exclusive: written as an ordinary store, reported failed.
    let (mut hyp, mut cpu) = machine(1);
    (hyp.vms[0].frame.x[4], hyp.vms[0].frame.x[5]) = (0x55, ST_C1);
    assert_eq!(run(&mut hyp, &mut cpu, STXR_W3_X4_X5, ST_C1), Next::Resume);
    assert_eq!(read(&mut hyp, &mut cpu, ST_C1, AccessSize::Word), 0x55);
    assert_eq!(hyp.vms[0].frame.x[3], 1, "status: failed");
    assert_eq!(hyp.vms[0].frame.pc, ENTRY + 4);
    // Unaligned: the alignment fault, whatever the memory type.
    let (mut hyp, mut cpu) = loaded_at(EL1H);
    hyp.vms[0].frame.x[5] = ST_C1 + 4;
    run(&mut hyp, &mut cpu, STXR_W3_X4_X5, ST_C1 + 4);
    assert_eq!(
        cpu.el1_exception.map(|(esr, ..)| esr),
        Some(0x25 << 26 | 1 << 25 | 1 << 6 | 0x21)
    );
}
