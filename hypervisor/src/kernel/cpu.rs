//! The run loop's [`Cpu`] on the board: the real instructions and
//! registers of core 0, its local interrupt controller, and the console.

use super::irq;
use crate::arch::aarch64::stage2::{self, Stage2Tables};
use crate::arch::aarch64::vcpu::{self, El1State, FpState, VcpuFrame};
use crate::arch::aarch64::{cpu, timer};
use crate::console::{input, output::console};
use crate::emu::aux::SHADOW_WORDS;
use crate::log::Timestamp;
use crate::platform::LOCAL_INTC;
use crate::vm::cpu::Cpu;
use crate::vm::list::MAX_VMS;

/// The core the hypervisor runs on.
const CORE: usize = 0;

// ANCHOR: tables
/// Every VM's stage-2 tables; the MMU walks them while the VM runs.
static mut STAGE2: [Stage2Tables; MAX_VMS] = [const { Stage2Tables::new() }; MAX_VMS];
// ANCHOR_END: tables

/// Core 0 of the BCM2837, for the run loop. There is one: the kernel
/// creates it at boot.
pub struct Aarch64 {
    _private: (),
}

impl Aarch64 {
    /// The CPU the hypervisor runs on.
    ///
    /// # Safety
    ///
    /// Once, on core 0 at EL2, with the MMU on: the instance stands for the
    /// core's EL2 registers, which nothing else may change behind its back.
    pub unsafe fn take() -> Self {
        Self { _private: () }
    }
}

impl Cpu for Aarch64 {
    fn now(&self) -> Timestamp {
        timer::now()
    }

    fn counter(&self) -> u64 {
        timer::counter()
    }

    fn set_hyp_deadline(&mut self, deadline: u64) {
        timer::set_hyp_deadline(deadline);
    }

    fn route_timers(&mut self, hyp_timer: bool, virtual_timer: bool) {
        LOCAL_INTC.route_core_timers(CORE, hyp_timer, virtual_timer);
    }

    fn read_vtimer(&self) -> (u64, u64) {
        cpu::read_vtimer()
    }

    fn save_vcpu(&mut self, el1: &mut El1State, fp: &mut FpState) {
        el1.save();
        fp.save();
        // SAFETY: its timer state was saved with the EL1 state above.
        unsafe { cpu::disable_vtimer() };
    }

    unsafe fn load_vcpu(&mut self, el1: &El1State, fp: &FpState, cntvoff: u64, vttbr: u64) {
        // SAFETY: the caller is between guest runs, and `vttbr` came from
        // `build_stage2`.
        unsafe {
            el1.restore();
            fp.restore();
            cpu::set_cntvoff(cntvoff);
            stage2::load(vttbr);
        }
    }

    fn read_el1(&self) -> El1State {
        let mut el1 = El1State::zeroed();
        el1.save();
        el1
    }

    fn write_el1(&mut self, el1: &El1State) {
        // SAFETY: between guest runs, on the loaded vCPU's own registers.
        unsafe { el1.restore() };
    }

    fn read_fp(&self) -> FpState {
        let mut fp = FpState::zeroed();
        fp.save();
        fp
    }

    fn write_fp(&mut self, fp: &FpState) {
        fp.restore();
    }

    fn read_vbar(&self) -> u64 {
        cpu::read_vbar_el1()
    }

    fn write_el1_exception(&mut self, esr: u64, elr: u64, spsr: u64) {
        // SAFETY: between guest runs, on the loaded vCPU's own registers.
        unsafe { cpu::write_el1_exception(esr, elr, spsr) };
    }

    fn set_guest_lines(&mut self, irq: bool, fiq: bool) {
        stage2::guest_hcr(irq, fiq);
    }

    unsafe fn run(&mut self, frame: &mut VcpuFrame) -> u64 {
        // SAFETY: the caller loaded the vCPU; the frame lives in the static
        // hypervisor and does not move while the guest runs.
        unsafe { vcpu::run(frame) }
    }

    fn init_stage2(&mut self) {
        stage2::init();
    }

    unsafe fn build_stage2(&mut self, index: usize, host_base: u64, ram: u64) -> u64 {
        // SAFETY: each VM's tables are written only here, once, before it
        // first runs, by the one core the hypervisor uses.
        let tables = unsafe { &mut (*core::ptr::addr_of_mut!(STAGE2))[index] };
        // SAFETY: as the caller promises; VMID = index + 1 (0 is no VM).
        unsafe { stage2::build(tables, index as u16 + 1, host_base, ram) }
    }

    fn flush_vm_tlb(&mut self, vttbr: u64) {
        // SAFETY: every VTTBR the loop holds came from `build_stage2`.
        unsafe { stage2::flush_vm_tlb(vttbr) };
    }

    fn write_console_shadow(&mut self, index: usize, words: &[u32; SHADOW_WORDS]) {
        // SAFETY: the one core the hypervisor uses, between guest runs:
        // nothing else writes the tables now.
        let tables = unsafe { &mut (*core::ptr::addr_of_mut!(STAGE2))[index] };
        stage2::write_shadow(tables, words);
    }

    unsafe fn map_console_shadow(&mut self, index: usize, mapped: bool) {
        // SAFETY: as in `write_console_shadow`.
        let tables = unsafe { &mut (*core::ptr::addr_of_mut!(STAGE2))[index] };
        // SAFETY: the caller loaded this VM and does not run it now.
        unsafe { stage2::map_shadow(tables, mapped) };
    }

    unsafe fn copy_to_ram(&mut self, host: u64, bytes: &[u8]) {
        // SAFETY: the caller gives guest RAM nothing runs in.
        let dest = unsafe { core::slice::from_raw_parts_mut(host as *mut u8, bytes.len()) };
        dest.copy_from_slice(bytes);
        cpu::clean_dcache_range(dest.as_ptr() as usize, dest.len());
    }

    fn flush_caches(&mut self) {
        cpu::clean_invalidate_dcache_all();
        cpu::invalidate_icache();
    }

    unsafe fn read_ram_u32(&self, host: u64) -> u32 {
        // The guest may have written it with its caches off: drop any line
        // the hypervisor holds so the read sees RAM.
        cpu::clean_invalidate_range(host as usize, 4);
        // SAFETY: the caller gives an aligned word of guest RAM.
        unsafe { core::ptr::read_volatile(host as *const u32) }
    }

    unsafe fn write_ram_u32(&mut self, host: u64, value: u32) {
        // SAFETY: as for `read_ram_u32`.
        unsafe { core::ptr::write_volatile(host as *mut u32, value) };
        // Push it to RAM, where a guest with its caches off will look.
        cpu::clean_invalidate_range(host as usize, 4);
    }

    fn clean_invalidate_by_set_way(&mut self, set_way: u64) {
        cpu::clean_invalidate_by_set_way(set_way);
    }

    fn serve_interrupts(&mut self) -> bool {
        irq::handle()
    }

    fn irq_pending(&self) -> bool {
        cpu::irq_pending()
    }

    fn console_input_waiting(&self) -> bool {
        input::has_input()
    }

    fn wait_for_interrupt(&mut self) {
        cpu::wait_for_interrupt();
    }

    fn console_write(&mut self, bytes: &[u8]) {
        console().write_raw(bytes);
    }
}
