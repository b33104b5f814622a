//! Host fuzz targets for the syndrome decoding every trap goes through
//! (`arch/aarch64/esr.rs`) and the MMIO decisions built on it
//! (`vm/decode.rs`). Syndromes are assembled from random fields, as the
//! Arm ARM (DDI 0487, D17.2.37) lays them out, and the decoders must give
//! every field back; the MMIO path must refuse exactly what it cannot
//! emulate and load exactly what the instruction would; the decoder of the
//! instructions the syndrome does not describe (`vm/load_store.rs`) must
//! take any word.

mod common;

use ferrovisor::arch::aarch64::esr::{AbortIss, Esr, ExceptionClass, FaultStatus, SysRegIss};
use ferrovisor::emu::aux::BASE as AUX_BASE;
use ferrovisor::emu::{AccessSize, VirtualBoard};
use ferrovisor::vm::decode::{access_size, data_abort_refusal, extend, fault_ipa};
use ferrovisor::vm::load_store::{self, Bank};
use proptest::prelude::*;

/// Translation faults, levels 0-3 (DFSC 0b0001LL).
const TRANSLATION_FAULT_FIRST: u32 = 0x04;
const TRANSLATION_FAULT_LAST: u32 = 0x07;
/// Stage-2 permission faults at levels 1-3 (DFSC 0b0011LL): a store to the
/// console's shadow, the one page stage 2 maps read-only.
const PERMISSION_FAULT_FIRST: u32 = 0x0d;
const PERMISSION_FAULT_LAST: u32 = 0x0f;

/// A data abort's ISS, field by field.
#[derive(Debug, Clone, Copy)]
struct DataAbort {
    valid: bool,
    sas: u32,
    sse: bool,
    srt: u32,
    sf: bool,
    fnv: bool,
    s1ptw: bool,
    write: bool,
    dfsc: u32,
}

impl DataAbort {
    /// The ISS bits (ISV 24, SAS 23:22, SSE 21, SRT 20:16, SF 15, FnV 10,
    /// S1PTW 7, WnR 6, DFSC 5:0).
    fn iss(self) -> u32 {
        u32::from(self.valid) << 24
            | self.sas << 22
            | u32::from(self.sse) << 21
            | self.srt << 16
            | u32::from(self.sf) << 15
            | u32::from(self.fnv) << 10
            | u32::from(self.s1ptw) << 7
            | u32::from(self.write) << 6
            | self.dfsc
    }
}

fn data_abort() -> impl Strategy<Value = DataAbort> {
    (
        any::<bool>(),
        0..4u32,
        any::<bool>(),
        0..32u32,
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        0..64u32,
    )
        .prop_map(
            |(valid, sas, sse, srt, sf, fnv, s1ptw, write, dfsc)| DataAbort {
                valid,
                sas,
                sse,
                srt,
                sf,
                fnv,
                s1ptw,
                write,
                dfsc,
            },
        )
}

/// An IPA: mostly in or next to the device windows, some anywhere in the
/// 40-bit IPA space.
fn ipa() -> impl Strategy<Value = u64> {
    prop_oneof![
        0x3eff_f000u64..0x4004_1000,
        0..0x4000_0000u64,
        0..(1u64 << 40),
    ]
}

/// What a load of `bytes` bytes leaves in its register, computed the long
/// way: through Rust's own integer conversions.
fn loaded(value: u64, bytes: u8, sign: bool, sixty_four: bool) -> u64 {
    let v = match (bytes, sign) {
        (1, false) => u64::from(value as u8),
        (1, true) => value as u8 as i8 as i64 as u64,
        (2, false) => u64::from(value as u16),
        (2, true) => value as u16 as i16 as i64 as u64,
        (4, false) => u64::from(value as u32),
        (4, true) => value as u32 as i32 as i64 as u64,
        _ => value,
    };
    if sixty_four {
        v
    } else {
        v & 0xffff_ffff
    }
}

