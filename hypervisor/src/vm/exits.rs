//! What the hypervisor does when a guest exits: one function per reason.
//!
//! A handler gets the VM it serves, where the VM sits ([`Seat`]) and the
//! CPU, and returns what the loop must do next ([`Next`]): resume the
//! guest after the trapped instruction, let it sleep (WFI), end its slice,
//! serve a physical interrupt, reset it, or stop that VM alone with a
//! one-line report. Nothing a guest does stops the hypervisor, and no
//! handler reaches into the loop's owner.

use super::coherence;
use super::cpu::Cpu;
use super::debug::Answer;
use super::decode;
use super::emulate::{self, Outcome};
use super::guest::{Seat, Vm};
use super::inject;
use super::state::{ExitKind, Fault, Why};
use crate::arch::aarch64::esr::{AbortIss, Esr, ExceptionClass, SysReg, SysRegIss};
use crate::arch::aarch64::vcpu::{VECTOR_LOWER_IRQ, VECTOR_LOWER_SYNC};
use crate::arch::aarch64::vm_controls::VmControl;
use crate::emu::{Access, VmEnv};
use crate::log;
use ufmt::uWrite;

/// Bytes of an AArch64 instruction.
const INSTRUCTION_BYTES: u64 = 4;
/// ISS bit 0 of a WFx trap: 1 for WFE, 0 for WFI.
const WFX_IS_WFE: u32 = 1;
/// The zero register's number.
const XZR: u8 = 31;

// ANCHOR: next
/// What the loop must do after an exit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// Resume the guest.
    Resume,
    /// WFI with no interrupt pending: the VM sleeps until one is.
    Sleep,
    /// WFE: the VM gives up the rest of its time slice.
    EndSlice,
    /// A physical interrupt ended the run: serve it.
    ServeInterrupts,
    /// Restart the VM from its image (PSCI SYSTEM_RESET).
    Reset,
    /// Stop the VM, for this reason.
    Stop(Why),
}
// ANCHOR_END: next

// ANCHOR: psci
/// SMCCC function ids answered for a VM: PSCI 1.1 (Arm DEN0022), the
/// SMC32 and SMC64 forms; SMCCC_VERSION is not (SMCCC 1.0).
const PSCI_VERSION: u64 = 0x8400_0000;
const PSCI_CPU_SUSPEND_32: u64 = 0x8400_0001;
const PSCI_CPU_SUSPEND_64: u64 = 0xc400_0001;
const PSCI_CPU_OFF: u64 = 0x8400_0002;
const PSCI_CPU_ON_32: u64 = 0x8400_0003;
const PSCI_CPU_ON_64: u64 = 0xc400_0003;
const PSCI_AFFINITY_INFO_32: u64 = 0x8400_0004;
const PSCI_AFFINITY_INFO_64: u64 = 0xc400_0004;
const PSCI_MIGRATE_INFO_TYPE: u64 = 0x8400_0006;
const PSCI_SYSTEM_OFF: u64 = 0x8400_0008;
const PSCI_SYSTEM_RESET: u64 = 0x8400_0009;
const PSCI_FEATURES: u64 = 0x8400_000a;
/// What PSCI_VERSION returns: 1.1.
const PSCI_VERSION_1_1: u64 = 0x0001_0001;
/// MIGRATE_INFO_TYPE: 2, no Trusted OS, nothing to migrate.
const MIGRATE_INFO_TYPE_NONE: u64 = 2;
/// AFFINITY_INFO: the affinity instance is ON.
const AFFINITY_ON: u64 = 0;
/// The highest affinity level AFFINITY_INFO takes (MPIDR Aff3 is level 3).
const AFFINITY_LEVEL_MAX: u64 = 3;
/// MPIDR affinity fields Aff0-Aff2 (bits 23:0) and Aff3 (bits 39:32), a
/// level's field being 8 bits wide.
const MPIDR_AFF_MASK: u64 = 0xff_00ff_ffff;
const AFFINITY_BITS: u64 = 8;
/// The one vCPU's affinity (VMPIDR_EL2 gives it Aff0 = 0, the rest 0).
const VCPU0_AFFINITY: u64 = 0;
/// SMCCC and PSCI return codes.
const PSCI_SUCCESS: u64 = 0;
const SMCCC_NOT_SUPPORTED: u64 = -1i64 as u64;
const PSCI_INVALID_PARAMETERS: u64 = -2i64 as u64;
const PSCI_ALREADY_ON: u64 = -4i64 as u64;
/// SMCCC: a function id is W0 (bits 63:32 of x0 are ignored).
const SMCCC_FUNCTION_MASK: u64 = 0xffff_ffff;
// ANCHOR_END: psci

