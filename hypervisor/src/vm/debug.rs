//! The debug, OS-lock and performance-monitor (PMU) registers as a VM sees
//! them. MDCR_EL2 (set in `boot.s` on every core) traps all of them, so no
//! guest reads another's counters or programs a breakpoint into the real
//! CPU; this module answers for them, per VM.
//!
//! What the virtual Cortex-A53 offers, and why it is enough:
//!
//! - **Breakpoints and watchpoints**: the A53's six breakpoint and four
//!   watchpoint register pairs (ID_AA64DFR0_EL1.BRPs/WRPs, which guests read
//!   untrapped) exist and read as zero, writes ignored: nothing ever fires.
//!   A pair the A53 does not have is UNDEFINED, as on the chip.
//! - **MDSCR_EL1** keeps what the guest writes (Linux's debug monitors
//!   read back what they set); it never reaches the real register, so no
//!   debug exception is ever enabled on the CPU.
//! - **The OS lock** is implemented (OSLSR_EL1.OSLM = 0b10) and set at
//!   reset, as on a cold reset; OSLAR_EL1 sets and clears it.
//! - **The PMU** has no event counters: PMCR_EL0 reads as an Arm Cortex-A53
//!   PMU (IMP 0x41, IDCODE 0x03) with N = 0, the cycle counter and every
//!   other register read as zero and ignore writes, and an event counter
//!   (which N = 0 says does not exist) is UNDEFINED, one of the behaviours
//!   the architecture allows for a counter beyond N.
//! - The debug communications channel, claim tags, ROM table address and
//!   power control read as zero (no external debugger, no ROM table).
//!
//! Writes to read-only registers and reads of write-only ones are
//! UNDEFINED, as on the chip.

use crate::arch::aarch64::esr::SysReg;

/// What an access to a debug or PMU register comes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// The register is one of these; a read gives this value (a write: 0).
    Value(u64),
    /// A Cortex-A53 makes this access UNDEFINED.
    Undefined,
    /// Not a debug or PMU register.
    NotMine,
}

/// Breakpoint and watchpoint pairs of the Cortex-A53.
pub const BREAKPOINTS: u8 = 6;
/// Watchpoint pairs of the Cortex-A53.
pub const WATCHPOINTS: u8 = 4;
/// PMCR_EL0 as read: IMP = 0x41 (Arm), IDCODE = 0x03 (Cortex-A53), N = 0.
pub const PMCR_EL0_VALUE: u64 = (0x41 << 24) | (0x03 << 16);
/// OSLSR_EL1.OSLM = 0b10 (bit 3 set, bit 0 clear): the OS lock is implemented.
const OSLSR_OSLM_IMPLEMENTED: u64 = 1 << 3;
/// OSLSR_EL1.OSLK, bit 1: the lock is set.
const OSLSR_OSLK: u64 = 1 << 1;
/// OSLAR_EL1.OSLK, bit 0.
const OSLAR_OSLK: u64 = 1;

/// The debug system register space: op0 = 2.
const OP0_DEBUG: u8 = 2;
/// The PMU lives at op0 = 3, CRn = 9 (CRm 12-14) and CRn = 14 (CRm 8-15).
const OP0_SYSTEM: u8 = 3;
const CRN_PMU: u8 = 9;
const CRN_PMU_EVENTS: u8 = 14;

/// Who may touch a register.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Access {
    ReadWrite,
    ReadOnly,
    WriteOnly,
}

/// One VM's debug and PMU state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DebugRegs {
    /// MDSCR_EL1 as the guest wrote it.
    pub mdscr: u64,
    /// The OS lock (OSLSR_EL1.OSLK).
    pub os_lock: bool,
}

impl Default for DebugRegs {
    fn default() -> Self {
        Self::new()
    }
}

impl DebugRegs {
    /// Out of reset: MDSCR_EL1 zero, the OS lock set.
    pub const fn new() -> Self {
        Self {
            mdscr: 0,
            os_lock: true,
        }
    }

