//! Taking exceptions at EL1: the vector table, and where each kind of
//! exception goes.
//!
//! From a task (EL0): `svc` is a system call, an IRQ is the timer tick, and
//! anything else (a fault, an undefined instruction) ends that task with a
//! report while the others run on. From the kernel itself (EL1): a bug, so
//! report and halt.

use super::{irq, scheduler, syscalls};
use aarch64_cpu::registers::VBAR_EL1;
use lrtos::context::{TrapFrame, FRAME_ELR, FRAME_ESR, FRAME_SIZE, FRAME_SP_EL0};
use lrtos::trap::{decode_vector, ExceptionClass, Kind, Source};
use rt::cpu;
use tock_registers::interfaces::Writeable;
use ufmt::{uwrite, uwriteln};

core::arch::global_asm!(
    include_str!("vectors.s"),
    FRAME_SIZE = const FRAME_SIZE,
    FRAME_SP_EL0 = const FRAME_SP_EL0,
    FRAME_ELR = const FRAME_ELR,
    FRAME_ESR = const FRAME_ESR,
);

extern "C" {
    static __exception_vectors: u8;
    fn __enter_first_task(frame: *const TrapFrame) -> !;
}

/// Point VBAR_EL1 at the vector table.
pub fn install_vectors() {
    let table = core::ptr::addr_of!(__exception_vectors) as u64;
    VBAR_EL1.set(table);
    aarch64_cpu::asm::barrier::isb(aarch64_cpu::asm::barrier::SY);
}

/// Leave the kernel into the task whose registers are in `frame`.
///
/// # Safety
///
/// `frame` must hold a valid EL0 context, and nothing on the kernel stack
/// above it may be needed again: the kernel stack is reused from there.
pub unsafe fn enter_first_task(frame: &TrapFrame) -> ! {
    // SAFETY: passed on from the caller.
    unsafe { __enter_first_task(frame) }
}

// ANCHOR: entry
/// Called by `vectors.s` for every exception taken to EL1, with the frame
/// it saved. On return `vectors.s` resumes the context in the frame.
#[no_mangle]
extern "C" fn exception_entry(frame: &mut TrapFrame, vector: u64) {
    match decode_vector(vector) {
        (Source::LowerAarch64, Kind::Synchronous) => match ExceptionClass::from_esr(frame.esr) {
            ExceptionClass::Svc64 => syscalls::dispatch(frame),
            class => scheduler::kill_current(frame, class),
        },
        (Source::LowerAarch64, Kind::Irq) => irq::handle(frame),
        (source, kind) => report_and_halt(frame, source, kind),
    }
}
// ANCHOR_END: entry

/// Print everything known about an exception the kernel did not expect,
/// then stop.
fn report_and_halt(frame: &TrapFrame, source: Source, kind: Kind) -> ! {
    let mut w = rt::board::console();
    let from = match source {
        Source::CurrentSp0 => "EL1 on SP_EL0",
        Source::CurrentSpx => "the kernel (EL1)",
        Source::LowerAarch64 => "a task (EL0)",
        Source::LowerAarch32 => "an AArch32 task",
    };
    let what = match kind {
        Kind::Synchronous => ExceptionClass::from_esr(frame.esr).name(),
        Kind::Irq => "IRQ",
        Kind::Fiq => "FIQ",
        Kind::SError => "SError",
    };
    let c = &frame.context;
    let _ = uwriteln!(w, "\nlrtos: kernel fault: {} in {}", what, from);
    let _ = uwriteln!(w, "    ESR  {:#018x}  FAR  {:#018x}", frame.esr, frame.far);
    let _ = uwriteln!(w, "    ELR  {:#018x}  SPSR {:#018x}", c.elr, c.spsr);
    for (i, x) in c.x.iter().enumerate() {
        let pad = if i < 10 { " " } else { "" };
        let _ = uwrite!(w, "    x{}{} {:#018x}", i, pad, *x);
        if i % 3 == 2 || i == 30 {
            let _ = uwriteln!(w, "");
        }
    }
    let _ = uwriteln!(w, "lrtos: halted.");
    cpu::halt()
}