// ANCHOR: fast
/// What [`fast`] made of an exit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fast {
    /// Handled, and nothing changed but the vCPU's registers, its exit
    /// counts and its console output: no interrupt line, no deadline, no
    /// other VM. The guest may run again at once, if the loop agrees.
    Resume,
    /// Handled; the loop must do this, on its slow path.
    Then(Next),
    /// Not an exit the fast path serves, and nothing was done: [`handle`]
    /// it.
    Slow,
}

/// The hottest exits, served without the rest of the loop: HVC and SMC
/// (PSCI and SMCCC, answered by the same [`smccc`] as on the slow path),
/// and word accesses to the mini UART's data and status registers, which a
/// polling console driver makes for every byte. Anything else, and any
/// access while `vmtrace` is on, is [`Fast::Slow`].
pub fn fast(vm: &mut Vm, seat: Seat, cpu: &mut impl Cpu, vector: u64) -> Fast {
    if vector != VECTOR_LOWER_SYNC {
        return Fast::Slow;
    }
    let esr = Esr(vm.frame.esr);
    // The raw class, compared with the three the fast path serves: no
    // decoding of the others.
    let ec = esr.ec();
    if ec == EC_HVC64 || ec == EC_SMC64 {
        // CPU_SUSPEND looks at the board (it waits like WFI): the slow path.
        if suspends(vm) {
            return Fast::Slow;
        }
        vm.exits.count(ExitKind::Hvc);
        if ec == EC_SMC64 {
            // A trapped SMC returns to the SMC itself: step over it.
            vm.frame.pc += INSTRUCTION_BYTES;
        }
        match smccc(vm, seat, cpu) {
            Next::Resume => Fast::Resume,
            next => Fast::Then(next),
        }
    } else if ec == EC_DATA_ABORT_LOWER {
        mini_uart(vm, seat, cpu, esr)
    } else {
        Fast::Slow
    }
}

/// The exception classes [`fast`] serves.
const EC_HVC64: u8 = ExceptionClass::Hvc64.ec();
const EC_SMC64: u8 = ExceptionClass::Smc64.ec();
const EC_DATA_ABORT_LOWER: u8 = ExceptionClass::DataAbortLower.ec();

/// Whether the VM's HVC or SMC is PSCI CPU_SUSPEND.
fn suspends(vm: &Vm) -> bool {
    matches!(
        vm.frame.x[0] & SMCCC_FUNCTION_MASK,
        PSCI_CPU_SUSPEND_32 | PSCI_CPU_SUSPEND_64
    )
}

/// A data abort that may be a word access to the mini UART's data or status
/// register: emulated without the rest of the board
/// ([`VirtualBoard::mini_uart_access`](crate::emu::VirtualBoard::mini_uart_access)).
/// [`Fast::Then`] if the access changed the UART's interrupt output, so the
/// loop computes the lines again.
fn mini_uart(vm: &mut Vm, seat: Seat, cpu: &mut impl Cpu, esr: Esr) -> Fast {
    // `fast` checked the class: this is a data abort from EL1.
    let abort = AbortIss(esr.iss());
    if !abort.is_valid() || abort.stage1_walk() || vm.trace.is_on() {
        return Fast::Slow;
    }
    let ipa = decode::fault_ipa(abort, vm.frame.hpfar, vm.frame.far);
    let size = decode::access_size(abort.access_size());
    let rt = abort.register();
    let write = abort.is_write().then(|| {
        if rt == XZR {
            0
        } else {
            vm.frame.x[rt as usize]
        }
    });
    let (board, mut env) = vm.env(seat, cpu);
    let Some((value, changed)) = board.mini_uart_access(ipa, size, write, &mut env) else {
        return Fast::Slow;
    };
    // A read traps only while the shadow is away. One after which no read
    // has a side effect any more (it took the last received byte) sends
    // the loop to map the shadow again, or every status read until the
    // next slow exit would trap: a guest printing after a key took two
    // traps per byte for as long as its output lasted.
    let shadow_back = write.is_none() && board.console_shadow_possible(&env);
    // A write to the shadow page that changed what the page reads (the
    // byte sent may have filled the console): the loop writes the shadow
    // again before the guest reads it.
    let shadow_stale = decode::is_shadow_write(abort) && board.console_shadow_stale(&env);
    vm.exits.count(ExitKind::Mmio);
    if write.is_none() && rt != XZR {
        vm.frame.x[rt as usize] = decode::extend(
            value,
            abort.access_size(),
            abort.sign_extend(),
            abort.sixty_four_bit(),
        );
    }
    vm.frame.pc += INSTRUCTION_BYTES;
    if changed || shadow_stale || shadow_back {
        Fast::Then(Next::Resume)
    } else {
        Fast::Resume
    }
}
// ANCHOR_END: fast

