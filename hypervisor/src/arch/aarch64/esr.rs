//! Decoding the Exception Syndrome Register (ESR_ELx).
//!
//! When an exception is taken, ESR tells why: the Exception Class (EC, bits
//! [31:26]) names the kind, IL (bit 25) says whether the trapped instruction
//! was 32 bits wide, and the Instruction Specific Syndrome (ISS, bits [24:0])
//! carries details whose layout depends on the class. Names and encodings
//! follow the Arm Architecture Reference Manual (DDI 0487), section D17.2.37.

use ufmt::{uDisplay, uWrite, uwrite};

// ANCHOR: esr
/// A raw ESR_ELx value with accessors for its fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Esr(pub u64);

impl Esr {
    const EC_SHIFT: u32 = 26;
    const EC_MASK: u64 = 0x3f;
    const IL_BIT: u64 = 1 << 25;
    const ISS_MASK: u64 = (1 << 25) - 1;

    /// The Exception Class field.
    pub fn ec(self) -> u8 {
        ((self.0 >> Self::EC_SHIFT) & Self::EC_MASK) as u8
    }

    /// The decoded exception class.
    pub fn class(self) -> ExceptionClass {
        ExceptionClass::from_ec(self.ec())
    }

    /// Instruction Length: the trapped instruction was 32-bit (always, in AArch64).
    pub fn il(self) -> bool {
        self.0 & Self::IL_BIT != 0
    }

    /// The Instruction Specific Syndrome.
    pub fn iss(self) -> u32 {
        (self.0 & Self::ISS_MASK) as u32
    }

    /// The abort syndrome, for instruction and data aborts.
    pub fn abort(self) -> Option<AbortIss> {
        use ExceptionClass::*;
        match self.class() {
            DataAbortLower | DataAbortSame | InstructionAbortLower | InstructionAbortSame => {
                Some(AbortIss(self.iss()))
            }
            _ => None,
        }
    }
}
// ANCHOR_END: esr

macro_rules! exception_classes {
    ($($name:ident = $ec:literal, $text:literal;)*) => {
        /// The Exception Class values an AArch64 hypervisor meets.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum ExceptionClass {
            $(#[doc = $text] $name,)*
            /// A class with no name here; holds the EC value.
            Other(u8),
        }

        impl ExceptionClass {
            /// Decode an EC value.
            pub fn from_ec(ec: u8) -> Self {
                match ec {
                    $($ec => Self::$name,)*
                    other => Self::Other(other),
                }
            }

            /// The EC value.
            pub const fn ec(self) -> u8 {
                match self {
                    $(Self::$name => $ec,)*
                    Self::Other(ec) => ec,
                }
            }

            /// The class in words, as the Arm ARM names it.
            pub fn name(self) -> &'static str {
                match self {
                    $(Self::$name => $text,)*
                    Self::Other(_) => "Unrecognised exception class",
                }
            }
        }
    };
}

exception_classes! {
    Unknown = 0x00, "Unknown reason (undefined instruction)";
    TrappedWfx = 0x01, "Trapped WFI or WFE";
    TrappedFpSimd = 0x07, "Trapped access to SIMD or floating-point";
    IllegalExecutionState = 0x0e, "Illegal Execution state";
    Svc64 = 0x15, "SVC instruction (AArch64)";
    Hvc64 = 0x16, "HVC instruction (AArch64)";
    Smc64 = 0x17, "SMC instruction (AArch64)";
    TrappedSysReg = 0x18, "Trapped MSR, MRS or system instruction";
    InstructionAbortLower = 0x20, "Instruction Abort from a lower Exception level";
    InstructionAbortSame = 0x21, "Instruction Abort (same Exception level)";
    PcAlignment = 0x22, "PC alignment fault";
    DataAbortLower = 0x24, "Data Abort from a lower Exception level";
    DataAbortSame = 0x25, "Data Abort (same Exception level)";
    SpAlignment = 0x26, "SP alignment fault";
    FpException64 = 0x2c, "Floating-point exception (AArch64)";
    SError = 0x2f, "SError interrupt";
    BreakpointLower = 0x30, "Breakpoint from a lower Exception level";
    BreakpointSame = 0x31, "Breakpoint (same Exception level)";
    SoftwareStepLower = 0x32, "Software Step from a lower Exception level";
    SoftwareStepSame = 0x33, "Software Step (same Exception level)";
    WatchpointLower = 0x34, "Watchpoint from a lower Exception level";
    WatchpointSame = 0x35, "Watchpoint (same Exception level)";
    Brk64 = 0x3c, "BRK instruction (AArch64)";
}

