//! The run loop's [`Cpu`] on the board: the real instructions and
//! registers of one core, its part of the local interrupt controller, and
//! (on core 0) the console.

use super::irq;
use crate::arch::aarch64::stage2::{self, Stage2Tables};
use crate::arch::aarch64::vcpu::{self, El1State, FpState, VcpuFrame};
use crate::arch::aarch64::vm_controls::{self, VmControl};
use crate::arch::aarch64::{cpu, timer};
use crate::console::{input, output};
use crate::emu::aux::SHADOW_WORDS;
use crate::log::Timestamp;
use crate::platform::LOCAL_INTC;
use crate::vm::cpu::Cpu;
use crate::vm::focus::{Focus, FocusCell};
use crate::vm::list::MAX_VMS;

// ANCHOR: tables
/// Every VM's stage-2 tables; the MMU walks them while the VM runs.
static mut STAGE2: [Stage2Tables; MAX_VMS] = [const { Stage2Tables::new() }; MAX_VMS];
// ANCHOR_END: tables

/// One core of the BCM2837, for its run loop. There is one per core: the
/// kernel creates each on its own core.
pub struct Aarch64 {
    core: usize,
    /// IPIs taken since boot.
    ipis: u64,
}

impl Aarch64 {
    /// The core this code runs on, `core`.
    ///
    /// # Safety
    ///
    /// Once per core, on that core at EL2, with the MMU on: the instance
    /// stands for the core's EL2 registers, which nothing else may change
    /// behind its back.
    pub unsafe fn take(core: usize) -> Self {
        Self { core, ipis: 0 }
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
        LOCAL_INTC.route_core_timers(self.core, hyp_timer, virtual_timer);
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

    fn set_guest_lines(&mut self, irq: bool, fiq: bool, watch_vm_controls: bool) {
        stage2::guest_hcr(irq, fiq, watch_vm_controls);
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
        // first runs, by core 0 at boot (no core runs a VM yet).
        let tables = unsafe { &mut (*core::ptr::addr_of_mut!(STAGE2))[index] };
        // SAFETY: as the caller promises; VMID = index + 1 (0 is no VM).
        unsafe { stage2::build(tables, index as u16 + 1, host_base, ram) }
    }

    fn flush_vm_tlb(&mut self, vttbr: u64) {
        // SAFETY: every VTTBR the loop holds came from `build_stage2`.
        unsafe { stage2::flush_vm_tlb(vttbr) };
    }

    fn write_console_shadow(&mut self, index: usize, words: &[u32; SHADOW_WORDS]) {
        // SAFETY: the VM's own core, between its runs: the VM's tables are
        // written by no other core once it runs.
        let tables = unsafe { &mut (*core::ptr::addr_of_mut!(STAGE2))[index] };
        stage2::write_shadow(tables, words);
    }

    unsafe fn map_console_shadow(&mut self, index: usize, mapped: bool) {
        // SAFETY: as in `write_console_shadow`.
        let tables = unsafe { &mut (*core::ptr::addr_of_mut!(STAGE2))[index] };
        // SAFETY: the caller loaded this VM and does not run it now.
        unsafe { stage2::map_shadow(tables, mapped) };
    }

    unsafe fn flush_vm_ram(&mut self, host: u64, len: u64) {
        cpu::clean_invalidate_range(host as usize, len as usize);
    }

    unsafe fn copy_to_ram(&mut self, host: u64, bytes: &[u8]) {
        // SAFETY: the caller gives guest RAM nothing runs in.
        let dest = unsafe { core::slice::from_raw_parts_mut(host as *mut u8, bytes.len()) };
        dest.copy_from_slice(bytes);
        cpu::clean_invalidate_range(dest.as_ptr() as usize, dest.len());
    }

    fn invalidate_icache(&mut self) {
        cpu::invalidate_icache();
    }

    unsafe fn read_ram_u32(&self, host: u64) -> u32 {
        // SAFETY: the caller gives an aligned word of guest RAM.
        unsafe { cpu::read_guest_word(host) }
    }

    unsafe fn write_ram_u32(&mut self, host: u64, value: u32) {
        // SAFETY: as for `read_ram_u32`.
        unsafe { cpu::write_guest_word(host, value) };
    }

    fn read_sctlr(&self) -> u64 {
        vm_controls::read_live_sctlr()
    }

    fn write_vm_control(&mut self, reg: VmControl, value: u64) {
        // SAFETY: the loop calls this between runs of the loaded vCPU,
        // with what it wrote.
        unsafe { vm_controls::write_live(reg, value) };
    }

    fn serve_interrupts(&mut self) -> bool {
        let served = irq::handle(self.core);
        self.ipis += u64::from(served.ipi);
        served.hyp_timer
    }

    fn core(&self) -> usize {
        self.core
    }

    fn ipis_taken(&self) -> u64 {
        self.ipis
    }

    fn irq_pending(&self) -> bool {
        cpu::irq_pending()
    }

    fn console_input_waiting(&self) -> bool {
        // Typed bytes are core 0's to read (the shell runs there).
        self.core == super::BOOT_CORE && input::has_input()
    }

    fn wait_for_interrupt(&mut self) {
        cpu::wait_for_interrupt();
    }

    fn console_write(&mut self, focus: &FocusCell, index: usize, bytes: &[u8]) {
        // A VM without the focus never takes the console's lock (the shell
        // may hold it a while); one that has it is asked again under the
        // lock, where the shell moves the focus.
        if focus.get() != Focus::Vm(index) {
            return;
        }
        output::write_guest(bytes, || focus.get() == Focus::Vm(index));
    }

    fn console_room(&self) -> bool {
        output::has_room()
    }
}
