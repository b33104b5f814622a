//! Exceptions the hypervisor makes a guest take at EL1, as the CPU would
//! have: today the Undefined Instruction exception, for what a real
//! Cortex-A53 makes UNDEFINED but the hypervisor's traps brought to EL2
//! (an unknown system register, a debug or PMU register the A53 lacks).
//!
//! Taking a synchronous exception to EL1 in AArch64 (Arm ARM D1.10, "Exception
//! entry"): ESR_EL1 gets the syndrome, ELR_EL1 the address of the faulting
//! instruction, SPSR_EL1 the PSTATE at that moment; PSTATE becomes EL1 on
//! SP_EL1 (EL1h) with D, A, I and F masked; and the PC goes to the vector
//! table at VBAR_EL1, at the offset for where the exception came from:
//! +0x000 from EL1 on SP_EL0, +0x200 from EL1 on SP_EL1, +0x400 from EL0 in
//! AArch64 (+0x600 from AArch32), the synchronous entry being the first of
//! each group of four.

/// ESR_ELx.EC = 0b000000 (an unknown reason: an undefined instruction) and
/// IL = 1 (a 32-bit instruction), ISS 0.
pub const ESR_UNDEFINED: u64 = 1 << 25;
/// PSTATE.M[3:0] for EL0t, EL1t and EL1h, and the nRW bit (AArch32).
const M_EL0T: u64 = 0b0000;
const M_EL1T: u64 = 0b0100;
const PSTATE_M_MASK: u64 = 0b1111;
const PSTATE_NRW: u64 = 1 << 4;
/// PSTATE after the exception: EL1h, D, A, I, F masked.
pub const PSTATE_EL1H_MASKED: u64 = 0x3c5;
/// Vector offsets.
const VECTOR_CURRENT_SP0: u64 = 0x000;
const VECTOR_CURRENT_SPX: u64 = 0x200;
const VECTOR_LOWER_AARCH64: u64 = 0x400;
const VECTOR_LOWER_AARCH32: u64 = 0x600;

// ANCHOR: exception
/// What taking an exception at EL1 writes: the EL1 registers and the new
/// PC and PSTATE.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct El1Exception {
    /// ESR_EL1.
    pub esr: u64,
    /// ELR_EL1: where the exception was taken.
    pub elr: u64,
    /// SPSR_EL1: the PSTATE it was taken from.
    pub spsr: u64,
    /// The new PC: VBAR_EL1 plus the vector's offset.
    pub pc: u64,
    /// The new PSTATE.
    pub pstate: u64,
}

/// A synchronous exception with syndrome `esr` taken to EL1 by a guest
/// at `pc` with `pstate`, whose vector table is at `vbar`.
pub fn synchronous(esr: u64, pc: u64, pstate: u64, vbar: u64) -> El1Exception {
    let offset = if pstate & PSTATE_NRW != 0 {
        VECTOR_LOWER_AARCH32
    } else {
        match pstate & PSTATE_M_MASK {
            M_EL0T => VECTOR_LOWER_AARCH64,
            M_EL1T => VECTOR_CURRENT_SP0,
            _ => VECTOR_CURRENT_SPX,
        }
    };
    El1Exception {
        esr,
        elr: pc,
        spsr: pstate,
        pc: vbar.wrapping_add(offset),
        pstate: PSTATE_EL1H_MASKED,
    }
}
// ANCHOR_END: exception

#[cfg(test)]
mod tests {
    use super::*;

    const VBAR: u64 = 0x8_0800;

    #[test]
    fn from_el1h_it_goes_to_the_current_el_spx_vector() {
        let e = synchronous(ESR_UNDEFINED, 0x8_1234, 0x3c5, VBAR);
        assert_eq!(
            e,
            El1Exception {
                esr: 0x200_0000,
                elr: 0x8_1234,
                spsr: 0x3c5,
                pc: VBAR + 0x200,
                pstate: 0x3c5,
            }
        );
    }

    #[test]
    fn the_vector_depends_on_where_it_came_from() {
        // EL1t with interrupts unmasked and flags set.
        let el1t = 0x6000_0004;
        let e = synchronous(ESR_UNDEFINED, 0x100, el1t, VBAR);
        assert_eq!((e.pc, e.spsr, e.pstate), (VBAR, el1t, 0x3c5));
        // EL0 in AArch64.
        assert_eq!(synchronous(ESR_UNDEFINED, 0, 0, VBAR).pc, VBAR + 0x400);
        // AArch32 at EL0 (M = 0b10000, user mode).
        assert_eq!(synchronous(ESR_UNDEFINED, 0, 0x10, VBAR).pc, VBAR + 0x600);
    }
}