    // ANCHOR: access
    /// A trapped MRS (`write = None`) or MSR (`write = Some(value)`) of `reg`.
    pub fn access(&mut self, reg: SysReg, write: Option<u64>) -> Answer {
        let Some((access, value)) = self.register(reg) else {
            return match reg {
                SysReg { op0: OP0_DEBUG, .. } => Answer::Undefined,
                _ if is_pmu(reg) => Answer::Undefined,
                _ => Answer::NotMine,
            };
        };
        match (access, write) {
            (Access::WriteOnly, None) | (Access::ReadOnly, Some(_)) => Answer::Undefined,
            (_, None) => Answer::Value(value),
            (_, Some(v)) => {
                self.write(reg, v);
                Answer::Value(0)
            }
        }
    }
    // ANCHOR_END: access

    /// The registers that exist: who may access them and what they read.
    fn register(&self, reg: SysReg) -> Option<(Access, u64)> {
        use Access::*;
        let SysReg {
            op0,
            op1,
            crn,
            crm,
            op2,
        } = reg;
        let answer = match (op0, op1, crn, crm, op2) {
            // MDSCR_EL1.
            (2, 0, 0, 2, 2) => (ReadWrite, self.mdscr),
            // DBGBVR<n>_EL1, DBGBCR<n>_EL1.
            (2, 0, 0, n, 4 | 5) if n < BREAKPOINTS => (ReadWrite, 0),
            // DBGWVR<n>_EL1, DBGWCR<n>_EL1.
            (2, 0, 0, n, 6 | 7) if n < WATCHPOINTS => (ReadWrite, 0),
            // OSDTRRX_EL1, MDCCINT_EL1, OSDTRTX_EL1, OSECCR_EL1.
            (2, 0, 0, 0 | 3 | 6, 2) | (2, 0, 0, 2, 0) => (ReadWrite, 0),
            // MDRAR_EL1: no ROM table (its valid bits 0).
            (2, 0, 1, 0, 0) => (ReadOnly, 0),
            // OSLAR_EL1, OSLSR_EL1.
            (2, 0, 1, 0, 4) => (WriteOnly, 0),
            (2, 0, 1, 1, 4) => (
                ReadOnly,
                OSLSR_OSLM_IMPLEMENTED | if self.os_lock { OSLSR_OSLK } else { 0 },
            ),
            // OSDLR_EL1, DBGPRCR_EL1.
            (2, 0, 1, 3 | 4, 4) => (ReadWrite, 0),
            // DBGCLAIMSET_EL1, DBGCLAIMCLR_EL1, DBGAUTHSTATUS_EL1.
            (2, 0, 7, 8 | 9, 6) => (ReadWrite, 0),
            (2, 0, 7, 14, 6) => (ReadOnly, 0),
            // MDCCSR_EL0, DBGDTR_EL0, DBGDTRRX_EL0 / DBGDTRTX_EL0.
            (2, 3, 0, 1, 0) => (ReadOnly, 0),
            (2, 3, 0, 4 | 5, 0) => (ReadWrite, 0),
            // PMCR_EL0.
            (3, 3, 9, 12, 0) => (ReadWrite, PMCR_EL0_VALUE),
            // PMCNTENSET/CLR, PMOVSCLR, PMSELR_EL0.
            (3, 3, 9, 12, 1 | 2 | 3 | 5) => (ReadWrite, 0),
            // PMSWINC_EL0.
            (3, 3, 9, 12, 4) => (WriteOnly, 0),
            // PMCEID0/1_EL0: no common event implemented.
            (3, 3, 9, 12, 6 | 7) => (ReadOnly, 0),
            // PMCCNTR_EL0.
            (3, 3, 9, 13, 0) => (ReadWrite, 0),
            // PMUSERENR_EL0, PMOVSSET_EL0, PMINTENSET/CLR_EL1.
            (3, 3, 9, 14, 0 | 3) | (3, 0, 9, 14, 1 | 2) => (ReadWrite, 0),
            // PMCCFILTR_EL0.
            (3, 3, 14, 15, 7) => (ReadWrite, 0),
            _ => return None,
        };
        Some(answer)
    }

    fn write(&mut self, reg: SysReg, value: u64) {
        match (reg.op0, reg.op1, reg.crn, reg.crm, reg.op2) {
            (2, 0, 0, 2, 2) => self.mdscr = value,
            (2, 0, 1, 0, 4) => self.os_lock = value & OSLAR_OSLK != 0,
            _ => {}
        }
    }
}

