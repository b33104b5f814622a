//! A virtual CPU's architectural state and the calls that switch it in
//! and out: general registers (in [`VcpuFrame`], saved by
//! `world_switch.s` on every exit), the EL1 system registers and the
//! virtual timer ([`El1State`]), and the FP/SIMD registers ([`FpState`]),
//! which only change hands when a different VM is scheduled.
//!
//! The types build on the host too (the run loop's host tests use them);
//! the code that moves them in and out of the CPU is for the board only.

#[cfg(target_os = "none")]
use core::arch::asm;
use core::mem::offset_of;

#[cfg(target_os = "none")]
core::arch::global_asm!(include_str!("world_switch.s"), options(raw));
#[cfg(target_os = "none")]
core::arch::global_asm!(include_str!("fp.s"), options(raw));

// ANCHOR: frame
/// What `world_switch.s` saves and loads: the guest's general registers and
/// PC/PSTATE, the hypervisor's callee-saved registers while the guest runs,
/// and the syndrome of the last exit.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct VcpuFrame {
    /// x0-x30.
    pub x: [u64; 31],
    /// The guest's program counter (ELR_EL2 on entry and exit).
    pub pc: u64,
    /// The guest's PSTATE (SPSR_EL2 on entry and exit).
    pub pstate: u64,
    host: [u64; 12],
    host_sp: u64,
    /// ESR_EL2 of the last exit.
    pub esr: u64,
    /// FAR_EL2 of the last exit.
    pub far: u64,
    /// HPFAR_EL2 of the last exit: the faulting IPA's page, for stage-2 aborts.
    pub hpfar: u64,
    /// The exception vector the last exit came through (8-15).
    pub vector: u64,
}
// ANCHOR_END: frame

impl VcpuFrame {
    /// All registers zero.
    pub const fn zeroed() -> Self {
        Self {
            x: [0; 31],
            pc: 0,
            pstate: 0,
            host: [0; 12],
            host_sp: 0,
            esr: 0,
            far: 0,
            hpfar: 0,
            vector: 0,
        }
    }
}

// world_switch.s uses these offsets.
const _: () = {
    assert!(offset_of!(VcpuFrame, pc) == 248);
    assert!(offset_of!(VcpuFrame, pstate) == 256);
    assert!(offset_of!(VcpuFrame, host) == 264);
    assert!(offset_of!(VcpuFrame, host_sp) == 360);
    assert!(offset_of!(VcpuFrame, esr) == 368);
    assert!(offset_of!(VcpuFrame, far) == 376);
    assert!(offset_of!(VcpuFrame, hpfar) == 384);
    assert!(offset_of!(VcpuFrame, vector) == 392);
};

#[cfg(target_os = "none")]
extern "C" {
    fn __guest_enter(frame: *mut VcpuFrame) -> u64;
    fn __fp_save(state: *mut FpState);
    fn __fp_restore(state: *const FpState);
}

// ANCHOR: pstate
/// PSTATE for a vCPU that starts at EL1 on SP_EL1 with D, A, I, F masked,
/// as a CPU comes out of reset.
pub const PSTATE_EL1H_MASKED: u64 = 0x3c5;
/// The vector of a synchronous exception from a lower EL in AArch64.
pub const VECTOR_LOWER_SYNC: u64 = 8;
/// The vector of an IRQ from a lower EL in AArch64.
pub const VECTOR_LOWER_IRQ: u64 = 9;
// ANCHOR_END: pstate

// ANCHOR: run
/// Run the guest until it exits; returns the exception vector it left by.
///
/// # Safety
///
/// The guest's stage-2 tables, EL1 state and HCR_EL2 must be loaded, and
/// `frame` must stay valid and unmoved until this returns.
#[cfg(target_os = "none")]
pub unsafe fn run(frame: &mut VcpuFrame) -> u64 {
    // SAFETY: the caller set up the guest; __guest_enter returns here.
    unsafe { __guest_enter(frame) }
}
// ANCHOR_END: run

