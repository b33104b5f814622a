//! What the hypervisor does when a guest exits: one function per reason.
//!
//! Every exit either is handled (the guest resumes after the trapped
//! instruction), puts the VM to sleep (WFI), or stops that VM alone with a
//! one-line report. Nothing a guest does stops the hypervisor.

use super::decode;
use super::machine::{Hypervisor, SCROLLBACKS};
use super::state::{ExitKind, VmState};
use crate::arch::aarch64::esr::{Esr, ExceptionClass, SysReg, SysRegIss};
use crate::arch::aarch64::vcpu::{VECTOR_LOWER_IRQ, VECTOR_LOWER_SYNC};
use crate::arch::aarch64::{cpu, timer};
use crate::emu::{Access, VmEnv};
use crate::kernel::irq;
use crate::log;
use ufmt::uWrite;

/// Bytes of an AArch64 instruction.
const INSTRUCTION_BYTES: u64 = 4;
/// ISS bit 0 of a WFx trap: 1 for WFE, 0 for WFI.
const WFX_IS_WFE: u32 = 1;
/// The zero register's number.
const XZR: u8 = 31;

// ANCHOR: psci
/// SMCCC function ids answered for a VM (PSCI 1.1, 32- and 64-bit forms).
const PSCI_VERSION: u64 = 0x8400_0000;
const PSCI_CPU_ON_32: u64 = 0x8400_0003;
const PSCI_CPU_ON_64: u64 = 0xc400_0003;
const PSCI_SYSTEM_OFF: u64 = 0x8400_0008;
const PSCI_SYSTEM_RESET: u64 = 0x8400_0009;
const PSCI_FEATURES: u64 = 0x8400_000a;
/// What PSCI_VERSION returns: 1.1.
const PSCI_VERSION_1_1: u64 = 0x0001_0001;
/// SMCCC and PSCI return codes.
const SMCCC_NOT_SUPPORTED: u64 = -1i64 as u64;
const PSCI_ALREADY_ON: u64 = -4i64 as u64;
const PSCI_SUCCESS: u64 = 0;
// ANCHOR_END: psci

// ANCHOR: handle
/// Handle the exit of VM `index` through exception `vector`.
pub fn handle(hyp: &mut Hypervisor, index: usize, vector: u64) {
    match vector {
        VECTOR_LOWER_IRQ => {
            hyp.vms[index].exits.count(ExitKind::Irq);
            irq::handle();
        }
        VECTOR_LOWER_SYNC => synchronous(hyp, index),
        _ => {
            hyp.vms[index].exits.count(ExitKind::Other);
            fault(
                hyp,
                index,
                "an FIQ, SError or AArch32 exception reached EL2",
                0,
            );
        }
    }
    reset_if_requested(hyp, index);
}

// ANCHOR: watchdog_reset
/// If VM `index`'s PM watchdog ran out with a full reset configured,
/// restart that VM (only that one) from its image, as the board would
/// reboot. Checked after every exit, and by the scheduler for a sleeping
/// VM whose watchdog deadline passed. Returns whether it reset the VM.
pub fn reset_if_requested(hyp: &mut Hypervisor, index: usize) -> bool {
    let vm = &mut hyp.vms[index];
    let alive = matches!(vm.state, VmState::Runnable | VmState::Sleeping);
    if !vm.board.take_reset_request() || !alive {
        return false;
    }
    if vm.board.halt_on_reset() {
        // The firmware would stop here: the guest powered itself off.
        log!(
            "VM {} '{}' powered itself off (PM watchdog reset to partition 63)",
            index + 1,
            vm.name()
        );
        hyp.stop_vm(index, VmState::Stopped, super::machine::POWERED_OFF);
        return true;
    }
    log!(
        "VM {} '{}' reset itself through the PM watchdog",
        index + 1,
        vm.name()
    );
    hyp.reset_vm(index);
    true
}
// ANCHOR_END: watchdog_reset

fn synchronous(hyp: &mut Hypervisor, index: usize) {
    let esr = Esr(hyp.vms[index].frame.esr);
    match esr.class() {
        ExceptionClass::TrappedWfx => {
            hyp.vms[index].exits.count(ExitKind::Wfx);
            wfx(hyp, index, esr.iss() & WFX_IS_WFE != 0);
        }
        ExceptionClass::Hvc64 => {
            hyp.vms[index].exits.count(ExitKind::Hvc);
            smccc(hyp, index);
        }
        ExceptionClass::Smc64 => {
            hyp.vms[index].exits.count(ExitKind::Hvc);
            // A trapped SMC returns to the SMC itself: step over it.
            hyp.vms[index].frame.pc += INSTRUCTION_BYTES;
            smccc(hyp, index);
        }
        ExceptionClass::TrappedSysReg => {
            hyp.vms[index].exits.count(ExitKind::SysReg);
            system_register(hyp, index, SysRegIss(esr.iss()));
        }
        ExceptionClass::DataAbortLower => {
            hyp.vms[index].exits.count(ExitKind::Mmio);
            data_abort(hyp, index, esr);
        }
        ExceptionClass::InstructionAbortLower => {
            hyp.vms[index].exits.count(ExitKind::Other);
            instruction_abort(hyp, index, esr);
        }
        class => {
            hyp.vms[index].exits.count(ExitKind::Other);
            let far = hyp.vms[index].frame.far;
            fault(hyp, index, class.name(), far);
        }
    }
}
// ANCHOR_END: handle