// ANCHOR: handle
/// Handle the exit of `vm` through exception `vector`.
pub fn handle(vm: &mut Vm, seat: Seat, cpu: &mut impl Cpu, vector: u64) -> Next {
    match vector {
        VECTOR_LOWER_IRQ => {
            vm.exits.count(ExitKind::Irq);
            Next::ServeInterrupts
        }
        VECTOR_LOWER_SYNC => synchronous(vm, seat, cpu),
        _ => {
            vm.exits.count(ExitKind::Other);
            fault(
                vm,
                seat,
                "an FIQ, SError or AArch32 exception reached EL2",
                0,
            )
        }
    }
}

fn synchronous(vm: &mut Vm, seat: Seat, cpu: &mut impl Cpu) -> Next {
    let esr = Esr(vm.frame.esr);
    match esr.class() {
        ExceptionClass::TrappedWfx => {
            vm.exits.count(ExitKind::Wfx);
            wfx(vm, seat, cpu, esr.iss() & WFX_IS_WFE != 0)
        }
        ExceptionClass::Hvc64 => {
            vm.exits.count(ExitKind::Hvc);
            smccc(vm, seat, cpu)
        }
        ExceptionClass::Smc64 => {
            vm.exits.count(ExitKind::Hvc);
            // A trapped SMC returns to the SMC itself: step over it.
            vm.frame.pc += INSTRUCTION_BYTES;
            smccc(vm, seat, cpu)
        }
        ExceptionClass::TrappedSysReg => {
            vm.exits.count(ExitKind::SysReg);
            system_register(vm, seat, cpu, SysRegIss(esr.iss()))
        }
        ExceptionClass::DataAbortLower => {
            vm.exits.count(ExitKind::Mmio);
            data_abort(vm, seat, cpu, esr)
        }
        ExceptionClass::InstructionAbortLower => {
            vm.exits.count(ExitKind::Other);
            instruction_abort(vm, seat, esr)
        }
        ExceptionClass::Unknown => {
            // Undefined at EL1 on a real A53 too: the guest's to handle.
            vm.exits.count(ExitKind::Other);
            undefined(vm, seat, cpu, None)
        }
        class => {
            vm.exits.count(ExitKind::Other);
            let far = vm.frame.far;
            fault(vm, seat, class.name(), far)
        }
    }
}
// ANCHOR_END: handle

// ANCHOR: wfx
/// WFI: sleep until an interrupt is pending for the VM. WFE: give up the
/// rest of the time slice.
fn wfx(vm: &mut Vm, seat: Seat, cpu: &mut impl Cpu, is_wfe: bool) -> Next {
    vm.frame.pc += INSTRUCTION_BYTES;
    if is_wfe {
        return Next::EndSlice;
    }
    let now = cpu.now().ticks;
    match vm.interrupt_lines(seat, cpu, now) {
        (false, false) => Next::Sleep,
        _ => Next::Resume,
    }
}
// ANCHOR_END: wfx

