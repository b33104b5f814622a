//! From a stage-2 abort's syndrome to what the hypervisor does about it:
//! the faulting guest physical address, whether the access can be emulated
//! at all (and if not, the reason the VM is stopped, in words; an access
//! the syndrome does not describe goes on to `vm::emulate`), the width
//! of the access, and the value a trapped load leaves in its register.
//!
//! These are the decisions `vm/exits.rs` makes on every MMIO exit. They
//! need nothing but the syndrome registers' values, so they live here,
//! where the host's unit and property tests can reach them.

use crate::arch::aarch64::esr::AbortIss;
use crate::emu::aux::BASE as SHADOW_IPA;
use crate::emu::{AccessSize, VirtualBoard};

/// HPFAR_EL2.FIPA, bits [39:4]: bits [47:12] of the faulting IPA.
const HPFAR_FIPA_SHIFT: u32 = 4;
const HPFAR_FIPA_MASK: u64 = (1 << 36) - 1;
/// A 4 KiB page: HPFAR gives the page, FAR the offset in it.
const PAGE_SHIFT: u32 = 12;
const PAGE_OFFSET_MASK: u64 = (1 << PAGE_SHIFT) - 1;
/// Bits in a byte.
const BITS_PER_BYTE: u32 = 8;
/// A W register's bits.
const W_REGISTER_MASK: u64 = 0xffff_ffff;

// ANCHOR: fault_ipa
/// The guest physical address a stage-2 abort is about. HPFAR_EL2 holds
/// its page; FAR_EL2 holds the virtual address, whose offset in the page is
/// the same. For a fault on a stage-1 table walk FAR is the address being
/// translated, not the table entry's: only the page is known.
pub fn fault_ipa(abort: AbortIss, hpfar: u64, far: u64) -> u64 {
    if is_shadow_write(abort) {
        // HPFAR_EL2 need not hold the page for a permission fault, but only
        // one page faults so: the console's shadow.
        return SHADOW_IPA | (far & PAGE_OFFSET_MASK);
    }
    let page = ((hpfar >> HPFAR_FIPA_SHIFT) & HPFAR_FIPA_MASK) << PAGE_SHIFT;
    if abort.stage1_walk() {
        page
    } else {
        page | (far & PAGE_OFFSET_MASK)
    }
}
// ANCHOR_END: fault_ipa

/// Whether a stage-2 data abort is a permission fault that is not on a
/// stage-1 table walk: a store to the console's shadow page, the one page
/// stage 2 maps read-only (`vm::machine` maps it in place of the mini
/// UART's page while no read there has a side effect). The store is
/// emulated like any store to the mini UART.
pub fn is_shadow_write(abort: AbortIss) -> bool {
    (PERMISSION_FIRST..=PERMISSION_LAST).contains(&abort.status().0)
        && abort.is_write()
        && !abort.stage1_walk()
}

// ANCHOR: refuse
/// Why a stage-2 data abort at `ipa` cannot be emulated, or `None` if it
/// is a load or store to the virtual board that the syndrome describes.
pub fn data_abort_refusal(abort: AbortIss, ipa: u64) -> Option<&'static str> {
    if let Some(reason) = not_a_translation_fault(abort).filter(|_| !is_shadow_write(abort)) {
        return Some(reason);
    }
    if abort.stage1_walk() {
        // The CPU was reading the guest's own translation tables, and they
        // are not in its RAM: there is no instruction to emulate.
        return Some("stage-1 page-table walk outside the VM's RAM");
    }
    if !VirtualBoard::claims(ipa) {
        return Some(if abort.is_write() {
            "store outside the VM's RAM and devices"
        } else {
            "load outside the VM's RAM and devices"
        });
    }
    // ISV = 0 (a load/store pair, an access with writeback, a SIMD&FP
    // register, an exclusive, cache maintenance) is no refusal: the
    // instruction is fetched and decoded (`vm::emulate`).
    None
}