// ANCHOR: wfx
/// WFI: sleep until an interrupt is pending for the VM. WFE: give up the
/// rest of the time slice.
fn wfx(hyp: &mut Hypervisor, index: usize, is_wfe: bool) {
    hyp.vms[index].frame.pc += INSTRUCTION_BYTES;
    if is_wfe {
        hyp.end_slice();
        return;
    }
    let (irq, fiq) = hyp.interrupt_lines(index, timer::now().ticks);
    if !irq && !fiq {
        hyp.vms[index].state = VmState::Sleeping;
    }
}
// ANCHOR_END: wfx

// ANCHOR: smccc
/// HVC or SMC: answer the PSCI calls that make sense for a one-core VM and
/// NOT_SUPPORTED for every other function id, as KVM does.
fn smccc(hyp: &mut Hypervisor, index: usize) {
    let function = hyp.vms[index].frame.x[0] & 0xffff_ffff;
    let result = match function {
        PSCI_VERSION => PSCI_VERSION_1_1,
        PSCI_CPU_ON_32 | PSCI_CPU_ON_64 => PSCI_ALREADY_ON,
        PSCI_FEATURES => match hyp.vms[index].frame.x[1] & 0xffff_ffff {
            PSCI_VERSION | PSCI_SYSTEM_OFF | PSCI_SYSTEM_RESET | PSCI_FEATURES => PSCI_SUCCESS,
            _ => SMCCC_NOT_SUPPORTED,
        },
        PSCI_SYSTEM_OFF => {
            log!(
                "VM {} '{}' powered itself off (PSCI SYSTEM_OFF)",
                index + 1,
                hyp.vms[index].name()
            );
            hyp.stop_vm(index, VmState::Stopped, super::machine::POWERED_OFF);
            return;
        }
        PSCI_SYSTEM_RESET => {
            log!(
                "VM {} '{}' reset itself (PSCI SYSTEM_RESET)",
                index + 1,
                hyp.vms[index].name()
            );
            hyp.reset_vm(index);
            return;
        }
        _ => SMCCC_NOT_SUPPORTED,
    };
    hyp.vms[index].frame.x[0] = result;
}
// ANCHOR_END: smccc

// ANCHOR: sysreg
/// CNTPCT_EL0: the physical counter, which guests see as their own time.
const CNTPCT_EL0: SysReg = SysReg {
    op0: 3,
    op1: 3,
    crn: 14,
    crm: 0,
    op2: 1,
};
/// The EL1 physical timer registers: read as zero, writes ignored (guests
/// use the virtual timer).
const CNTP_TVAL_EL0: SysReg = SysReg {
    op0: 3,
    op1: 3,
    crn: 14,
    crm: 2,
    op2: 0,
};
const CNTP_CTL_EL0: SysReg = SysReg {
    op0: 3,
    op1: 3,
    crn: 14,
    crm: 2,
    op2: 1,
};
const CNTP_CVAL_EL0: SysReg = SysReg {
    op0: 3,
    op1: 3,
    crn: 14,
    crm: 2,
    op2: 2,
};
/// ACTLR_EL1 (trapped by HCR_EL2.TACR): read as zero, writes ignored.
const ACTLR_EL1: SysReg = SysReg {
    op0: 3,
    op1: 0,
    crn: 1,
    crm: 0,
    op2: 1,
};
/// Implementation defined registers live at op0 = 3, CRn = 11 or 15.
const IMPDEF_CRN: [u8; 2] = [11, 15];
/// DC ISW / DC CSW / DC CISW: op0 = 1, op1 = 0, CRn = 7, CRm = 6/10/14, op2 = 2.
const DC_BY_SET_WAY_CRM: [u8; 3] = [6, 10, 14];

/// A trapped system register access: emulate it or stop the VM.
fn system_register(hyp: &mut Hypervisor, index: usize, iss: SysRegIss) {
    let reg = iss.register();
    let rt = iss.rt();
    let vm = &mut hyp.vms[index];
    let value = if rt == XZR {
        0
    } else {
        vm.frame.x[rt as usize]
    };
    let read_result = match reg {
        CNTPCT_EL0 => Some(timer::now().ticks.wrapping_sub(vm.cntvoff)),
        CNTP_TVAL_EL0 | CNTP_CTL_EL0 | CNTP_CVAL_EL0 | ACTLR_EL1 => Some(0),
        SysReg { op0: 3, crn, .. } if IMPDEF_CRN.contains(&crn) => Some(0),
        SysReg {
            op0: 1,
            op1: 0,
            crn: 7,
            crm,
            op2: 2,
        } if DC_BY_SET_WAY_CRM.contains(&crm) => {
            // By set/way operations act on the whole cache, which the
            // hypervisor shares: always clean as well as invalidate, so no
            // one else's data is thrown away.
            cpu::clean_invalidate_by_set_way(value);
            Some(0)
        }
        _ => None,
    };
    match read_result {
        Some(result) => {
            if iss.is_read() && rt != XZR {
                vm.frame.x[rt as usize] = result;
            }
            vm.frame.pc += INSTRUCTION_BYTES;
        }
        None => {
            let what = if iss.is_read() {
                "read of an unknown system register"
            } else {
                "write to an unknown system register"
            };
            log!(
                "VM {} '{}': {} S{}_{}_C{}_C{}_{}",
                index + 1,
                vm.name(),
                what,
                reg.op0,
                reg.op1,
                reg.crn,
                reg.crm,
                reg.op2
            );
            fault(hyp, index, what, 0);
        }
    }
}
// ANCHOR_END: sysreg