/// Whether `reg` is in the PMU's encoding space. Everything there that
/// [`DebugRegs::register`] does not list is an event counter or type
/// register (PMEVCNTR<n>, PMEVTYPER<n>, PMXEVCNTR, PMXEVTYPER), which the
/// virtual PMU, with N = 0, does not have.
fn is_pmu(reg: SysReg) -> bool {
    reg.op0 == OP0_SYSTEM
        && ((reg.crn == CRN_PMU && (12..=14).contains(&reg.crm))
            || (reg.op1 == 3 && reg.crn == CRN_PMU_EVENTS && reg.crm >= 8))
}

#[cfg(test)]
mod tests {
    use super::*;

    const fn reg(op0: u8, op1: u8, crn: u8, crm: u8, op2: u8) -> SysReg {
        SysReg {
            op0,
            op1,
            crn,
            crm,
            op2,
        }
    }
    const MDSCR_EL1: SysReg = reg(2, 0, 0, 2, 2);
    const OSLAR_EL1: SysReg = reg(2, 0, 1, 0, 4);
    const OSLSR_EL1: SysReg = reg(2, 0, 1, 1, 4);
    const PMCR_EL0: SysReg = reg(3, 3, 9, 12, 0);
    const PMCCNTR_EL0: SysReg = reg(3, 3, 9, 13, 0);
    const PMEVCNTR0_EL0: SysReg = reg(3, 3, 14, 8, 0);
    const PMXEVCNTR_EL0: SysReg = reg(3, 3, 9, 13, 2);

    #[test]
    fn mdscr_keeps_what_the_guest_writes_per_vm() {
        let (mut a, mut b) = (DebugRegs::new(), DebugRegs::new());
        assert_eq!(a.access(MDSCR_EL1, Some(0x8000)), Answer::Value(0));
        assert_eq!(a.access(MDSCR_EL1, None), Answer::Value(0x8000));
        assert_eq!(b.access(MDSCR_EL1, None), Answer::Value(0), "per VM");
    }

    #[test]
    fn the_os_lock_is_set_at_reset_and_cleared_by_oslar() {
        let mut d = DebugRegs::new();
        assert_eq!(d.access(OSLSR_EL1, None), Answer::Value(0b1010));
        assert_eq!(d.access(OSLAR_EL1, Some(0)), Answer::Value(0));
        assert_eq!(d.access(OSLSR_EL1, None), Answer::Value(0b1000));
        assert_eq!(d.access(OSLAR_EL1, None), Answer::Undefined, "write-only");
        assert_eq!(d.access(OSLSR_EL1, Some(0)), Answer::Undefined, "read-only");
    }

    #[test]
    fn breakpoints_the_a53_has_read_zero_the_others_are_undefined() {
        let mut d = DebugRegs::new();
        for n in 0..16 {
            let bcr = reg(2, 0, 0, n, 5);
            let wvr = reg(2, 0, 0, n, 6);
            let expect = |exists: bool| {
                if exists {
                    Answer::Value(0)
                } else {
                    Answer::Undefined
                }
            };
            assert_eq!(d.access(bcr, Some(1)), expect(n < BREAKPOINTS), "bcr{n}");
            assert_eq!(d.access(bcr, None), expect(n < BREAKPOINTS), "bcr{n}");
            assert_eq!(d.access(wvr, None), expect(n < WATCHPOINTS), "wvr{n}");
        }
    }

    #[test]
    fn the_pmu_has_no_event_counters() {
        let mut d = DebugRegs::new();
        assert_eq!(d.access(PMCR_EL0, None), Answer::Value(0x4103_0000));
        assert_eq!(d.access(PMCR_EL0, Some(1)), Answer::Value(0));
        assert_eq!(d.access(PMCR_EL0, None), Answer::Value(0x4103_0000));
        assert_eq!(d.access(PMCCNTR_EL0, None), Answer::Value(0));
        assert_eq!(d.access(PMEVCNTR0_EL0, None), Answer::Undefined);
        assert_eq!(d.access(PMXEVCNTR_EL0, None), Answer::Undefined);
    }

    #[test]
    fn other_registers_are_not_mine() {
        let mut d = DebugRegs::new();
        // CNTPCT_EL0, ACTLR_EL1, an implementation defined register.
        for r in [reg(3, 3, 14, 0, 1), reg(3, 0, 1, 0, 1), reg(3, 1, 15, 2, 0)] {
            assert_eq!(d.access(r, None), Answer::NotMine);
        }
    }
}
