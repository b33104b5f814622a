//! Cores 1-3: how they join the hypervisor, and how one core makes another
//! look at its requests.
//!
//! The firmware (a real Pi 3's armstub8, or QEMU's boot stub for `raspi3b`)
//! starts only core 0 at the image and holds cores 1-3 in its spin table:
//! each polls its slot (0xe0, 0xe8, 0xf0) with WFE until an address
//! appears there. Core 0 writes `_secondary_start` (`boot.s`) into the
//! slots early in its boot ([`release`]). Each secondary core then takes a
//! stack of its own, installs the vectors, turns on the EL2 MMU over the
//! tables core 0 built (it enables them, it does not rebuild them), sets
//! its own EL2 registers with the routine core 0 uses too
//! ([`init_core`]), says it is online and waits until core 0 has created
//! the VMs ([`GO`]). From then on it runs the scheduler of the VMs pinned
//! to it, exactly as core 0 runs its own.
//!
//! Shared here, and how:
//!
//! - `ONLINE[n]` (in `console::remote`, where the shell needs it):
//!   written once by core `n` (Release, after its EL2 registers are set),
//!   read by core 0 (Acquire) for the boot message and `info`.
//! - [`GO`]: written once by core 0 (Release, after every VM is created in
//!   its core's scheduler), read by cores 1-3 (Acquire) before they take
//!   their scheduler's lock: what core 0 wrote into it is theirs from then.
//! - The IPI (`platform::ipi`): core 0 sets a bit of core `n`'s mailbox 0
//!   in the ARM local interrupt controller; core `n`'s IRQ line rises, its
//!   guest exits (HCR_EL2.IMO) or its WFI ends, and its loop clears the
//!   mailbox and looks at what was published for it.

use crate::arch::aarch64::{cpu, exception, mmu, stage2};
use crate::board;
pub use crate::console::remote::{online, ONLINE};
use crate::platform::{ipi, LOCAL_INTC};
use aarch64_cpu::asm;
use aarch64_cpu::registers::HCR_EL2;
use core::sync::atomic::{AtomicBool, Ordering};
use tock_registers::interfaces::Writeable;

/// Bytes of stack for each of cores 1-3 (`boot.s` shifts by 16: 64 KiB,
/// the same as core 0's `__boot_stack_size`).
pub const SECONDARY_STACK_BYTES: usize = 64 * 1024;

// ANCHOR: stacks
/// The stacks of cores 1-3, one after the other; core `n` starts with its
/// stack pointer at `n * SECONDARY_STACK_BYTES` from the start (`boot.s`).
#[repr(C, align(16))]
pub struct SecondaryStacks([[u8; SECONDARY_STACK_BYTES]; board::CORES - 1]);

/// The secondary cores' stacks, in .bss.
#[no_mangle]
#[allow(non_upper_case_globals)] // boot.s names it
static mut __secondary_stacks: SecondaryStacks =
    SecondaryStacks([[0; SECONDARY_STACK_BYTES]; board::CORES - 1]);
// ANCHOR_END: stacks

/// Core 0 has created every VM: cores 1-3 may run theirs.
pub static GO: AtomicBool = AtomicBool::new(false);

// ANCHOR: release
/// Start cores 1-3 at `_secondary_start`. Their stacks are cleaned and
/// invalidated out of this core's data cache first: they write them with
/// their caches off, and a dirty line of core 0's (the .bss clearing) must
/// not later be written back over what they stored.
pub fn release() {
    extern "C" {
        fn _secondary_start();
    }
    let stacks = core::ptr::addr_of!(__secondary_stacks) as usize;
    cpu::clean_invalidate_range(stacks, core::mem::size_of::<SecondaryStacks>());
    // SAFETY: once, on the boot core, at EL2 (the level the firmware
    // started us in) and before anything else touched the spin table;
    // `_secondary_start` needs no stack, MMU or cache to begin with.
    unsafe { raspi3b::spin_table::release_secondary_cores(_secondary_start as *const () as usize) };
}
// ANCHOR_END: release

// ANCHOR: init_core
/// Set this core's EL2 registers: every one a guest run depends on, on
/// every core, by this one routine (core 0 calls it too). HCR_EL2 routes
/// physical interrupts to EL2 and makes EL1 AArch64; `stage2::init` writes
/// VTCR, CPTR, VPIDR, VMPIDR, CNTHCTL, CNTVOFF and HSTR; the EL1&0 TLB
/// entries the firmware may have left are dropped (this core's only: no
/// VM has run anywhere yet); the EL2 timer raises this core's IRQ; and its
/// IPI mailbox may raise it too.
pub fn init_core(core: usize) {
    HCR_EL2.write(HCR_EL2::RW::EL1IsAarch64 + HCR_EL2::IMO::SET + HCR_EL2::FMO::SET);
    stage2::init();
    // SAFETY: dropping EL1&0 translations no guest uses yet.
    unsafe { core::arch::asm!("tlbi alle1", "dsb nsh", "isb", options(nostack)) };
    LOCAL_INTC.route_core_timers(core, true, false);
    ipi::enable(core);
}
// ANCHOR_END: init_core

// ANCHOR: secondary_rust
/// Called by `boot.s` on cores 1-3 with a stack of their own.
///
/// # Safety
///
/// Only `_secondary_start` may call this, once per core, after core 0 has
/// built the EL2 tables and released the core.
#[no_mangle]
pub unsafe extern "C" fn _secondary_rust(core: usize) -> ! {
    exception::install_vectors();
    // SAFETY: core 0 built the tables before it released this core, and
    // nothing changes them; this core's MMU is still off.
    unsafe { mmu::enable_secondary() };
    init_core(core);
    ONLINE[core].store(true, Ordering::Release);
    while !GO.load(Ordering::Acquire) {
        asm::wfe();
    }
    super::run_secondary(core)
}
// ANCHOR_END: secondary_rust

/// Let cores 1-3 run their VMs (and wake them from their WFE).
pub fn go() {
    GO.store(true, Ordering::Release);
    // SAFETY: DSB orders the store before the event; SEV only wakes cores
    // waiting in WFE.
    unsafe { core::arch::asm!("dsb ish", "sev", options(nostack)) };
}
