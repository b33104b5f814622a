//! The EL1 virtual memory controls that HCR_EL2.TVM traps: while a VM's
//! writes to them trap (see `vm::coherence` for when and why), the
//! hypervisor carries each write out into the vCPU's register itself.
//!
//! With EL1 in AArch64, TVM traps MSR writes to SCTLR_EL1, TTBR0_EL1,
//! TTBR1_EL1, TCR_EL1, ESR_EL1, FAR_EL1, AFSR0_EL1, AFSR1_EL1, MAIR_EL1,
//! AMAIR_EL1 and CONTEXTIDR_EL1 (Arm ARM, HCR_EL2.TVM; the later
//! extensions that add more registers are not on the Cortex-A53), with
//! syndrome EC 0x18, as any trapped system register. Reads do not trap
//! (that is HCR_EL2.TRVM, which stays clear). The types build on the
//! host, where the tests use them; the register writes are for the board.

use super::esr::SysReg;
use super::vcpu::El1State;

/// SCTLR_EL1.M: the EL1&0 stage-1 MMU is on.
pub const SCTLR_M: u64 = 1 << 0;
/// SCTLR_EL1.C: data accesses at EL1&0 may be cacheable.
pub const SCTLR_C: u64 = 1 << 2;

/// Whether a guest with this SCTLR_EL1 runs with its data caches on: its
/// MMU on (with it off every data access is Device-nGnRnE) and C set.
pub fn caches_on(sctlr: u64) -> bool {
    sctlr & (SCTLR_M | SCTLR_C) == SCTLR_M | SCTLR_C
}

// ANCHOR: controls
/// One of the registers HCR_EL2.TVM traps writes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VmControl {
    /// SCTLR_EL1: MMU, caches, alignment checks.
    Sctlr,
    /// TTBR0_EL1: the lower half's translation table base.
    Ttbr0,
    /// TTBR1_EL1: the upper half's translation table base.
    Ttbr1,
    /// TCR_EL1: translation control.
    Tcr,
    /// ESR_EL1: the syndrome of the last exception taken to EL1.
    Esr,
    /// FAR_EL1: the faulting address of the last abort taken to EL1.
    Far,
    /// AFSR0_EL1: auxiliary fault status (RES0 on the A53).
    Afsr0,
    /// AFSR1_EL1: auxiliary fault status (RES0 on the A53).
    Afsr1,
    /// MAIR_EL1: the memory attributes stage-1 descriptors index.
    Mair,
    /// AMAIR_EL1: auxiliary memory attributes (RES0 on the A53).
    Amair,
    /// CONTEXTIDR_EL1: the process identifier for debug and trace.
    Contextidr,
}

impl VmControl {
    /// The register a trapped MSR names, if TVM traps it: op0 = 3,
    /// op1 = 0 and (CRn, CRm, op2) as the Arm ARM encodes each.
    pub fn of(reg: SysReg) -> Option<VmControl> {
        if reg.op0 != 3 || reg.op1 != 0 {
            return None;
        }
        Some(match (reg.crn, reg.crm, reg.op2) {
            (1, 0, 0) => VmControl::Sctlr,
            (2, 0, 0) => VmControl::Ttbr0,
            (2, 0, 1) => VmControl::Ttbr1,
            (2, 0, 2) => VmControl::Tcr,
            (5, 1, 0) => VmControl::Afsr0,
            (5, 1, 1) => VmControl::Afsr1,
            (5, 2, 0) => VmControl::Esr,
            (6, 0, 0) => VmControl::Far,
            (10, 2, 0) => VmControl::Mair,
            (10, 3, 0) => VmControl::Amair,
            (13, 0, 1) => VmControl::Contextidr,
            _ => return None,
        })
    }

    /// Its field in a saved vCPU's EL1 state.
    pub fn saved(self, el1: &mut El1State) -> &mut u64 {
        match self {
            VmControl::Sctlr => &mut el1.sctlr,
            VmControl::Ttbr0 => &mut el1.ttbr0,
            VmControl::Ttbr1 => &mut el1.ttbr1,
            VmControl::Tcr => &mut el1.tcr,
            VmControl::Esr => &mut el1.esr,
            VmControl::Far => &mut el1.far,
            VmControl::Afsr0 => &mut el1.afsr0,
            VmControl::Afsr1 => &mut el1.afsr1,
            VmControl::Mair => &mut el1.mair,
            VmControl::Amair => &mut el1.amair,
            VmControl::Contextidr => &mut el1.contextidr,
        }
    }
}
// ANCHOR_END: controls

