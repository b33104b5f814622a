//! What an exception is: which vector was taken, and the exception class
//! in the syndrome register (ESR_EL1).
//!
//! The vector table has sixteen entries: {current EL with SP_EL0, current
//! EL with SP_ELx, lower EL in AArch64, lower EL in AArch32} x
//! {synchronous, IRQ, FIQ, SError} (Arm ARM D1.10.2). `vectors.s` passes
//! the entry's number; [`decode_vector`] turns it back into the pair.

// ANCHOR: vector
/// Where an exception came from: the group of four vectors it used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// EL1 running on SP_EL0 (lrtos's kernel never does).
    CurrentSp0,
    /// EL1 on its own stack: the kernel itself.
    CurrentSpx,
    /// A task at EL0 in AArch64.
    LowerAarch64,
    /// A task in AArch32 (lrtos has none).
    LowerAarch32,
}

/// What kind of exception, within a group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Caused by an instruction: `svc`, a fault, ...
    Synchronous,
    /// An interrupt.
    Irq,
    /// A fast interrupt.
    Fiq,
    /// An asynchronous system error.
    SError,
}

/// Vectors per group.
const KINDS: u64 = 4;

/// The source and kind of vector table entry `vector` (0 to 15).
pub fn decode_vector(vector: u64) -> (Source, Kind) {
    let source = match vector / KINDS {
        0 => Source::CurrentSp0,
        1 => Source::CurrentSpx,
        2 => Source::LowerAarch64,
        _ => Source::LowerAarch32,
    };
    let kind = match vector % KINDS {
        0 => Kind::Synchronous,
        1 => Kind::Irq,
        2 => Kind::Fiq,
        _ => Kind::SError,
    };
    (source, kind)
}
// ANCHOR_END: vector

/// ESR_ELx.EC, bits `[31:26]`: the exception class.
const EC_SHIFT: u32 = 26;
/// EC is six bits wide.
const EC_MASK: u64 = 0b11_1111;

/// The exception classes lrtos tells apart (Arm ARM D17.2.37, ESR_EL1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExceptionClass {
    /// EC 0x00: an undefined instruction, among others.
    Unknown,
    /// EC 0x01: a trapped WFI or WFE.
    TrappedWfx,
    /// EC 0x15: `svc` in AArch64: a system call.
    Svc64,
    /// EC 0x18: a trapped MSR, MRS or system instruction.
    TrappedSysReg,
    /// EC 0x20: an instruction abort from EL0.
    InstructionAbortLower,
    /// EC 0x21: an instruction abort at EL1.
    InstructionAbortSame,
    /// EC 0x22: a misaligned PC.
    PcAlignment,
    /// EC 0x24: a data abort from EL0.
    DataAbortLower,
    /// EC 0x25: a data abort at EL1.
    DataAbortSame,
    /// EC 0x26: a misaligned SP.
    SpAlignment,
    /// EC 0x3c: a `brk` instruction.
    Brk,
    /// Any other class.
    Other(u8),
}

impl ExceptionClass {
    /// The class in a syndrome value.
    pub fn from_esr(esr: u64) -> Self {
        match (esr >> EC_SHIFT) & EC_MASK {
            0x00 => Self::Unknown,
            0x01 => Self::TrappedWfx,
            0x15 => Self::Svc64,
            0x18 => Self::TrappedSysReg,
            0x20 => Self::InstructionAbortLower,
            0x21 => Self::InstructionAbortSame,
            0x22 => Self::PcAlignment,
            0x24 => Self::DataAbortLower,
            0x25 => Self::DataAbortSame,
            0x26 => Self::SpAlignment,
            0x3c => Self::Brk,
            other => Self::Other(other as u8),
        }
    }

    /// A short name, for fault reports.
    pub fn name(self) -> &'static str {
        match self {
            Self::Unknown => "undefined instruction",
            Self::TrappedWfx => "trapped WFI/WFE",
            Self::Svc64 => "system call",
            Self::TrappedSysReg => "trapped system register access",
            Self::InstructionAbortLower | Self::InstructionAbortSame => "instruction abort",
            Self::PcAlignment => "misaligned PC",
            Self::DataAbortLower | Self::DataAbortSame => "data abort",
            Self::SpAlignment => "misaligned SP",
            Self::Brk => "breakpoint (brk)",
            Self::Other(_) => "unexpected exception",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vectors() {
        assert_eq!(decode_vector(0), (Source::CurrentSp0, Kind::Synchronous));
        assert_eq!(decode_vector(5), (Source::CurrentSpx, Kind::Irq));
        assert_eq!(decode_vector(8), (Source::LowerAarch64, Kind::Synchronous));
        assert_eq!(decode_vector(9), (Source::LowerAarch64, Kind::Irq));
        assert_eq!(decode_vector(15), (Source::LowerAarch32, Kind::SError));
    }

    #[test]
    fn classes() {
        // `svc #0` from EL0: EC 0x15, IL set.
        assert_eq!(ExceptionClass::from_esr(0x5600_0000), ExceptionClass::Svc64);
        // A translation fault on a read from EL0.
        assert_eq!(
            ExceptionClass::from_esr(0x9200_0004),
            ExceptionClass::DataAbortLower
        );
        assert_eq!(
            ExceptionClass::from_esr(0x8200_000f),
            ExceptionClass::InstructionAbortLower
        );
        assert_eq!(
            ExceptionClass::from_esr(0x3f << 26),
            ExceptionClass::Other(0x3f)
        );
        assert_eq!(ExceptionClass::DataAbortLower.name(), "data abort");
    }
}
