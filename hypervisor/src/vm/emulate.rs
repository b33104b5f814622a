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
use super::stage1::{AccessKind, MemoryType, Stage1Fault, Translation};
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
    let el0 = vm.frame.pstate & PSTATE_EL_MASK == 0;
    // Read as EL1 would: AP never denies EL1 a read, and EL0 may execute
    // code it may not read (execute-only).
    let Ok(insn) = guest_memory::read_virtual_u32(vm, cpu, vm.frame.pc, false) else {
        return Outcome::Halt("MMIO access whose instruction cannot be fetched", ipa);
    };
    let mut guest = Guest { vm, seat, cpu, el0 };
    let done = if let Some(rt) = load_store::dc_zva(insn) {
        let va = guest.x_or_zero(rt);
        guest.zero_block(va, traced)
    } else if let Some(exclusive) = load_store::exclusive(insn) {
        match exclusive {
            Ok(ex) => guest.exclusive(&ex, traced),
            Err(reason) => Err(Stop::Halt(reason, ipa)),
        }
    } else {
        match load_store::decode(insn) {
            Ok(op) => guest.load_store(&op, traced),
            Err(reason) => Err(Stop::Halt(reason, ipa)),
        }
    };
    match done {
        Ok(()) => {
            guest.vm.frame.pc += INSTRUCTION_BYTES;
            guest.vm.exits.decoded += 1;
            Outcome::Emulated
        }
        Err(Stop::Halt(what, at)) => Outcome::Halt(what, at),
        Err(Stop::GuestFault { dfsc, va, write }) => {
            guest.inject_data_abort(dfsc, va, write);
            Outcome::Injected
        }
    }
}
// ANCHOR_END: undescribed

/// The VM being emulated for, where it sits, the CPU, and whether the
/// access came from EL0.
struct Guest<'a, C: Cpu> {
    vm: &'a mut Vm,
    seat: Seat,
    cpu: &'a mut C,
    el0: bool,
}