proptest! {
    #![proptest_config(common::config())]

    // ANCHOR: round_trip
    /// Every field of a data abort syndrome comes back out of the decoder.
    #[test]
    fn an_abort_syndrome_round_trips(
        fields in data_abort(),
        ec in prop_oneof![Just(0x24u8), Just(0x25), Just(0x20), Just(0x21), 0..64u8],
        il in any::<bool>(),
        high in any::<u32>(),
    ) {
        // Bits 63:32 of ESR_EL2 are RES0 or ISS2; they must not leak in.
        let raw = u64::from(high) << 32 | u64::from(ec) << 26 | u64::from(il) << 25 | u64::from(fields.iss());
        let esr = Esr(raw);
        prop_assert_eq!(esr.ec(), ec);
        prop_assert_eq!(esr.il(), il);
        prop_assert_eq!(esr.iss(), fields.iss());
        prop_assert_eq!(esr.class().ec(), ec);
        prop_assert!(!esr.class().name().is_empty());
        let is_abort = matches!(ec, 0x20 | 0x21 | 0x24 | 0x25);
        prop_assert_eq!(esr.abort().is_some(), is_abort);
        let abort = AbortIss(fields.iss());
        prop_assert_eq!(abort.is_valid(), fields.valid);
        prop_assert_eq!(abort.access_size(), 1 << fields.sas);
        prop_assert_eq!(abort.sign_extend(), fields.sse);
        prop_assert_eq!(u32::from(abort.register()), fields.srt);
        prop_assert_eq!(abort.sixty_four_bit(), fields.sf);
        prop_assert_eq!(abort.far_not_valid(), fields.fnv);
        prop_assert_eq!(abort.stage1_walk(), fields.s1ptw);
        prop_assert_eq!(abort.is_write(), fields.write);
        prop_assert_eq!(u32::from(abort.status().0), fields.dfsc);
    }
    // ANCHOR_END: round_trip

    /// A trapped MSR/MRS syndrome gives back its register and direction.
    #[test]
    fn a_sysreg_syndrome_round_trips(
        op0 in 0..4u32, op2 in 0..8u32, op1 in 0..8u32, crn in 0..16u32,
        rt in 0..32u32, crm in 0..16u32, read in any::<bool>(),
    ) {
        let iss = op0 << 20 | op2 << 17 | op1 << 14 | crn << 10 | rt << 5 | crm << 1 | u32::from(read);
        let esr = Esr(0x18 << 26 | 1 << 25 | u64::from(iss));
        prop_assert_eq!(esr.class(), ExceptionClass::TrappedSysReg);
        let trap = SysRegIss(esr.iss());
        let reg = trap.register();
        prop_assert_eq!(
            (reg.op0, reg.op1, reg.crn, reg.crm, reg.op2),
            (op0 as u8, op1 as u8, crn as u8, crm as u8, op2 as u8)
        );
        prop_assert_eq!(u32::from(trap.rt()), rt);
        prop_assert_eq!(trap.is_read(), read);
    }

    /// Every fault status code has a name, and a level only where the
    /// code has one (0-3).
    #[test]
    fn every_fault_status_has_a_name(code in any::<u8>()) {
        let status = FaultStatus(code);
        prop_assert!(!status.name().is_empty());
        if let Some(level) = status.level() {
            prop_assert!(level <= 3);
            prop_assert!(code < 0x10);
        }
        let mut text = String::new();
        ufmt::uwrite!(text, "{}", status).unwrap();
        prop_assert!(text.starts_with(status.name()));
    }

    // ANCHOR: mmio_decision
    /// The MMIO path refuses exactly what it cannot emulate: a fault that
    /// is neither a translation fault nor a store to the console's shadow, a table walk, an address outside the
    /// devices. A syndrome without ISV is no refusal: the instruction
    /// decoder takes it on (`vm::emulate`). What it takes, it loads as the
    /// instruction would.
    #[test]
    fn the_mmio_decision_refuses_exactly_what_it_cannot_emulate(
        fields in data_abort(),
        ipa in ipa(),
        far in any::<u64>(),
        hpfar_junk in any::<u64>(),
        value in any::<u64>(),
    ) {
        let abort = AbortIss(fields.iss());
        // HPFAR_EL2.FIPA (bits 39:4) holds IPA bits 47:12; the rest is RES0
        // or other fields that must be ignored.
        let hpfar = (ipa >> 12) << 4 | (hpfar_junk & 0xf) | (hpfar_junk & !((1 << 40) - 1));
        let far = (far & !0xfff) | (ipa & 0xfff);
        let at = fault_ipa(abort, hpfar, far);
        // HPFAR need not hold the page of a permission fault: a store to
        // the shadow is placed on the mini UART's page by FAR's offset.
        let shadow_write = (PERMISSION_FAULT_FIRST..=PERMISSION_FAULT_LAST).contains(&fields.dfsc)
            && fields.write
            && !fields.s1ptw;
        if shadow_write {
            prop_assert_eq!(at, AUX_BASE | (ipa & 0xfff));
        } else if fields.s1ptw {
            prop_assert_eq!(at, ipa & !0xfff);
        } else {
            prop_assert_eq!(at, ipa);
        }
        let refusal = data_abort_refusal(abort, at);
        // Stage 2 misses (a translation fault, DFSC 0b0001LL), or a store
        // finds the shadow read-only: any other status cannot be mended by
        // emulation.
        let translation = (TRANSLATION_FAULT_FIRST..=TRANSLATION_FAULT_LAST).contains(&fields.dfsc);
        let emulable =
            (translation || shadow_write) && !fields.s1ptw && VirtualBoard::claims(at);
        prop_assert_eq!(refusal.is_none(), emulable, "{:?}", refusal);
        if let Some(reason) = refusal {
            prop_assert!(!reason.is_empty());
            if translation && !fields.s1ptw && !VirtualBoard::claims(at) {
                prop_assert_eq!(reason.starts_with("store"), fields.write);
                prop_assert_eq!(reason.starts_with("load"), !fields.write);
            }
        }
        let bytes = abort.access_size();
        let size = access_size(bytes);
        prop_assert_eq!(size.bytes(), bytes);
        let masked = value & size.mask();
        prop_assert_eq!(
            extend(masked, bytes, fields.sse, fields.sf),
            loaded(value, bytes, fields.sse, fields.sf)
        );
        prop_assert!(fields.sf || extend(value, bytes, fields.sse, false) <= u64::from(u32::MAX));
        prop_assert_eq!(matches!(size, AccessSize::Double), bytes == 8);
    }
    // ANCHOR_END: mmio_decision

    /// Whatever 32-bit word sits at the guest's PC, the instruction decoder
    /// neither panics nor accepts what the architecture makes CONSTRAINED
    /// UNPREDICTABLE: a writeback base that is a transferred general
    /// register, a pair load into one register twice.
    #[test]
    fn the_instruction_decoder_takes_any_word(insn in any::<u32>()) {
        if let Ok(op) = load_store::decode(insn) {
            let general = !matches!(op.bank, Bank::Fp);
            let registers = [Some(op.rt), op.rt2];
            if general && op.writes_back() && op.rn != 31 {
                prop_assert!(!registers.contains(&Some(op.rn)), "{:#x}", insn);
            }
            if op.load {
                prop_assert_ne!(Some(op.rt), op.rt2, "{:#x}", insn);
            }
            prop_assert!([1, 2, 4, 8, 16].contains(&op.bytes));
        }
    }
}