// ANCHOR: abort
/// The ISS of an instruction or data abort.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AbortIss(pub u32);

impl AbortIss {
    /// ISV: bits [23:14] below describe the access (data aborts only).
    pub fn is_valid(self) -> bool {
        self.0 & (1 << 24) != 0
    }

    /// SAS: access size in bytes (1, 2, 4 or 8).
    pub fn access_size(self) -> u8 {
        1 << ((self.0 >> 22) & 0b11)
    }

    /// SSE: the loaded value is sign-extended.
    pub fn sign_extend(self) -> bool {
        self.0 & (1 << 21) != 0
    }

    /// SRT: the general register transferred (31 = xzr).
    pub fn register(self) -> u8 {
        ((self.0 >> 16) & 0x1f) as u8
    }

    /// SF: the register is 64-bit wide.
    pub fn sixty_four_bit(self) -> bool {
        self.0 & (1 << 15) != 0
    }

    /// FnV: FAR is not valid.
    pub fn far_not_valid(self) -> bool {
        self.0 & (1 << 10) != 0
    }

    /// S1PTW: the fault happened on a stage-2 walk for a stage-1 table.
    pub fn stage1_walk(self) -> bool {
        self.0 & (1 << 7) != 0
    }

    /// WnR: the access was a write.
    pub fn is_write(self) -> bool {
        self.0 & (1 << 6) != 0
    }

    /// DFSC/IFSC: the fault status code.
    pub fn status(self) -> FaultStatus {
        FaultStatus((self.0 & 0x3f) as u8)
    }
}
// ANCHOR_END: abort

// ANCHOR: sysreg
/// The ISS of a trapped MSR/MRS (EC 0x18): which register, which general
/// register, which direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SysRegIss(pub u32);

/// A system register named by its encoding: op0, op1, CRn, CRm, op2.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SysReg {
    /// op0.
    pub op0: u8,
    /// op1.
    pub op1: u8,
    /// CRn.
    pub crn: u8,
    /// CRm.
    pub crm: u8,
    /// op2.
    pub op2: u8,
}

impl SysRegIss {
    /// The register accessed.
    pub fn register(self) -> SysReg {
        let field = |shift: u32, bits: u32| ((self.0 >> shift) & ((1 << bits) - 1)) as u8;
        SysReg {
            op0: field(20, 2),
            op2: field(17, 3),
            op1: field(14, 3),
            crn: field(10, 4),
            crm: field(1, 4),
        }
    }

    /// Rt: the general register read or written (31 = xzr).
    pub fn rt(self) -> u8 {
        ((self.0 >> 5) & 0x1f) as u8
    }

    /// Direction: an MRS (the guest reads the register).
    pub fn is_read(self) -> bool {
        self.0 & 1 != 0
    }
}
// ANCHOR_END: sysreg

/// A Data/Instruction Fault Status Code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FaultStatus(pub u8);

impl FaultStatus {
    /// The translation level the fault is reported for, where it has one.
    pub fn level(self) -> Option<u8> {
        match self.0 {
            0x00..=0x0f => Some(self.0 & 0b11),
            _ => None,
        }
    }

    /// The kind of fault in words.
    pub fn name(self) -> &'static str {
        match self.0 {
            0x00..=0x03 => "address size fault",
            0x04..=0x07 => "translation fault",
            0x09..=0x0b => "access flag fault",
            0x0d..=0x0f => "permission fault",
            0x10 => "synchronous external abort",
            0x21 => "alignment fault",
            0x30 => "TLB conflict abort",
            _ => "other fault",
        }
    }
}

/// Writes the register's generic name, `S<op0>_<op1>_C<CRn>_C<CRm>_<op2>`,
/// which is what the Arm ARM's register index is searched by.
impl uDisplay for SysReg {
    fn fmt<W: uWrite + ?Sized>(&self, f: &mut ufmt::Formatter<'_, W>) -> Result<(), W::Error> {
        uwrite!(
            f,
            "S{}_{}_C{}_C{}_{}",
            self.op0,
            self.op1,
            self.crn,
            self.crm,
            self.op2
        )
    }
}

