//! lrtos's own MMU: the EL1&0 stage-1 translation regime.
//!
//! The map is the identity (virtual = physical), built from the linker
//! script's section boundaries so every part of `lrtos.bin` gets the
//! permissions it needs: kernel code executable only at EL1, user code
//! executable only at EL0, the kernel's data invisible to EL0, nothing
//! writable also executable, and address 0 unmapped. RAM is normal
//! cacheable memory; the peripherals are device memory. Under ferrovisor
//! this is the guest's own stage 1; the hypervisor's stage 2 sits below it.

use aarch64_cpu::asm::barrier;
use aarch64_cpu::registers::{MAIR_EL1, SCTLR_EL1, TCR_EL1, TTBR0_EL1};
use lrtos::board;
use lrtos::paging::{self, Access, Region, Table, Tables, PAGED_END};
use tock_registers::interfaces::{ReadWriteable, Writeable};

/// Virtual addresses are 32 bits wide: 4 GiB, enough for RAM and MMIO.
const VA_BITS: u64 = 32;

extern "C" {
    static __kernel_text_start: u8;
    static __kernel_text_end: u8;
    static __kernel_rodata_start: u8;
    static __kernel_rodata_end: u8;
    static __user_text_start: u8;
    static __user_text_end: u8;
    static __user_rodata_start: u8;
    static __user_rodata_end: u8;
    static __kernel_data_start: u8;
    static __kernel_data_end: u8;
    static __user_data_start: u8;
    static __user_data_end: u8;
    static __kernel_bss_start: u8;
    static __kernel_bss_end: u8;
}

/// The address of a linker symbol.
macro_rules! symbol {
    ($name:ident) => {
        core::ptr::addr_of!($name) as u64
    };
}

/// A region from linker symbol `start` to linker symbol `end`.
macro_rules! section {
    ($start:ident, $end:ident, $access:expr) => {
        Region {
            start: symbol!($start),
            end: symbol!($end),
            access: $access,
        }
    };
}

// ANCHOR: memory_map
/// lrtos's memory map: the sections of `lrtos.bin` (page aligned by
/// `link.ld`), the rest of the mapped RAM, and the two device windows.
pub fn regions() -> [Region; 10] {
    [
        section!(__kernel_text_start, __kernel_text_end, Access::KernelCode),
        section!(
            __kernel_rodata_start,
            __kernel_rodata_end,
            Access::KernelReadOnly
        ),
        section!(__user_text_start, __user_text_end, Access::UserCode),
        section!(__user_rodata_start, __user_rodata_end, Access::UserReadOnly),
        section!(__kernel_data_start, __kernel_data_end, Access::KernelData),
        section!(__user_data_start, __user_data_end, Access::UserData),
        section!(__kernel_bss_start, __kernel_bss_end, Access::KernelData),
        Region {
            start: PAGED_END,
            end: board::RAM_BASE + board::RAM_MAPPED,
            access: Access::KernelData,
        },
        Region {
            start: board::PERIPHERAL_BASE,
            end: board::PERIPHERAL_END,
            access: Access::Device,
        },
        Region {
            start: board::LOCAL_PERIPHERAL_BASE,
            end: board::LOCAL_PERIPHERAL_END,
            access: Access::Device,
        },
    ]
}
// ANCHOR_END: memory_map

/// Where the user program's pages begin.
pub fn user_start() -> u64 {
    symbol!(__user_text_start)
}

static mut TABLES: Tables = Tables::empty();

// ANCHOR: enable
/// Build the tables and turn on the MMU and caches at EL1.
///
/// # Safety
///
/// Call once, on the boot core, before anything else uses the tables; the
/// identity map keeps the running code and stack at the same addresses.
pub unsafe fn enable() {
    // SAFETY: the caller guarantees exclusive access to TABLES.
    let tables = unsafe { &mut *core::ptr::addr_of_mut!(TABLES) };
    paging::map(tables, &regions(), |t: &Table| t as *const Table as u64)
        .expect("link.ld keeps every section page aligned");

    MAIR_EL1.write(
        MAIR_EL1::Attr0_Normal_Outer::WriteBack_NonTransient_ReadWriteAlloc
            + MAIR_EL1::Attr0_Normal_Inner::WriteBack_NonTransient_ReadWriteAlloc
            + MAIR_EL1::Attr1_Device::nonGathering_nonReordering_EarlyWriteAck,
    );
    TCR_EL1.write(
        TCR_EL1::IPS::Bits_32
            + TCR_EL1::EPD1::DisableTTBR1Walks
            + TCR_EL1::TG0::KiB_4
            + TCR_EL1::SH0::Inner
            + TCR_EL1::ORGN0::WriteBack_ReadAlloc_WriteAlloc_Cacheable
            + TCR_EL1::IRGN0::WriteBack_ReadAlloc_WriteAlloc_Cacheable
            + TCR_EL1::EPD0::EnableTTBR0Walks
            + TCR_EL1::T0SZ.val(64 - VA_BITS),
    );
    TTBR0_EL1.set_baddr(&tables.l1 as *const Table as u64);

    // Make the table writes visible to the walker, drop stale TLB entries,
    // then switch on translation with both caches. WFI and WFE at EL0 are
    // allowed, so the idle task can sleep.
    barrier::dsb(barrier::ISH);
    // SAFETY: invalidating all EL1&0 TLB entries has no other effect.
    unsafe { core::arch::asm!("tlbi vmalle1", options(nostack)) };
    barrier::dsb(barrier::ISH);
    barrier::isb(barrier::SY);
    SCTLR_EL1.modify(
        SCTLR_EL1::M::Enable
            + SCTLR_EL1::A::Disable
            + SCTLR_EL1::C::Cacheable
            + SCTLR_EL1::I::Cacheable
            + SCTLR_EL1::WXN::Disable
            + SCTLR_EL1::NTWI::DontTrap
            + SCTLR_EL1::NTWE::DontTrap,
    );
    barrier::isb(barrier::SY);
}
// ANCHOR_END: enable
