//! The MMIO accesses a stage-2 data abort's syndrome cannot describe
//! (ESR_EL2.ISV = 0: register pairs, writeback, SIMD&FP registers),
//! emulated from the instruction itself, as the A53 would have performed
//! them on a real device.
//!
//! The instruction is fetched at the guest's PC through its own stage 1
//! (`vm::guest_memory`) and decoded (`vm::load_store`). Each access is
//! translated on its own (a pair may cross into another page, even into
//! RAM), goes through the same device dispatch as a described one (and is
//! returned for `vmtrace`, which `vm::exits` writes), a pair's two in order, a Q register as two 64-bit halves,
//! low first; then the loaded registers are written (X registers in the
//! frame, V registers wherever the VM's FP state is now), the base is
//! written back, and the PC moves on.
//!
//! Faults follow the guest's own memory type: an access its stage 1 does
//! not allow, or an unaligned one to memory its stage 1 makes Device (or
//! to any memory with SCTLR_EL1.A set), is a data abort the guest takes at
//! EL1, with the syndrome and FAR a Cortex-A53 gives. Nothing is performed
//! then and no register changes. `DC ZVA`, which zeroes a 64-byte block,
//! and the exclusives, which the BCM2837's bus does not support, abort
//! with ISV = 0 too, and are done as the A53 does them. What the
//! architecture leaves unpredictable, or an instruction that cannot be
//! fetched or is not a load or store, stops the VM with its one-line
//! report.

use super::cpu::Cpu;
use super::decode;
use super::guest::{Seat, Vm};
use super::guest_memory::{self, GuestRam};
use super::load_store::{self, Bank, Exclusive, LoadStore, Offset};
use super::stage1::{AccessKind, MemoryType, Stage1Fault};
use crate::arch::aarch64::vcpu::FpState;
use crate::emu::{Access, VirtualBoard};

/// Bytes of an AArch64 instruction.
const INSTRUCTION_BYTES: u64 = 4;
/// The SP/zero register's number.
const SP_OR_ZR: u8 = 31;
/// The widest access the device dispatch takes: 64 bits.
const WIDEST_ACCESS: u8 = 8;
/// PSTATE.M[3:2], the exception level, and M[0], the stack pointer select.
const PSTATE_EL_MASK: u64 = 0b1100;
const PSTATE_SP_ELX: u64 = 0b1;

// ANCHOR: syndrome
/// The data abort a guest takes at EL1 (Arm ARM D17.2.37): EC from a lower
/// EL (EL0) or the current one, IL (a 32-bit instruction), WnR, and the
/// fault status code.
const EC_SHIFT: u32 = 26;
const EC_DATA_ABORT_LOWER: u64 = 0x24;
const EC_DATA_ABORT_SAME: u64 = 0x25;
const ESR_IL: u64 = 1 << 25;
const ESR_WNR: u64 = 1 << 6;
const DFSC_ADDRESS_SIZE: u64 = 0b00_0000;
const DFSC_TRANSLATION: u64 = 0b00_0100;
const DFSC_ACCESS_FLAG: u64 = 0b00_1000;
const DFSC_PERMISSION: u64 = 0b00_1100;
const DFSC_ALIGNMENT: u64 = 0b10_0001;
/// IMPLEMENTATION DEFINED fault: unsupported exclusive access (the A53's).
const DFSC_UNSUPPORTED_EXCLUSIVE: u64 = 0b11_0101;
/// What a failed store-exclusive writes to Ws.
const STORE_EXCLUSIVE_FAILED: u64 = 1;
// ANCHOR_END: syndrome

/// The most device accesses one instruction makes: `DC ZVA`'s block as
/// 64-bit stores (a pair of Q registers makes four).
pub const MAX_ACCESSES: usize = (ZVA_BLOCK_BYTES / WIDEST_ACCESS as u64) as usize;
/// The block `DC ZVA` zeroes on the Cortex-A53: DCZID_EL0.BS = 4, 2^4 words
/// (a cache line, 64 bytes).
const ZVA_BLOCK_BYTES: u64 = 64;