impl uDisplay for FaultStatus {
    fn fmt<W: uWrite + ?Sized>(&self, f: &mut ufmt::Formatter<'_, W>) -> Result<(), W::Error> {
        uwrite!(f, "{}", self.name())?;
        if let Some(level) = self.level() {
            uwrite!(f, ", level {}", level)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use proptest::prelude::*;
    use std::string::String;

    #[test]
    fn decodes_a_data_abort_from_a_store() {
        // str w3, [x0] to an unmapped address at EL2: EC 0x25, IL, ISV,
        // SAS=word, SRT=3, WnR, translation fault level 1.
        let esr = Esr(0x9783_0045);
        assert_eq!(esr.class(), ExceptionClass::DataAbortSame);
        assert!(esr.il());
        let iss = esr.abort().unwrap();
        assert!(iss.is_valid());
        assert_eq!(iss.access_size(), 4);
        assert_eq!(iss.register(), 3);
        assert!(iss.is_write());
        assert_eq!(iss.status().name(), "translation fault");
        assert_eq!(iss.status().level(), Some(1));
    }

    #[test]
    fn names_the_common_classes() {
        assert_eq!(Esr(0x5a00_0000).class(), ExceptionClass::Hvc64);
        assert_eq!(Esr(0x0400_0000).class(), ExceptionClass::TrappedWfx);
        assert_eq!(Esr(0x6200_0000).class(), ExceptionClass::TrappedSysReg);
        assert_eq!(
            Esr(0x0200_0000).class().name(),
            "Unknown reason (undefined instruction)"
        );
        assert_eq!(Esr(0x3f << 26).class(), ExceptionClass::Other(0x3f));
        assert!(Esr(0x5a00_0000).abort().is_none());
    }

    #[test]
    fn decodes_a_trapped_mrs() {
        // mrs x3, cntpct_el0: op0=3 op1=3 CRn=14 CRm=0 op2=1, Rt=3, read.
        let iss = SysRegIss((3 << 20) | (1 << 17) | (3 << 14) | (14 << 10) | (3 << 5) | 1);
        assert_eq!(
            iss.register(),
            SysReg {
                op0: 3,
                op1: 3,
                crn: 14,
                crm: 0,
                op2: 1
            }
        );
        assert_eq!(iss.rt(), 3);
        assert!(iss.is_read());
    }

    #[test]
    fn fault_status_prints_level() {
        let mut s = String::new();
        ufmt::uwrite!(s, "{}", FaultStatus(0x0e)).unwrap();
        assert_eq!(s, "permission fault, level 2");
    }

    proptest! {
        #[test]
        fn ec_round_trips(ec in 0u8..64) {
            prop_assert_eq!(ExceptionClass::from_ec(ec).ec(), ec);
            prop_assert_eq!(Esr((ec as u64) << 26).ec(), ec);
        }

        /// EC, IL and ISS together are the whole 32-bit syndrome.
        #[test]
        fn fields_partition_the_syndrome(raw in any::<u32>()) {
            let esr = Esr(u64::from(raw));
            let rebuilt = (u32::from(esr.ec()) << 26) | (u32::from(esr.il()) << 25) | esr.iss();
            prop_assert_eq!(rebuilt, raw);
        }

        /// A trapped MSR/MRS's ISS gives back the register, Rt and the
        /// direction it was built from (Arm ARM D17.2.37, EC 0x18).
        #[test]
        fn sysreg_iss_round_trips(
            op0 in 0u8..4, op1 in 0u8..8, crn in 0u8..16, crm in 0u8..16, op2 in 0u8..8,
            rt in 0u8..32, read: bool,
        ) {
            let iss = (u32::from(op0) << 20) | (u32::from(op2) << 17) | (u32::from(op1) << 14)
                | (u32::from(crn) << 10) | (u32::from(rt) << 5) | (u32::from(crm) << 1) | u32::from(read);
            let decoded = SysRegIss(iss);
            prop_assert_eq!(decoded.register(), SysReg { op0, op1, crn, crm, op2 });
            prop_assert_eq!(decoded.rt(), rt);
            prop_assert_eq!(decoded.is_read(), read);
        }

        #[test]
        fn decoding_never_panics(raw in any::<u64>()) {
            let esr = Esr(raw);
            let _ = esr.class().name();
            if let Some(a) = esr.abort() {
                prop_assert!([1, 2, 4, 8].contains(&a.access_size()));
                prop_assert!(a.register() < 32);
                let _ = a.status().name();
            }
        }
    }
}