macro_rules! el1_state {
    ($($field:ident => $reg:literal,)*) => {
        /// The EL1 (and EL0) system registers of a vCPU, switched when
        /// another VM gets the CPU.
        #[repr(C)]
        #[derive(Debug, Clone, Copy, Default)]
        pub struct El1State {
            $(#[doc = $reg] pub $field: u64,)*
        }

        impl El1State {
            /// All registers zero.
            pub const fn zeroed() -> Self {
                Self { $($field: 0,)* }
            }

            /// Read the live registers into `self`.
            #[cfg(target_os = "none")]
            pub fn save(&mut self) {
                $(
                    // SAFETY: reading a system register has no side effect.
                    unsafe { asm!(concat!("mrs {}, ", $reg), out(reg) self.$field, options(nomem, nostack)) };
                )*
            }

            /// Load `self` into the live registers.
            ///
            /// # Safety
            ///
            /// Only between guest runs: the hypervisor at EL2 does not use
            /// these registers, the guest they belong to does.
            #[cfg(target_os = "none")]
            pub unsafe fn restore(&self) {
                $(
                    // SAFETY: the caller is between guest runs.
                    unsafe { asm!(concat!("msr ", $reg, ", {}"), in(reg) self.$field, options(nomem, nostack)) };
                )*
            }
        }
    };
}

// ANCHOR: el1_state
el1_state! {
    sctlr => "sctlr_el1",
    ttbr0 => "ttbr0_el1",
    ttbr1 => "ttbr1_el1",
    tcr => "tcr_el1",
    mair => "mair_el1",
    amair => "amair_el1",
    vbar => "vbar_el1",
    contextidr => "contextidr_el1",
    tpidr_el0 => "tpidr_el0",
    tpidrro_el0 => "tpidrro_el0",
    tpidr_el1 => "tpidr_el1",
    sp_el0 => "sp_el0",
    sp_el1 => "sp_el1",
    elr => "elr_el1",
    spsr => "spsr_el1",
    esr => "esr_el1",
    far => "far_el1",
    afsr0 => "afsr0_el1",
    afsr1 => "afsr1_el1",
    par => "par_el1",
    cpacr => "cpacr_el1",
    csselr => "csselr_el1",
    cntkctl => "cntkctl_el1",
    mdscr => "mdscr_el1",
    cntv_ctl => "cntv_ctl_el0",
    cntv_cval => "cntv_cval_el0",
}
// ANCHOR_END: el1_state

// ANCHOR: at_reset
/// SCTLR_EL1 out of reset: MMU and caches off, the RES1 bits set.
pub const SCTLR_EL1_RESET: u64 = 0x30d0_0800;
/// CPACR_EL1.FPEN = 0b11: FP/SIMD usable at EL1 and EL0, as the firmware leaves it.
pub const CPACR_EL1_FP_ON: u64 = 0b11 << 20;

impl El1State {
    /// The state of a CPU coming out of reset.
    pub fn at_reset() -> Self {
        Self {
            sctlr: SCTLR_EL1_RESET,
            cpacr: CPACR_EL1_FP_ON,
            ..Self::zeroed()
        }
    }
}
// ANCHOR_END: at_reset

// ANCHOR: fp_state
/// The FP/SIMD registers: q0-q31, FPCR and FPSR.
#[repr(C, align(16))]
#[derive(Debug, Clone, Copy)]
pub struct FpState {
    /// q0-q31, as pairs of 64-bit halves.
    pub q: [[u64; 2]; 32],
    /// FPCR.
    pub fpcr: u64,
    /// FPSR.
    pub fpsr: u64,
}

impl FpState {
    /// All zero.
    pub const fn zeroed() -> Self {
        Self {
            q: [[0; 2]; 32],
            fpcr: 0,
            fpsr: 0,
        }
    }

    /// Save the live FP/SIMD registers.
    #[cfg(target_os = "none")]
    pub fn save(&mut self) {
        // SAFETY: fp.s writes exactly size_of::<FpState>() bytes to self.
        unsafe { __fp_save(self) }
    }

    /// Load these FP/SIMD registers.
    #[cfg(target_os = "none")]
    pub fn restore(&self) {
        // SAFETY: fp.s reads exactly size_of::<FpState>() bytes from self;
        // the hypervisor itself never uses FP/SIMD (softfloat target).
        unsafe { __fp_restore(self) }
    }
}

const _: () = assert!(core::mem::size_of::<FpState>() == 528);
// ANCHOR_END: fp_state
