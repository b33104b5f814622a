//! Taking exceptions at EL2: the vector table, the saved register frame,
//! and the report printed when the hypervisor itself faults (written to
//! whatever writer the caller gives: `platform::fatal` owns the entry point
//! and the writer, so this layer imports nothing above it).

use super::esr::Esr;
use aarch64_cpu::registers::VBAR_EL2;
use tock_registers::interfaces::Writeable;
use ufmt::{uWrite, uwrite, uwriteln};

core::arch::global_asm!(include_str!("vectors.s"), options(raw));
// The `trap-floor` feature's measurement table and its `__trap_floor`
// (scripts/bench.sh), in a file of their own; no other build has them.
#[cfg(feature = "trap-floor")]
core::arch::global_asm!(include_str!("trap_floor.s"), options(raw));

// ANCHOR: frame
/// The registers `vectors.s` saves on the stack, in its layout.
#[repr(C)]
pub struct TrapFrame {
    /// x0 to x30.
    pub x: [u64; 31],
    /// Where to return (ELR_EL2).
    pub elr: u64,
    /// PSTATE to return with (SPSR_EL2).
    pub spsr: u64,
    /// Why the exception was taken (ESR_EL2).
    pub esr: u64,
    /// The faulting address, for aborts (FAR_EL2).
    pub far: u64,
    _pad: u64,
}
// ANCHOR_END: frame

// ANCHOR: decode
/// Where an exception came from: the group of four vectors it used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// EL2 running on SP_EL0 (ferrovisor never does).
    CurrentSp0,
    /// EL2 on its own stack: the hypervisor itself.
    CurrentSpx,
    /// A guest at EL1 or EL0 in AArch64.
    LowerAarch64,
    /// A guest in AArch32.
    LowerAarch32,
}

/// What kind of exception, within a group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Caused by an instruction.
    Synchronous,
    /// A normal interrupt.
    Irq,
    /// A fast interrupt.
    Fiq,
    /// An asynchronous system error.
    SError,
}

fn decode(vector: u64) -> (Source, Kind) {
    let source = match vector / 4 {
        0 => Source::CurrentSp0,
        1 => Source::CurrentSpx,
        2 => Source::LowerAarch64,
        _ => Source::LowerAarch32,
    };
    let kind = match vector % 4 {
        0 => Kind::Synchronous,
        1 => Kind::Irq,
        2 => Kind::Fiq,
        _ => Kind::SError,
    };
    (source, kind)
}
// ANCHOR_END: decode

// ANCHOR: install
extern "C" {
    static __exception_vectors: u8;
}

/// Point VBAR_EL2 at the vector table.
pub fn install_vectors() {
    // SAFETY: only the address of the linker-placed table is taken.
    let table = unsafe { &__exception_vectors as *const u8 as u64 };
    #[cfg(feature = "trap-floor")]
    let table = trap_floor_table(table);
    VBAR_EL2.set(table);
    aarch64_cpu::asm::barrier::isb(aarch64_cpu::asm::barrier::SY);
}
// ANCHOR_END: install

/// The measurement build's table (trap_floor.s) in place of `real`.
#[cfg(feature = "trap-floor")]
fn trap_floor_table(real: u64) -> u64 {
    extern "C" {
        static __trap_floor_vectors: u8;
    }
    let _ = real;
    // SAFETY: only the address of the linker-placed table is taken.
    unsafe { &__trap_floor_vectors as *const u8 as u64 }
}

// ANCHOR: report
/// Print everything known about an exception ferrovisor did not expect,
/// taken through exception `vector` (0-15) with the registers in `frame`.
pub fn report<W: uWrite>(w: &mut W, frame: &TrapFrame, vector: u64) {
    let (source, kind) = decode(vector);
    let esr = Esr(frame.esr);
    let from = match source {
        Source::CurrentSp0 => "EL2 on SP_EL0",
        Source::CurrentSpx => "EL2 (the hypervisor itself)",
        Source::LowerAarch64 => "a lower EL in AArch64",
        Source::LowerAarch32 => "a lower EL in AArch32",
    };
    let what = match kind {
        Kind::Synchronous => "synchronous exception",
        Kind::Irq => "IRQ",
        Kind::Fiq => "FIQ",
        Kind::SError => "SError",
    };
    let _ = uwriteln!(
        w,
        "\n*** ferrovisor: unexpected exception: {} from {}",
        what,
        from
    );
    let _ = uwriteln!(w, "    class: {} (EC {:#x})", esr.class().name(), esr.ec());
    if let Some(abort) = esr.abort() {
        let access = if abort.is_write() { "write" } else { "read" };
        let _ = uwriteln!(w, "    fault: {}, {}", abort.status(), access);
    }
    let _ = uwriteln!(w, "    ESR  {:#018x}  FAR  {:#018x}", frame.esr, frame.far);
    let _ = uwriteln!(w, "    ELR  {:#018x}  SPSR {:#018x}", frame.elr, frame.spsr);
    for (i, x) in frame.x.iter().enumerate() {
        let pad = if i < 10 { " " } else { "" };
        let _ = uwrite!(w, "    x{}{} {:#018x}", i, pad, *x);
        if i % 3 == 2 || i == 30 {
            let _ = uwriteln!(w, "");
        }
    }
    let _ = uwriteln!(
        w,
        "*** ferrovisor halted. Restart the board (in QEMU: Ctrl-A X quits)."
    );
}
// ANCHOR_END: report