// ANCHOR: smccc
/// HVC or SMC: PSCI 1.1 for a VM with one vCPU (its MPIDR affinity 0), and
/// NOT_SUPPORTED for every other function id, as KVM does.
fn smccc(vm: &mut Vm, seat: Seat, cpu: &mut impl Cpu) -> Next {
    let function = vm.frame.x[0] & SMCCC_FUNCTION_MASK;
    let (arg1, arg2) = (vm.frame.x[1], vm.frame.x[2]);
    let result = match function {
        PSCI_VERSION => PSCI_VERSION_1_1,
        PSCI_FEATURES => features(arg1 & SMCCC_FUNCTION_MASK),
        PSCI_CPU_SUSPEND_32 | PSCI_CPU_SUSPEND_64 => {
            // Every power state is a standby: wait for an interrupt, as WFI
            // does, and return SUCCESS (a power-down state may return like
            // this too; the caller then resumes after the call).
            vm.frame.x[0] = PSCI_SUCCESS;
            let now = cpu.now().ticks;
            return match vm.interrupt_lines(seat, cpu, now) {
                (false, false) => Next::Sleep,
                _ => Next::Resume,
            };
        }
        PSCI_CPU_OFF => {
            log!(
                "VM {} '{}' turned its only CPU off (PSCI CPU_OFF)",
                seat.id(),
                vm.name()
            );
            return Next::Stop(Why::PoweredOff);
        }
        PSCI_CPU_ON_32 | PSCI_CPU_ON_64 => {
            if arg1 & MPIDR_AFF_MASK == VCPU0_AFFINITY {
                PSCI_ALREADY_ON
            } else {
                PSCI_INVALID_PARAMETERS
            }
        }
        PSCI_AFFINITY_INFO_32 | PSCI_AFFINITY_INFO_64 => affinity_info(arg1, arg2),
        PSCI_MIGRATE_INFO_TYPE => MIGRATE_INFO_TYPE_NONE,
        PSCI_SYSTEM_OFF => {
            log!(
                "VM {} '{}' powered itself off (PSCI SYSTEM_OFF)",
                seat.id(),
                vm.name()
            );
            return Next::Stop(Why::PoweredOff);
        }
        PSCI_SYSTEM_RESET => {
            log!(
                "VM {} '{}' reset itself (PSCI SYSTEM_RESET)",
                seat.id(),
                vm.name()
            );
            return Next::Reset;
        }
        _ => SMCCC_NOT_SUPPORTED,
    };
    vm.frame.x[0] = result;
    Next::Resume
}

/// PSCI_FEATURES: SUCCESS (no feature flags: CPU_SUSPEND takes the
/// original power-state format, no OS-initiated mode) for each function
/// answered above, NOT_SUPPORTED for the rest (SMCCC_VERSION included).
fn features(function: u64) -> u64 {
    match function {
        PSCI_VERSION
        | PSCI_CPU_SUSPEND_32
        | PSCI_CPU_SUSPEND_64
        | PSCI_CPU_OFF
        | PSCI_CPU_ON_32
        | PSCI_CPU_ON_64
        | PSCI_AFFINITY_INFO_32
        | PSCI_AFFINITY_INFO_64
        | PSCI_MIGRATE_INFO_TYPE
        | PSCI_SYSTEM_OFF
        | PSCI_SYSTEM_RESET
        | PSCI_FEATURES => PSCI_SUCCESS,
        _ => SMCCC_NOT_SUPPORTED,
    }
}