/// Write `value` to the live register, as the guest's trapped MSR would
/// have.
///
/// # Safety
///
/// Only between runs of the loaded vCPU, with a value that vCPU wrote: the
/// register is its, and the next run sees it (the ISB of the exception
/// return orders it).
#[cfg(target_os = "none")]
pub unsafe fn write_live(reg: VmControl, value: u64) {
    macro_rules! msr {
        ($name:literal) => {
            // SAFETY: as the caller promises; EL2 does not use it.
            unsafe { core::arch::asm!(concat!("msr ", $name, ", {}"), in(reg) value, options(nomem, nostack)) }
        };
    }
    match reg {
        VmControl::Sctlr => msr!("sctlr_el1"),
        VmControl::Ttbr0 => msr!("ttbr0_el1"),
        VmControl::Ttbr1 => msr!("ttbr1_el1"),
        VmControl::Tcr => msr!("tcr_el1"),
        VmControl::Esr => msr!("esr_el1"),
        VmControl::Far => msr!("far_el1"),
        VmControl::Afsr0 => msr!("afsr0_el1"),
        VmControl::Afsr1 => msr!("afsr1_el1"),
        VmControl::Mair => msr!("mair_el1"),
        VmControl::Amair => msr!("amair_el1"),
        VmControl::Contextidr => msr!("contextidr_el1"),
    }
}

/// The loaded vCPU's SCTLR_EL1.
#[cfg(target_os = "none")]
pub fn read_live_sctlr() -> u64 {
    let sctlr: u64;
    // SAFETY: reading a system register has no side effect.
    unsafe { core::arch::asm!("mrs {}, sctlr_el1", out(reg) sctlr, options(nomem, nostack)) };
    sctlr
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reg(crn: u8, crm: u8, op2: u8) -> SysReg {
        SysReg {
            op0: 3,
            op1: 0,
            crn,
            crm,
            op2,
        }
    }

    #[test]
    fn the_eleven_registers_and_no_other() {
        let all = [
            (reg(1, 0, 0), VmControl::Sctlr),
            (reg(2, 0, 0), VmControl::Ttbr0),
            (reg(2, 0, 1), VmControl::Ttbr1),
            (reg(2, 0, 2), VmControl::Tcr),
            (reg(5, 1, 0), VmControl::Afsr0),
            (reg(5, 1, 1), VmControl::Afsr1),
            (reg(5, 2, 0), VmControl::Esr),
            (reg(6, 0, 0), VmControl::Far),
            (reg(10, 2, 0), VmControl::Mair),
            (reg(10, 3, 0), VmControl::Amair),
            (reg(13, 0, 1), VmControl::Contextidr),
        ];
        for (encoding, control) in all {
            assert_eq!(VmControl::of(encoding), Some(control));
        }
        // CPACR_EL1 (3,0,1,0,2) and VBAR_EL1 (3,0,12,0,0) are not among them,
        // nor SCTLR_EL2's encoding (op1 = 4).
        assert_eq!(VmControl::of(reg(1, 0, 2)), None);
        assert_eq!(VmControl::of(reg(12, 0, 0)), None);
        assert_eq!(
            VmControl::of(SysReg {
                op1: 4,
                ..reg(1, 0, 0)
            }),
            None
        );
    }

    #[test]
    fn each_register_has_its_own_field() {
        let mut el1 = El1State::zeroed();
        for (i, control) in [
            VmControl::Sctlr,
            VmControl::Ttbr0,
            VmControl::Ttbr1,
            VmControl::Tcr,
            VmControl::Esr,
            VmControl::Far,
            VmControl::Afsr0,
            VmControl::Afsr1,
            VmControl::Mair,
            VmControl::Amair,
            VmControl::Contextidr,
        ]
        .into_iter()
        .enumerate()
        {
            *control.saved(&mut el1) = i as u64 + 1;
        }
        assert_eq!(
            [el1.sctlr, el1.ttbr0, el1.ttbr1, el1.tcr, el1.esr, el1.far],
            [1, 2, 3, 4, 5, 6]
        );
        assert_eq!(
            [el1.afsr0, el1.afsr1, el1.mair, el1.amair, el1.contextidr],
            [7, 8, 9, 10, 11]
        );
    }

    #[test]
    fn caches_are_on_with_mmu_and_c() {
        assert!(!caches_on(crate::arch::aarch64::vcpu::SCTLR_EL1_RESET));
        assert!(!caches_on(SCTLR_C));
        assert!(!caches_on(SCTLR_M));
        assert!(caches_on(SCTLR_M | SCTLR_C));
    }
}