/// Why a stage-2 instruction abort happened: the guest executed (or its
/// table walk for an instruction fetch read) outside its RAM.
pub fn instruction_abort_reason(abort: AbortIss) -> &'static str {
    if let Some(reason) = not_a_translation_fault(abort) {
        reason
    } else if abort.stage1_walk() {
        "stage-1 page-table walk outside the VM's RAM"
    } else {
        "instruction fetch outside the VM's RAM"
    }
}

/// Stage 2 maps a VM's RAM whole, readable, writable and executable, and
/// nothing else: a guest access can only miss it, which is a translation
/// fault (DFSC/IFSC 0b0001LL). Any other status says something no
/// emulation can mend (an external abort from the bus, a TLB conflict):
/// why, in words, for the VM's report.
fn not_a_translation_fault(abort: AbortIss) -> Option<&'static str> {
    Some(match abort.status().0 {
        TRANSLATION_FAULT_FIRST..=TRANSLATION_FAULT_LAST => return None,
        ADDRESS_SIZE_FIRST..=ADDRESS_SIZE_LAST => "stage-2 address size fault",
        ACCESS_FLAG_FIRST..=ACCESS_FLAG_LAST => "stage-2 access flag fault",
        PERMISSION_FIRST..=PERMISSION_LAST => "stage-2 permission fault",
        SYNCHRONOUS_EXTERNAL_ABORT => "synchronous external abort",
        TLB_CONFLICT => "TLB conflict abort",
        _ => "abort with a fault status stage 2 never reports",
    })
}

/// Fault status codes (ESR_EL2.ISS.DFSC/IFSC, Arm ARM D17.2.37), the
/// translation table level in the low two bits where there is one.
const ADDRESS_SIZE_FIRST: u8 = 0x00;
const ADDRESS_SIZE_LAST: u8 = 0x03;
const TRANSLATION_FAULT_FIRST: u8 = 0x04;
const TRANSLATION_FAULT_LAST: u8 = 0x07;
const ACCESS_FLAG_FIRST: u8 = 0x09;
const ACCESS_FLAG_LAST: u8 = 0x0b;
const PERMISSION_FIRST: u8 = 0x0d;
const PERMISSION_LAST: u8 = 0x0f;
const SYNCHRONOUS_EXTERNAL_ABORT: u8 = 0x10;
const TLB_CONFLICT: u8 = 0x30;
// ANCHOR_END: refuse

/// The width of an access from SAS (1, 2, 4 or 8 bytes).
pub fn access_size(bytes: u8) -> AccessSize {
    match bytes {
        1 => AccessSize::Byte,
        2 => AccessSize::Half,
        4 => AccessSize::Word,
        _ => AccessSize::Double,
    }
}