// ANCHOR: outcome
/// The device accesses an emulation made, in order, for `vmtrace`
/// (address, store, the device's answer).
pub type Accesses = [Option<(u64, bool, Access)>; MAX_ACCESSES];

/// What came of an emulation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Performed, the registers written and the PC moved on; the device
    /// accesses are in the caller's [`Accesses`].
    Emulated,
    /// The guest takes a data abort at EL1 instead, as on the A53.
    Injected,
    /// The VM must stop, for this reason, at this address.
    Halt(&'static str, u64),
}
// ANCHOR_END: outcome

/// What stops an emulation part way.
enum Stop {
    /// The guest takes a data abort at EL1 with this DFSC, for `va`.
    GuestFault { dfsc: u64, va: u64, write: bool },
    /// The VM stops, for this reason, at this address.
    Halt(&'static str, u64),
}

// ANCHOR: undescribed
/// Emulate the load or store at the guest's PC whose stage-2 abort at
/// `ipa` had no syndrome to describe it; the device accesses it made go to
/// `traced`.
pub fn undescribed(
    vm: &mut Vm,
    seat: Seat,
    cpu: &mut impl Cpu,
    ipa: u64,
    traced: &mut Accesses,
) -> Outcome {
    let pc = vm.frame.pc;
    let el0 = vm.frame.pstate & PSTATE_EL_MASK == 0;
    // Read as EL1 would: AP never denies EL1 a read, and EL0 may execute
    // code it may not read (execute-only).
    let Ok(insn) = guest_memory::read_virtual_u32(vm, cpu, pc, false) else {
        return Outcome::Halt("MMIO access whose instruction cannot be fetched", ipa);
    };
    if let Some(rt) = load_store::dc_zva(insn) {
        return zero_block(vm, seat, cpu, x_or_zero(vm, rt), el0, traced);
    }
    match load_store::exclusive(insn) {
        Some(Ok(ex)) => return exclusive(vm, seat, cpu, &ex, el0, traced),
        Some(Err(reason)) => return Outcome::Halt(reason, ipa),
        None => {}
    }
    let op = match load_store::decode(insn) {
        Ok(op) => op,
        Err(reason) => return Outcome::Halt(reason, ipa),
    };
    let mut el1 = vm.el1_now(cpu);
    let sp = if el0 || vm.frame.pstate & PSTATE_SP_ELX == 0 {
        &mut el1.sp_el0
    } else {
        &mut el1.sp_el1
    };
    let base = if op.rn == SP_OR_ZR {
        *sp
    } else {
        vm.frame.x[op.rn as usize]
    };
    let rm_value = match op.offset {
        Offset::Register { rm, .. } => x_or_zero(vm, rm),
        Offset::Immediate(_) => 0,
    };
    let (address, new_base) = op.address(base, rm_value);
    let mut fp = matches!(op.bank, Bank::Fp).then(|| vm.fp_now(cpu));
    let mut loaded = [[0u64; 2]; 2];
    let done = perform(
        vm,
        seat,
        cpu,
        &op,
        address,
        el0,
        fp.as_ref(),
        &mut loaded,
        traced,
    );
    if let Err(stop) = done {
        return match stop {
            Stop::Halt(what, at) => Outcome::Halt(what, at),
            Stop::GuestFault { dfsc, va, write } => {
                inject_data_abort(vm, cpu, dfsc, va, write, el0);
                Outcome::Injected
            }
        };
    }
    for (i, rt) in registers(&op).enumerate() {
        let [low, high] = loaded[i];
        if !op.load {
            continue;
        }
        match (op.bank, fp.as_mut()) {
            (Bank::Fp, Some(fp)) => fp.q[rt as usize] = [low, high],
            (
                Bank::General {
                    sign_extend,
                    sixty_four,
                },
                _,
            ) if rt != SP_OR_ZR => {
                vm.frame.x[rt as usize] = decode::extend(low, op.bytes, sign_extend, sixty_four);
            }
            _ => {}
        }
    }
    if let (Some(fp), true) = (fp, op.load) {
        vm.set_fp(cpu, &fp);
    }
    if let Some(new_base) = new_base {
        if op.rn == SP_OR_ZR {
            *sp = new_base;
            vm.set_el1(cpu, &el1);
        } else {
            vm.frame.x[op.rn as usize] = new_base;
        }
    }
    vm.frame.pc += INSTRUCTION_BYTES;
    vm.exits.decoded += 1;
    Outcome::Emulated
}
// ANCHOR_END: undescribed

// ANCHOR: exclusive
/// A load- or store-exclusive to a device, as a Cortex-A53 on the BCM2837
/// performs it. The A53 sends an exclusive access to Device or
/// non-cacheable memory to the bus as one (ARLOCK/AWLOCK); the BCM2837's
/// peripherals do not support exclusives and answer OKAY, not EXOKAY. For
/// a load that is a data abort with the IMPLEMENTATION DEFINED status
/// 0b110101, unsupported exclusive access (Cortex-A53 TRM, the L1 data
/// memory system's exclusive monitor). For a store, an AXI slave without
/// exclusive support performs the write as an ordinary one, and the OKAY
/// makes the store-exclusive report failure: status 1 in Ws. Stage 1 and
/// alignment come first: an exclusive must be aligned to its whole size,
/// whatever the memory type.
fn exclusive(
    vm: &mut Vm,
    seat: Seat,
    cpu: &mut impl Cpu,
    ex: &Exclusive,
    el0: bool,
    traced: &mut Accesses,
) -> Outcome {
    let el1 = vm.el1_now(cpu);
    let base = if ex.rn == SP_OR_ZR {
        if el0 || vm.frame.pstate & PSTATE_SP_ELX == 0 {
            el1.sp_el0
        } else {
            el1.sp_el1
        }
    } else {
        vm.frame.x[ex.rn as usize]
    };
    let registers = core::iter::once(ex.rt).chain(ex.rt2);
    let total = u64::from(ex.bytes) * registers.clone().count() as u64;
    let kind = AccessKind {
        write: !ex.load,
        el0,
    };
    let translation = match guest_memory::translate(vm, cpu, base, kind) {
        Ok(translation) => translation,
        Err(fault) => {
            return match stage1_dfsc(fault) {
                Some(dfsc) => {
                    inject_data_abort(vm, cpu, dfsc, base, kind.write, el0);
                    Outcome::Injected
                }
                None => Outcome::Halt(fault.name(), base),
            }
        }
    };
    if !base.is_multiple_of(total) {
        inject_data_abort(vm, cpu, DFSC_ALIGNMENT, base, kind.write, el0);
        return Outcome::Injected;
    }
    if ex.load {
        inject_data_abort(vm, cpu, DFSC_UNSUPPORTED_EXCLUSIVE, base, false, el0);
        return Outcome::Injected;
    }
    let mut slots = traced.iter_mut();
    for (i, rt) in registers.enumerate() {
        let ipa = translation.ipa + i as u64 * u64::from(ex.bytes);
        let bits = u32::from(ex.bytes) * u8::BITS;
        let value = x_or_zero(vm, rt) & (u64::MAX >> (u64::BITS - bits));
        match access(vm, seat, cpu, ipa, ex.bytes, false, value) {
            Ok((_, device)) => {
                if let (Some(slot), Some(device)) = (slots.next(), device) {
                    *slot = Some((ipa, true, device));
                }
            }
            Err(Stop::Halt(what, at)) => return Outcome::Halt(what, at),
            Err(Stop::GuestFault { .. }) => unreachable!("`access` only halts"),
        }
    }
    if ex.rs != SP_OR_ZR {
        vm.frame.x[ex.rs as usize] = STORE_EXCLUSIVE_FAILED;
    }
    vm.frame.pc += INSTRUCTION_BYTES;
    vm.exits.decoded += 1;
    Outcome::Emulated
}
// ANCHOR_END: exclusive

// ANCHOR: dc_zva
/// `DC ZVA` at `va`: zero its 64-byte block. To memory the guest's stage 1
/// makes Device (all data memory with the MMU off) the A53 raises an
/// alignment fault at EL1, and so does this; to Normal memory it is eight
/// 64-bit stores of zero, in address order.
fn zero_block(
    vm: &mut Vm,
    seat: Seat,
    cpu: &mut impl Cpu,
    va: u64,
    el0: bool,
    traced: &mut Accesses,
) -> Outcome {
    let kind = AccessKind { write: true, el0 };
    let block = va & !(ZVA_BLOCK_BYTES - 1);
    let translation = match guest_memory::translate(vm, cpu, block, kind) {
        Ok(translation) => translation,
        Err(fault) => {
            return match stage1_dfsc(fault) {
                Some(dfsc) => {
                    inject_data_abort(vm, cpu, dfsc, va, true, el0);
                    Outcome::Injected
                }
                None => Outcome::Halt(fault.name(), va),
            }
        }
    };
    if matches!(translation.memory, MemoryType::Device(_)) {
        inject_data_abort(vm, cpu, DFSC_ALIGNMENT, va, true, el0);
        return Outcome::Injected;
    }
    for (i, slot) in traced.iter_mut().enumerate() {
        let ipa = translation.ipa + (i as u64) * u64::from(WIDEST_ACCESS);
        match access(vm, seat, cpu, ipa, WIDEST_ACCESS, false, 0) {
            Ok((_, device)) => *slot = device.map(|d| (ipa, true, d)),
            Err(Stop::Halt(what, at)) => return Outcome::Halt(what, at),
            Err(Stop::GuestFault { .. }) => unreachable!("`access` only halts"),
        }
    }
    vm.frame.pc += INSTRUCTION_BYTES;
    vm.exits.decoded += 1;
    Outcome::Emulated
}
// ANCHOR_END: dc_zva

/// The transferred registers, in the order of their accesses.
fn registers(op: &LoadStore) -> impl Iterator<Item = u8> {
    core::iter::once(op.rt).chain(op.rt2)
}

// ANCHOR: perform
/// Check and perform every access of `op` from `address`, in order,
/// filling `loaded` (per register: low and high 64 bits). Stage 1 and the
/// alignment rules are checked for all of them before the first is
/// performed, as the CPU faults before any access of the instruction.
#[allow(clippy::too_many_arguments)]
fn perform(
    vm: &mut Vm,
    seat: Seat,
    cpu: &mut impl Cpu,
    op: &LoadStore,
    address: u64,
    el0: bool,
    fp: Option<&FpState>,
    loaded: &mut [[u64; 2]; 2],
    traced: &mut Accesses,
) -> Result<(), Stop> {
    let chunk = op.bytes.min(WIDEST_ACCESS);
    let chunks = op.bytes / chunk;
    let kind = AccessKind {
        write: !op.load,
        el0,
    };
    // One pass to translate and check, one to perform.
    let mut ipas = [[0u64; 2]; 2];
    for (i, _) in registers(op).enumerate() {
        let at = address.wrapping_add(i as u64 * u64::from(op.bytes));
        for c in 0..chunks {
            let va = at.wrapping_add(u64::from(c * chunk));
            let translation = guest_memory::translate(vm, cpu, va, kind).map_err(|fault| {
                match stage1_dfsc(fault) {
                    Some(dfsc) => Stop::GuestFault {
                        dfsc,
                        va,
                        write: kind.write,
                    },
                    None => Stop::Halt(fault.name(), va),
                }
            })?;
            let device = matches!(translation.memory, MemoryType::Device(_));
            // Device memory: each register's access aligned to its size.
            if (device || translation.alignment_checked) && !at.is_multiple_of(u64::from(op.bytes))
            {
                return Err(Stop::GuestFault {
                    dfsc: DFSC_ALIGNMENT,
                    va: at,
                    write: kind.write,
                });
            }
            ipas[i][c as usize] = translation.ipa;
        }
    }
    let mut slots = traced.iter_mut();
    for (i, rt) in registers(op).enumerate() {
        for c in 0..chunks as usize {
            let ipa = ipas[i][c];
            let value = store_value(vm, op, fp, rt, c);
            let (value, device) = access(vm, seat, cpu, ipa, chunk, op.load, value)?;
            loaded[i][c] = value;
            if let (Some(slot), Some(device)) = (slots.next(), device) {
                *slot = Some((ipa, !op.load, device));
            }
        }
    }
    Ok(())
}
// ANCHOR_END: perform

/// The value a store writes from register `rt` (its `chunk`th 64 bits).
fn store_value(vm: &Vm, op: &LoadStore, fp: Option<&FpState>, rt: u8, chunk: usize) -> u64 {
    let value = match (op.bank, fp) {
        (Bank::Fp, Some(fp)) => fp.q[rt as usize][chunk],
        _ => x_or_zero(vm, rt),
    };
    let bits = u32::from(op.bytes.min(WIDEST_ACCESS)) * u8::BITS;
    if bits >= u64::BITS {
        value
    } else {
        value & ((1 << bits) - 1)
    }
}

/// One access of `bytes` at `ipa`: to the virtual board, or to the VM's
/// RAM (a pair that crossed out of a device page). The value loaded, and
/// the device's answer if it was one.
fn access(
    vm: &mut Vm,
    seat: Seat,
    cpu: &mut impl Cpu,
    ipa: u64,
    bytes: u8,
    load: bool,
    value: u64,
) -> Result<(u64, Option<Access>), Stop> {
    let size = decode::access_size(bytes);
    if VirtualBoard::claims(ipa) {
        let access: Option<Access> = {
            let (board, mut env) = vm.env(seat, cpu);
            if load {
                board.read(ipa, size, &mut env)
            } else {
                board.write(ipa, size, value, &mut env)
            }
        };
        let access = access.ok_or(Stop::Halt("access outside the VM's RAM and devices", ipa))?;
        return Ok((if load { access.value } else { 0 }, Some(access)));
    }
    let len = usize::from(bytes);
    let mut buffer = [0u8; WIDEST_ACCESS as usize];
    let done = if load {
        GuestRam::of(vm, cpu).is_some_and(|ram| ram.read(ipa, &mut buffer[..len]))
    } else {
        buffer = value.to_le_bytes();
        let config = vm.config.expect("only configured VMs run");
        guest_memory::write(cpu, config, ipa, &buffer[..len])
    };
    if !done {
        return Err(Stop::Halt(
            if load {
                "load outside the VM's RAM and devices"
            } else {
                "store outside the VM's RAM and devices"
            },
            ipa,
        ));
    }
    Ok((u64::from_le_bytes(buffer), None))
}

/// Xn, with 31 as the zero register.
fn x_or_zero(vm: &Vm, n: u8) -> u64 {
    if n == SP_OR_ZR {
        0
    } else {
        vm.frame.x[n as usize]
    }
}

/// The fault status code of a stage-1 fault the guest takes itself, or
/// `None` for one that would have reached EL2 on the CPU (a walk outside
/// its RAM is a stage-2 fault) or that the walk does not model.
fn stage1_dfsc(fault: Stage1Fault) -> Option<u64> {
    Some(match fault {
        Stage1Fault::AddressSize(level) => DFSC_ADDRESS_SIZE | u64::from(level),
        Stage1Fault::Translation(level) => DFSC_TRANSLATION | u64::from(level),
        Stage1Fault::AccessFlag(level) => DFSC_ACCESS_FLAG | u64::from(level),
        Stage1Fault::Permission(level) => DFSC_PERMISSION | u64::from(level),
        Stage1Fault::WalkOutsideRam(_) | Stage1Fault::UnsupportedGranule => return None,
    })
}

/// The syndrome of a data abort the guest takes at EL1.
pub fn data_abort_esr(dfsc: u64, write: bool, el0: bool) -> u64 {
    let ec = if el0 {
        EC_DATA_ABORT_LOWER
    } else {
        EC_DATA_ABORT_SAME
    };
    ec << EC_SHIFT | ESR_IL | if write { ESR_WNR } else { 0 } | dfsc
}

/// Make the guest take a data abort at EL1 for `va`, as the A53 would
/// have instead of reaching EL2.
fn inject_data_abort(vm: &mut Vm, cpu: &mut impl Cpu, dfsc: u64, va: u64, write: bool, el0: bool) {
    vm.inject_exception(cpu, data_abort_esr(dfsc, write, el0));
    let mut el1 = vm.el1_now(cpu);
    el1.far = va;
    vm.set_el1(cpu, &el1);
}