impl<C: Cpu> Guest<'_, C> {
    // ANCHOR: load_store
    /// A load or store of one or two registers: address, accesses, the
    /// loaded registers, writeback.
    fn load_store(&mut self, op: &LoadStore, traced: &mut Accesses) -> Result<(), Stop> {
        let base = self.base(op.rn);
        let rm_value = match op.offset {
            Offset::Register { rm, .. } => self.x_or_zero(rm),
            Offset::Immediate(_) => 0,
        };
        let (address, new_base) = op.address(base, rm_value);
        let mut fp = matches!(op.bank, Bank::Fp).then(|| self.vm.fp_now(self.cpu));
        let loaded = self.perform(op, address, fp.as_ref(), traced)?;
        if op.load {
            for (i, rt) in registers(op).enumerate() {
                let [low, high] = loaded[i];
                match (op.bank, fp.as_mut()) {
                    (Bank::Fp, Some(fp)) => fp.q[rt as usize] = [low, high],
                    (
                        Bank::General {
                            sign_extend,
                            sixty_four,
                        },
                        _,
                    ) if rt != SP_OR_ZR => {
                        let value = decode::extend(low, op.bytes, sign_extend, sixty_four);
                        self.vm.frame.x[rt as usize] = value;
                    }
                    _ => {}
                }
            }
            if let Some(fp) = fp {
                self.vm.set_fp(self.cpu, &fp);
            }
        }
        if let Some(new_base) = new_base {
            self.set_base(op.rn, new_base);
        }
        Ok(())
    }
    // ANCHOR_END: load_store

    // ANCHOR: perform
    /// Check and perform every access of `op` from `address`, in order;
    /// what each register loaded (low and high 64 bits). Stage 1 and the
    /// alignment rules are checked for all of them before the first is
    /// performed, as the CPU faults before any access of the instruction.
    fn perform(
        &mut self,
        op: &LoadStore,
        address: u64,
        fp: Option<&FpState>,
        traced: &mut Accesses,
    ) -> Result<[[u64; 2]; 2], Stop> {
        let chunk = op.bytes.min(WIDEST_ACCESS);
        let chunks = usize::from(op.bytes / chunk);
        let write = !op.load;
        // One pass to translate and check, one to perform.
        let mut ipas = [[0u64; 2]; 2];
        for (i, _) in registers(op).enumerate() {
            let at = address.wrapping_add(i as u64 * u64::from(op.bytes));
            for (c, ipa) in ipas[i].iter_mut().enumerate().take(chunks) {
                let va = at.wrapping_add((c * usize::from(chunk)) as u64);
                let translation = self.stage1(va, write)?;
                let device = matches!(translation.memory, MemoryType::Device(_));
                // Device memory: each register's access aligned to its size.
                if (device || translation.alignment_checked)
                    && !at.is_multiple_of(u64::from(op.bytes))
                {
                    return Err(Stop::GuestFault {
                        dfsc: DFSC_ALIGNMENT,
                        va: at,
                        write,
                    });
                }
                *ipa = translation.ipa;
            }
        }
        let mut loaded = [[0u64; 2]; 2];
        let mut slots = traced.iter_mut();
        for (i, rt) in registers(op).enumerate() {
            for c in 0..chunks {
                let ipa = ipas[i][c];
                let value = store_value(self.vm, op, fp, rt, c);
                let (value, device) = self.access(ipa, chunk, op.load, value)?;
                loaded[i][c] = value;
                if let (Some(slot), Some(device)) = (slots.next(), device) {
                    *slot = Some((ipa, write, device));
                }
            }
        }
        Ok(loaded)
    }
    // ANCHOR_END: perform

    // ANCHOR: exclusive
    /// A load- or store-exclusive to a device, as a Cortex-A53 on the
    /// BCM2837 performs it. The A53 sends an exclusive access to Device or
    /// non-cacheable memory to the bus as one (ARLOCK/AWLOCK); the
    /// BCM2837's peripherals do not support exclusives and answer OKAY, not
    /// EXOKAY. For a load that is a data abort with the IMPLEMENTATION
    /// DEFINED status 0b110101, unsupported exclusive access (Cortex-A53
    /// TRM, the L1 data memory system's exclusive monitor). For a store, an
    /// AXI slave without exclusive support performs the write as an
    /// ordinary one, and the OKAY makes the store-exclusive report failure:
    /// status 1 in Ws. Stage 1 and alignment come first: an exclusive must
    /// be aligned to its whole size, whatever the memory type.
    fn exclusive(&mut self, ex: &Exclusive, traced: &mut Accesses) -> Result<(), Stop> {
        let base = self.base(ex.rn);
        let registers = core::iter::once(ex.rt).chain(ex.rt2);
        let total = u64::from(ex.bytes) * registers.clone().count() as u64;
        let write = !ex.load;
        let translation = self.stage1(base, write)?;
        let fault = |dfsc| Stop::GuestFault {
            dfsc,
            va: base,
            write,
        };
        if !base.is_multiple_of(total) {
            return Err(fault(DFSC_ALIGNMENT));
        }
        if ex.load {
            return Err(fault(DFSC_UNSUPPORTED_EXCLUSIVE));
        }
        let mut slots = traced.iter_mut();
        for (i, rt) in registers.enumerate() {
            let ipa = translation.ipa + i as u64 * u64::from(ex.bytes);
            let bits = u32::from(ex.bytes) * u8::BITS;
            let value = self.x_or_zero(rt) & (u64::MAX >> (u64::BITS - bits));
            let (_, device) = self.access(ipa, ex.bytes, false, value)?;
            if let (Some(slot), Some(device)) = (slots.next(), device) {
                *slot = Some((ipa, true, device));
            }
        }
        if ex.rs != SP_OR_ZR {
            self.vm.frame.x[ex.rs as usize] = STORE_EXCLUSIVE_FAILED;
        }
        Ok(())
    }
    // ANCHOR_END: exclusive

    // ANCHOR: dc_zva
    /// `DC ZVA` at `va`: zero its 64-byte block. To memory the guest's
    /// stage 1 makes Device (all data memory with the MMU off) the A53
    /// raises an alignment fault at EL1, and so does this; to Normal memory
    /// it is eight 64-bit stores of zero, in address order.
    fn zero_block(&mut self, va: u64, traced: &mut Accesses) -> Result<(), Stop> {
        let block = va & !(ZVA_BLOCK_BYTES - 1);
        let translation = self.stage1(block, true)?;
        if matches!(translation.memory, MemoryType::Device(_)) {
            return Err(Stop::GuestFault {
                dfsc: DFSC_ALIGNMENT,
                va,
                write: true,
            });
        }
        for (i, slot) in traced.iter_mut().enumerate() {
            let ipa = translation.ipa + (i as u64) * u64::from(WIDEST_ACCESS);
            let (_, device) = self.access(ipa, WIDEST_ACCESS, false, 0)?;
            *slot = device.map(|d| (ipa, true, d));
        }
        Ok(())
    }
    // ANCHOR_END: dc_zva

    /// Translate `va` through the guest's stage 1 for a load or a store; a
    /// fault the guest takes itself, or one that stops the VM (a walk
    /// outside its RAM: on the CPU, a stage-2 fault on the walk).
    fn stage1(&mut self, va: u64, write: bool) -> Result<Translation, Stop> {
        let kind = AccessKind {
            write,
            el0: self.el0,
        };
        guest_memory::translate(self.vm, self.cpu, va, kind).map_err(|fault| {
            match stage1_dfsc(fault) {
                Some(dfsc) => Stop::GuestFault { dfsc, va, write },
                None => Stop::Halt(fault.name(), va),
            }
        })
    }

    /// The stack pointer register 31 names as a base: SP_EL0 at EL0 or on
    /// EL1t, SP_EL1 on EL1h; live or saved, as the rest of EL1's state.
    fn sp_is_el1(&self) -> bool {
        !self.el0 && self.vm.frame.pstate & PSTATE_SP_ELX != 0
    }

    /// The value of base register `rn` (31: SP).
    fn base(&self, rn: u8) -> u64 {
        if rn != SP_OR_ZR {
            return self.vm.frame.x[rn as usize];
        }
        let el1 = self.vm.el1_now(self.cpu);
        if self.sp_is_el1() {
            el1.sp_el1
        } else {
            el1.sp_el0
        }
    }

    /// Write `value` back to base register `rn` (31: SP).
    fn set_base(&mut self, rn: u8, value: u64) {
        if rn != SP_OR_ZR {
            self.vm.frame.x[rn as usize] = value;
            return;
        }
        let mut el1 = self.vm.el1_now(self.cpu);
        if self.sp_is_el1() {
            el1.sp_el1 = value;
        } else {
            el1.sp_el0 = value;
        }
        self.vm.set_el1(self.cpu, &el1);
    }

    /// Xn, with 31 as the zero register.
    fn x_or_zero(&self, n: u8) -> u64 {
        x_or_zero(self.vm, n)
    }

    /// One access; see [`access`].
    fn access(
        &mut self,
        ipa: u64,
        bytes: u8,
        load: bool,
        value: u64,
    ) -> Result<(u64, Option<Access>), Stop> {
        access(self.vm, self.seat, self.cpu, ipa, bytes, load, value)
    }

    /// Make the guest take a data abort at EL1 for `va`, as the A53 would
    /// have instead of reaching EL2.
    fn inject_data_abort(&mut self, dfsc: u64, va: u64, write: bool) {
        self.vm
            .inject_exception(self.cpu, data_abort_esr(dfsc, write, self.el0));
        let mut el1 = self.vm.el1_now(self.cpu);
        el1.far = va;
        self.vm.set_el1(self.cpu, &el1);
    }
}

/// The transferred registers, in the order of their accesses.
fn registers(op: &LoadStore) -> impl Iterator<Item = u8> {
    core::iter::once(op.rt).chain(op.rt2)
}

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