/// AFFINITY_INFO(target, lowest level): the one vCPU is ON; any affinity
/// that does not contain it does not exist.
fn affinity_info(target: u64, lowest_level: u64) -> u64 {
    if lowest_level > AFFINITY_LEVEL_MAX {
        return PSCI_INVALID_PARAMETERS;
    }
    // Ignore the fields below the lowest level asked about.
    let ignored = match lowest_level {
        0 => 0,
        level => (1u64 << (AFFINITY_BITS * level.min(3))) - 1,
    };
    if (target & MPIDR_AFF_MASK) & !ignored == VCPU0_AFFINITY {
        AFFINITY_ON
    } else {
        PSCI_INVALID_PARAMETERS
    }
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
/// The implementation defined registers of the Cortex-A53 (TRM r0p4, 4.2),
/// trapped by HCR_EL2.TIDCP: read as zero, writes ignored. The rest of
/// their space (op0 = 3, CRn = 11 or 15) is UNDEFINED on the A53.
const A53_IMPDEF: [SysReg; 8] = [
    // L2CTLR_EL1, L2ECTLR_EL1.
    impdef(11, 0, 2),
    impdef(11, 0, 3),
    // L2ACTLR_EL1.
    impdef(15, 0, 0),
    // CPUACTLR_EL1, CPUECTLR_EL1, CPUMERRSR_EL1, L2MERRSR_EL1.
    impdef(15, 2, 0),
    impdef(15, 2, 1),
    impdef(15, 2, 2),
    impdef(15, 2, 3),
    // CBAR_EL1.
    impdef(15, 3, 0),
];

/// An A53 implementation defined register: op0 = 3, op1 = 1.
const fn impdef(crn: u8, crm: u8, op2: u8) -> SysReg {
    SysReg {
        op0: 3,
        op1: 1,
        crn,
        crm,
        op2,
    }
}
/// DC ISW / DC CSW / DC CISW: op0 = 1, op1 = 0, CRn = 7, CRm = 6/10/14, op2 = 2.
const DC_BY_SET_WAY_CRM: [u8; 3] = [6, 10, 14];

/// A trapped system register access: emulate it, or make it UNDEFINED.
fn system_register(vm: &mut Vm, seat: Seat, cpu: &mut impl Cpu, iss: SysRegIss) -> Next {
    let reg = iss.register();
    let rt = iss.rt();
    let value = if rt == XZR {
        0
    } else {
        vm.frame.x[rt as usize]
    };
    let read_result = match reg {
        CNTPCT_EL0 => Some(cpu.now().ticks.wrapping_sub(vm.cntvoff)),
        CNTP_TVAL_EL0 | CNTP_CTL_EL0 | CNTP_CVAL_EL0 | ACTLR_EL1 => Some(0),
        reg if A53_IMPDEF.contains(&reg) => Some(0),
        SysReg {
            op0: 1,
            op1: 0,
            crn: 7,
            crm,
            op2: 2,
        } if DC_BY_SET_WAY_CRM.contains(&crm) => {
            // Never replayed on the physical cache, which the hypervisor
            // and the other cores share: the VM's RAM is flushed by VA.
            coherence::set_way(vm, cpu);
            Some(0)
        }
        // A write to a virtual memory control, trapped while the VM is
        // watched after a set/way operation (HCR_EL2.TVM).
        reg if !iss.is_read() && VmControl::of(reg).is_some() => {
            let control = VmControl::of(reg).expect("matched above");
            coherence::vm_control_write(vm, cpu, control, value);
            Some(0)
        }
        _ => match vm.debug.access(reg, (!iss.is_read()).then_some(value)) {
            Answer::Value(v) => Some(v),
            Answer::Undefined | Answer::NotMine => None,
        },
    };
    match read_result {
        Some(result) => {
            if iss.is_read() && rt != XZR {
                vm.frame.x[rt as usize] = result;
            }
            vm.frame.pc += INSTRUCTION_BYTES;
            Next::Resume
        }
        // What a Cortex-A53 does not have is UNDEFINED there: the guest
        // takes the exception at EL1, as on the board.
        None => undefined(vm, seat, cpu, Some(reg)),
    }
}

// ANCHOR: undefined
/// Make the guest take an Undefined Instruction exception at EL1 for the
/// instruction it trapped on (`reg`, when it was a system register access).
/// The first one since the VM's reset is logged, naming the register: what
/// a guest expected to find is worth knowing, but a guest may probe often.
fn undefined(vm: &mut Vm, seat: Seat, cpu: &mut impl Cpu, reg: Option<SysReg>) -> Next {
    if !vm.undefined_reported {
        vm.undefined_reported = true;
        log!(
            "VM {} '{}': {} at pc {:#x} is UNDEFINED on a Cortex-A53: injected at EL1 (only the first is logged)",
            seat.id(),
            vm.name(),
            Undefined(reg),
            vm.frame.pc
        );
    }
    vm.inject_exception(cpu, inject::ESR_UNDEFINED);
    Next::Resume
}

/// What was undefined, for the log: a system register, or an instruction.
struct Undefined(Option<SysReg>);

impl ufmt::uDisplay for Undefined {
    fn fmt<W: uWrite + ?Sized>(&self, f: &mut ufmt::Formatter<'_, W>) -> Result<(), W::Error> {
        match self.0 {
            Some(reg) => ufmt::uwrite!(f, "{}", reg),
            None => f.write_str("an instruction"),
        }
    }
}
// ANCHOR_END: undefined
// ANCHOR_END: sysreg

// ANCHOR: mmio
/// A stage-2 data abort: an access to an emulated device, or a fault.
fn data_abort(vm: &mut Vm, seat: Seat, cpu: &mut impl Cpu, esr: Esr) -> Next {
    let Some(abort) = esr.abort() else {
        return Next::Resume;
    };
    let ipa = decode::fault_ipa(abort, vm.frame.hpfar, vm.frame.far);
    if let Some(refusal) = decode::data_abort_refusal(abort, ipa) {
        return fault(vm, seat, refusal, ipa);
    }
    if !abort.is_valid() {
        // ISV = 0: a pair, writeback or SIMD&FP register. The instruction
        // says what the syndrome does not.
        let pc = vm.frame.pc;
        let mut accesses = [None; emulate::MAX_ACCESSES];
        return match emulate::undescribed(vm, seat, cpu, ipa, &mut accesses) {
            Outcome::Emulated => {
                for (ipa, write, access) in accesses.into_iter().flatten() {
                    trace(vm, seat, cpu, ipa, write, access);
                }
                let decoded = vm.exits.decoded;
                trace_decoded(vm, seat, cpu, pc, decoded);
                Next::Resume
            }
            Outcome::Injected => Next::Resume,
            Outcome::Halt(what, address) => fault(vm, seat, what, address),
        };
    }
    let size = decode::access_size(abort.access_size());
    let rt = abort.register();
    let write = abort.is_write();
    let access = if write {
        let value = if rt == XZR {
            0
        } else {
            vm.frame.x[rt as usize]
        };
        let (board, mut env) = vm.env(seat, cpu);
        board.write(ipa, size, value, &mut env)
    } else {
        let (board, mut env) = vm.env(seat, cpu);
        let access = board.read(ipa, size, &mut env);
        if let Some(access) = access {
            let value = decode::extend(
                access.value,
                abort.access_size(),
                abort.sign_extend(),
                abort.sixty_four_bit(),
            );
            if rt != XZR {
                vm.frame.x[rt as usize] = value;
            }
        }
        access
    };
    let Some(access) = access else {
        // `data_abort_refusal` checked the address: not reached.
        return fault(vm, seat, "access outside the VM's RAM and devices", ipa);
    };
    vm.frame.pc += INSTRUCTION_BYTES;
    trace(vm, seat, cpu, ipa, write, access);
    Next::Resume
}
// ANCHOR_END: mmio

// ANCHOR: trace
/// `vmtrace`: log the access into the VM's console if tracing is on.
fn trace(vm: &mut Vm, seat: Seat, cpu: &mut impl Cpu, ipa: u64, write: bool, access: Access) {
    let mut tracer = vm.trace;
    if !tracer.is_on() {
        return;
    }
    let at_line_start = {
        let scrollback = seat.consoles.scrollbacks[seat.index].lock();
        let (older, newer) = scrollback.as_slices();
        newer.last().or(older.last()).is_none_or(|&c| c == b'\n')
    };
    let (_, mut env) = vm.env(seat, cpu);
    let _ = tracer.record(&mut ConsoleOf(&mut env), ipa, write, access, at_line_start);
    vm.trace = tracer;
}

/// `vmtrace`: after the accesses of an instruction decoded because the
/// syndrome could not describe it (ISV = 0), a line that says so, with the
/// VM's count of such instructions.
fn trace_decoded(vm: &mut Vm, seat: Seat, cpu: &mut impl Cpu, pc: u64, count: u64) {
    let mut tracer = vm.trace;
    if !tracer.is_on() {
        return;
    }
    let (_, mut env) = vm.env(seat, cpu);
    let _ = tracer.decoded(&mut ConsoleOf(&mut env), pc, count);
    vm.trace = tracer;
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
fn instruction_abort(vm: &mut Vm, seat: Seat, esr: Esr) -> Next {
    let Some(abort) = esr.abort() else {
        return Next::Resume;
    };
    let ipa = decode::fault_ipa(abort, vm.frame.hpfar, vm.frame.far);
    fault(vm, seat, decode::instruction_abort_reason(abort), ipa)
}
// ANCHOR_END: instruction_abort

// ANCHOR: fault
/// Stop the VM alone, with one line naming the VM, the fault and the
/// address. The hypervisor and the other VMs carry on.
fn fault(vm: &Vm, seat: Seat, what: &'static str, address: u64) -> Next {
    let fault = Fault {
        what,
        address,
        pc: vm.frame.pc,
        ec: Esr(vm.frame.esr).ec(),
    };
    log!(
        "VM {} '{}' halted: {} (EC {:#x}) at address {:#x}, pc {:#x}; 'vmreset {}' restarts it",
        seat.id(),
        vm.name(),
        what,
        fault.ec,
        address,
        fault.pc,
        seat.id()
    );
    Next::Stop(Why::Faulted(fault))
}
// ANCHOR_END: fault