// ANCHOR: mmio
/// A stage-2 data abort: an access to an emulated device, or a fault.
fn data_abort(hyp: &mut Hypervisor, index: usize, esr: Esr) {
    let frame = &hyp.vms[index].frame;
    let Some(abort) = esr.abort() else { return };
    let ipa = decode::fault_ipa(abort, frame.hpfar, frame.far);
    if let Some(refusal) = decode::data_abort_refusal(abort, ipa) {
        fault(hyp, index, refusal, ipa);
        return;
    }
    let size = decode::access_size(abort.access_size());
    let rt = abort.register();
    let write = abort.is_write();
    let access = if write {
        let value = if rt == XZR {
            0
        } else {
            hyp.vms[index].frame.x[rt as usize]
        };
        let (board, mut env) = hyp.env_for_device(index);
        board.write(ipa, size, value, &mut env)
    } else {
        let (board, mut env) = hyp.env_for_device(index);
        let access = board.read(ipa, size, &mut env);
        if let Some(access) = access {
            let value = decode::extend(
                access.value,
                abort.access_size(),
                abort.sign_extend(),
                abort.sixty_four_bit(),
            );
            if rt != XZR {
                hyp.vms[index].frame.x[rt as usize] = value;
            }
        }
        access
    };
    let Some(access) = access else {
        // `data_abort_refusal` checked the address: not reached.
        fault(hyp, index, "access outside the VM's RAM and devices", ipa);
        return;
    };
    hyp.vms[index].frame.pc += INSTRUCTION_BYTES;
    trace(hyp, index, ipa, write, access);
}
// ANCHOR_END: mmio

// ANCHOR: trace
/// `vmtrace`: log the access into the VM's console if tracing is on.
fn trace(hyp: &mut Hypervisor, index: usize, ipa: u64, write: bool, access: Access) {
    let mut tracer = hyp.vms[index].trace;
    if !tracer.is_on() {
        return;
    }
    let at_line_start = {
        let scrollback = SCROLLBACKS[index].lock();
        let (older, newer) = scrollback.as_slices();
        newer.last().or(older.last()).is_none_or(|&c| c == b'\n')
    };
    let (_, mut env) = hyp.env_for_device(index);
    let _ = tracer.record(&mut ConsoleOf(&mut env), ipa, write, access, at_line_start);
    hyp.vms[index].trace = tracer;
}

/// A VM's console output (scrollback, and the wire when focused) as a
/// `uWrite`, for the tracer.
struct ConsoleOf<'a>(&'a mut dyn VmEnv);

impl uWrite for ConsoleOf<'_> {
    type Error = core::convert::Infallible;

    fn write_str(&mut self, s: &str) -> Result<(), Self::Error> {
        for byte in s.bytes() {
            self.0.console_write(byte);
        }
        Ok(())
    }
}
// ANCHOR_END: trace

// ANCHOR: instruction_abort
/// A stage-2 instruction abort: the guest jumped outside its RAM (stage 2
/// maps nothing else; the device windows trap every access, and a fetch
/// cannot be emulated), or its stage-1 tables for a fetch are not in its
/// RAM. Nothing to emulate: stop it.
fn instruction_abort(hyp: &mut Hypervisor, index: usize, esr: Esr) {
    let frame = &hyp.vms[index].frame;
    let Some(abort) = esr.abort() else { return };
    let ipa = decode::fault_ipa(abort, frame.hpfar, frame.far);
    fault(hyp, index, decode::instruction_abort_reason(abort), ipa);
}
// ANCHOR_END: instruction_abort

// ANCHOR: fault
/// Stop VM `index` alone, with one line naming the VM, the fault and the
/// address. The hypervisor and the other VMs carry on.
fn fault(hyp: &mut Hypervisor, index: usize, what: &'static str, address: u64) {
    let vm = &hyp.vms[index];
    log!(
        "VM {} '{}' halted: {} (EC {:#x}) at address {:#x}, pc {:#x}; 'vmreset {}' restarts it",
        index + 1,
        vm.name(),
        what,
        Esr(vm.frame.esr).ec(),
        address,
        vm.frame.pc,
        index + 1
    );
    hyp.stop_vm(index, VmState::Halted, what);
}
// ANCHOR_END: fault