// ANCHOR: extend
/// Sign- or zero-extend a loaded value as the load instruction would:
/// `bytes` wide, sign-extended if SSE, into an X register if SF (else a W
/// register, whose upper half the load clears).
pub fn extend(value: u64, bytes: u8, sign_extend: bool, sixty_four: bool) -> u64 {
    let bits = u32::from(bytes) * BITS_PER_BYTE;
    let mut v = if bits >= u64::BITS {
        value
    } else {
        value & ((1u64 << bits) - 1)
    };
    if sign_extend && bits > 0 && bits < u64::BITS && v & (1 << (bits - 1)) != 0 {
        v |= !((1u64 << bits) - 1);
    }
    if !sixty_four {
        v &= W_REGISTER_MASK;
    }
    v
}
// ANCHOR_END: extend

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// ISS bits of a data abort (Arm ARM D17.2.37).
    const ISV: u32 = 1 << 24;
    const SAS_SHIFT: u32 = 22;
    const SSE: u32 = 1 << 21;
    const SRT_SHIFT: u32 = 16;
    const SF: u32 = 1 << 15;
    const S1PTW: u32 = 1 << 7;
    const WNR: u32 = 1 << 6;
    /// A stage-2 translation fault, level 1.
    const DFSC_TRANSLATION_L1: u32 = 0b00_0101;
    const AUX_MU_IO_REG: u64 = 0x3f21_5040;

    fn iss(valid: bool, sas: u32, sse: bool, srt: u32, sf: bool, s1ptw: bool, write: bool) -> u32 {
        (if valid { ISV } else { 0 })
            | sas << SAS_SHIFT
            | (if sse { SSE } else { 0 })
            | srt << SRT_SHIFT
            | (if sf { SF } else { 0 })
            | (if s1ptw { S1PTW } else { 0 })
            | (if write { WNR } else { 0 })
            | DFSC_TRANSLATION_L1
    }

    #[test]
    fn the_ipa_is_hpfar_page_plus_far_offset() {
        let abort = AbortIss(iss(true, 2, false, 3, false, false, false));
        // ldr w3, [x0] at VA 0xffff_0000_0021_5040 mapping IPA 0x3f21_5040.
        let hpfar = (AUX_MU_IO_REG >> PAGE_SHIFT) << HPFAR_FIPA_SHIFT;
        assert_eq!(
            fault_ipa(abort, hpfar, 0xffff_0000_0021_5040),
            AUX_MU_IO_REG
        );
        // On a table walk only the page is known.
        let walk = AbortIss(iss(false, 0, false, 0, false, true, false));
        assert_eq!(fault_ipa(walk, hpfar, 0x8_1234), 0x3f21_5000);
    }

    #[test]
    fn refusals_name_the_problem() {
        let load = AbortIss(iss(true, 2, false, 0, false, false, false));
        let store = AbortIss(iss(true, 2, false, 0, false, false, true));
        let pair = AbortIss(iss(false, 0, false, 0, false, false, false));
        let walk = AbortIss(iss(false, 0, false, 0, false, true, false));
        assert_eq!(data_abort_refusal(load, AUX_MU_IO_REG), None);
        assert_eq!(data_abort_refusal(store, AUX_MU_IO_REG), None);
        assert_eq!(
            data_abort_refusal(load, 0x100_0000),
            Some("load outside the VM's RAM and devices")
        );
        assert_eq!(
            data_abort_refusal(store, 0x4004_0000),
            Some("store outside the VM's RAM and devices")
        );
        // ISV = 0 goes on to the decoder.
        assert_eq!(data_abort_refusal(pair, AUX_MU_IO_REG), None);
        // A walk that hit the device window is not an MMIO access either.
        assert_eq!(
            data_abort_refusal(walk, 0x3f00_0000),
            Some("stage-1 page-table walk outside the VM's RAM")
        );
        assert_eq!(
            instruction_abort_reason(AbortIss(S1PTW | DFSC_TRANSLATION_L1)),
            "stage-1 page-table walk outside the VM's RAM"
        );
        assert_eq!(
            instruction_abort_reason(AbortIss(DFSC_TRANSLATION_L1)),
            "instruction fetch outside the VM's RAM"
        );
    }

    #[test]
    fn only_a_translation_fault_can_be_an_mmio_access() {
        // A valid load from a device, with other fault status codes.
        let with = |dfsc: u32| AbortIss((ISV | 2 << SAS_SHIFT) | dfsc);
        for level in 0..4 {
            let translation = with(0b00_0100 | level);
            assert_eq!(data_abort_refusal(translation, AUX_MU_IO_REG), None);
        }
        let cases = [
            (0b00_0010, "stage-2 address size fault"),
            (0b00_1011, "stage-2 access flag fault"),
            (0b00_1111, "stage-2 permission fault"),
            (0b01_0000, "synchronous external abort"),
            (0b11_0000, "TLB conflict abort"),
            (0b10_0001, "abort with a fault status stage 2 never reports"),
        ];
        for (dfsc, reason) in cases {
            assert_eq!(data_abort_refusal(with(dfsc), AUX_MU_IO_REG), Some(reason));
            assert_eq!(instruction_abort_reason(AbortIss(dfsc)), reason);
        }
        // A store that hits the read-only console shadow is the exception:
        // emulated, at the shadowed page (whatever HPFAR says).
        let shadow_store = AbortIss(with(0b00_1111).0 | WNR);
        assert!(is_shadow_write(shadow_store));
        let ipa = fault_ipa(shadow_store, 0, 0xffff_0000_1234_5040);
        assert_eq!(ipa, AUX_MU_IO_REG);
        assert_eq!(data_abort_refusal(shadow_store, ipa), None);
    }

    #[test]
    fn extension_as_the_load_instructions_do() {
        // ldrb w0: zero-extended into a W register.
        assert_eq!(extend(0x1ff, 1, false, false), 0xff);
        // ldrsb w0: sign-extended to 32 bits, upper half clear.
        assert_eq!(extend(0x80, 1, true, false), 0xffff_ff80);
        // ldrsb x0, ldrsh x0, ldrsw x0.
        assert_eq!(extend(0x80, 1, true, true), 0xffff_ffff_ffff_ff80);
        assert_eq!(extend(0x8000, 2, true, true), 0xffff_ffff_ffff_8000);
        assert_eq!(extend(0x8000_0000, 4, true, true), 0xffff_ffff_8000_0000);
        // ldr w0 clears the upper half; ldr x0 takes all 64 bits.
        assert_eq!(extend(u64::MAX, 4, false, false), 0xffff_ffff);
        assert_eq!(extend(u64::MAX, 8, false, true), u64::MAX);
        assert_eq!(access_size(1), AccessSize::Byte);
        assert_eq!(access_size(8), AccessSize::Double);
    }

    proptest! {
        /// Whatever the syndrome registers hold, decoding neither panics
        /// nor invents an address outside the 48-bit IPA space.
        #[test]
        fn decoding_any_syndrome_is_total(raw_iss in any::<u32>(), hpfar in any::<u64>(), far in any::<u64>()) {
            let abort = AbortIss(raw_iss & ((1 << 25) - 1));
            let ipa = fault_ipa(abort, hpfar, far);
            prop_assert!(ipa < 1 << 48);
            if is_shadow_write(abort) {
                prop_assert_eq!(ipa, SHADOW_IPA | (far & PAGE_OFFSET_MASK));
            } else {
                prop_assert_eq!(ipa >> PAGE_SHIFT, (hpfar >> HPFAR_FIPA_SHIFT) & HPFAR_FIPA_MASK);
            }
            let refusal = data_abort_refusal(abort, ipa);
            if refusal.is_none() {
                // Only an access to the virtual board is emulated (from the
                // syndrome, or from the instruction if ISV = 0).
                prop_assert!(!abort.stage1_walk() && VirtualBoard::claims(ipa));
            }
            let _ = instruction_abort_reason(abort);
            let size = access_size(abort.access_size());
            prop_assert_eq!(size.bytes(), abort.access_size());
        }

        /// The ISS fields of a described access come back as they were put in.
        #[test]
        fn iss_fields_round_trip(sas in 0u32..4, sse: bool, srt in 0u32..32, sf: bool, write: bool) {
            let abort = AbortIss(iss(true, sas, sse, srt, sf, false, write));
            prop_assert!(abort.is_valid());
            prop_assert_eq!(u32::from(abort.access_size()), 1 << sas);
            prop_assert_eq!(abort.sign_extend(), sse);
            prop_assert_eq!(u32::from(abort.register()), srt);
            prop_assert_eq!(abort.sixty_four_bit(), sf);
            prop_assert_eq!(abort.is_write(), write);
            prop_assert!(!abort.stage1_walk());
        }

        /// `extend` agrees with Rust's own integer casts, which are what
        /// LDRB/LDRH/LDR/LDRSB/LDRSH/LDRSW do.
        #[test]
        fn extend_matches_the_casts(value: u64, sas in 0u32..4, sign: bool, sixty_four: bool) {
            let bytes = 1u8 << sas;
            let x = match (bytes, sign) {
                (1, false) => u64::from(value as u8),
                (2, false) => u64::from(value as u16),
                (4, false) => u64::from(value as u32),
                (1, true) => value as u8 as i8 as i64 as u64,
                (2, true) => value as u16 as i16 as i64 as u64,
                (4, true) => value as u32 as i32 as i64 as u64,
                _ => value,
            };
            let want = if sixty_four { x } else { x & W_REGISTER_MASK };
            prop_assert_eq!(extend(value, bytes, sign, sixty_four), want);
        }
    }
}
