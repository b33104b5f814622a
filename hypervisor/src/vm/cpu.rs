//! What the run loop asks of the machine it runs on, as a trait: the
//! counter and the EL2 timer, a vCPU's registers in and out of the CPU,
//! stage 2, cache maintenance on guest RAM, running a vCPU, and the three
//! board-level acts of core 0 the loop performs (routing the core timers'
//! interrupts, serving the physical interrupts, writing to the console).
//!
//! On the board `kernel::cpu::Aarch64` implements it with the real
//! instructions; the host tests use the fake in `vm/fake_cpu.rs`, so the
//! scheduler, sleep and wake, slices and exit handling are tested without
//! a board. Nothing here may assume which implementation it gets.

use super::focus::FocusCell;
use crate::arch::aarch64::vcpu::{El1State, FpState, VcpuFrame};
use crate::arch::aarch64::vm_controls::VmControl;
use crate::emu::aux::SHADOW_WORDS;
use crate::log::Timestamp;

// ANCHOR: cpu
/// The CPU-facing operations of the run loop.
pub trait Cpu {
    /// The physical counter now (CNTPCT_EL0) and its frequency.
    fn now(&self) -> Timestamp;
    /// The physical counter, read without ordering it after the
    /// instructions before it (no ISB): possibly a little early, never late.
    fn counter(&self) -> u64;
    /// Arm the EL2 timer (CNTHP) to fire at physical counter `deadline`.
    fn set_hyp_deadline(&mut self, deadline: u64);
    /// Route this core's timer interrupts to its IRQ line: the EL2 timer's
    /// and the virtual timer's.
    fn route_timers(&mut self, hyp_timer: bool, virtual_timer: bool);

    /// The loaded vCPU's live virtual timer: (CNTV_CTL_EL0, CNTV_CVAL_EL0).
    fn read_vtimer(&self) -> (u64, u64);
    /// Save the loaded vCPU's EL1 and FP state into `el1` and `fp`, then
    /// switch its virtual timer off, so it cannot fire while another runs.
    fn save_vcpu(&mut self, el1: &mut El1State, fp: &mut FpState);
    /// Load a vCPU's EL1 and FP state, its CNTVOFF_EL2 and its stage-2 map.
    ///
    /// # Safety
    ///
    /// Only between guest runs; `vttbr` must come from
    /// [`build_stage2`](Cpu::build_stage2).
    unsafe fn load_vcpu(&mut self, el1: &El1State, fp: &FpState, cntvoff: u64, vttbr: u64);
    /// The loaded vCPU's EL1 system registers as they are now.
    fn read_el1(&self) -> El1State;
    /// Write the loaded vCPU's EL1 system registers (between its runs).
    fn write_el1(&mut self, el1: &El1State);
    /// The loaded vCPU's FP/SIMD registers as they are now.
    fn read_fp(&self) -> FpState;
    /// Write the loaded vCPU's FP/SIMD registers (between its runs).
    fn write_fp(&mut self, fp: &FpState);
    /// The loaded vCPU's VBAR_EL1.
    fn read_vbar(&self) -> u64;
    /// Write the loaded vCPU's ESR_EL1, ELR_EL1 and SPSR_EL1, as taking an
    /// exception at EL1 does.
    fn write_el1_exception(&mut self, esr: u64, elr: u64, spsr: u64);
    /// HCR_EL2 for the guest about to run, with its virtual IRQ/FIQ lines
    /// and whether its writes to the virtual memory controls trap
    /// (HCR_EL2.TVM: see `vm::coherence`).
    fn set_guest_lines(&mut self, irq: bool, fiq: bool, watch_vm_controls: bool);
    /// Run the loaded vCPU until it exits; the exception vector it left by.
    ///
    /// # Safety
    ///
    /// The vCPU whose `frame` this is must have been loaded with
    /// [`load_vcpu`](Cpu::load_vcpu) and [`set_guest_lines`](Cpu::set_guest_lines).
    unsafe fn run(&mut self, frame: &mut VcpuFrame) -> u64;

    /// Set the EL2 controls shared by every VM. Once, before any VM.
    fn init_stage2(&mut self);
    /// Build VM `index`'s stage-2 map of `ram` bytes at `host_base`; its
    /// VTTBR_EL2 value.
    ///
    /// # Safety
    ///
    /// Once per VM, before it first runs; `[host_base, host_base + ram)`
    /// must be RAM that belongs to this VM alone.
    unsafe fn build_stage2(&mut self, index: usize, host_base: u64, ram: u64) -> u64;
    /// Forget the cached translations of the VM with this VTTBR.
    fn flush_vm_tlb(&mut self, vttbr: u64);
    /// Write VM `index`'s console shadow page: what its mini UART's page
    /// reads, word by word from its start (the rest of the page reads 0).
    fn write_console_shadow(&mut self, index: usize, words: &[u32; SHADOW_WORDS]);
    /// Map VM `index`'s console shadow read-only in place of its mini
    /// UART's page, or take it away (every access to the page traps).
    ///
    /// # Safety
    ///
    /// VM `index` must be the loaded one, and not running.
    unsafe fn map_console_shadow(&mut self, index: usize, mapped: bool);

    /// Clean and invalidate `[host, host + len)` of guest RAM by VA, in
    /// every core's data cache: what any cache held dirty is in RAM, and no
    /// line of it is cached any more (see `vm::coherence`).
    ///
    /// # Safety
    ///
    /// The range must be RAM the hypervisor maps (a VM's).
    unsafe fn flush_vm_ram(&mut self, host: u64, len: u64);
    /// Copy `bytes` to guest RAM at host physical address `host`, then
    /// clean and invalidate them, so RAM holds them for a guest with its
    /// caches off and no stale copy waits in a cache for when it turns
    /// them on.
    ///
    /// # Safety
    ///
    /// The range must be guest RAM no guest runs in now.
    unsafe fn copy_to_ram(&mut self, host: u64, bytes: &[u8]);
    /// Drop every instruction cache line of every core (after a VM's
    /// code was reloaded).
    fn invalidate_icache(&mut self);
    /// Read a word of guest RAM at host physical address `host`, as RAM
    /// holds it (a guest may have written it with its caches off), and
    /// leave no line of it in the cache.
    ///
    /// # Safety
    ///
    /// `host` must be an aligned word of a VM's RAM.
    unsafe fn read_ram_u32(&self, host: u64) -> u32;
    /// Write a word of guest RAM to RAM, leaving no line of it cached.
    ///
    /// # Safety
    ///
    /// As for [`read_ram_u32`](Cpu::read_ram_u32).
    unsafe fn write_ram_u32(&mut self, host: u64, value: u32);
    /// The loaded vCPU's live SCTLR_EL1.
    fn read_sctlr(&self) -> u64;
    /// Write one of the loaded vCPU's live virtual memory controls, as its
    /// trapped MSR would have (HCR_EL2.TVM).
    fn write_vm_control(&mut self, reg: VmControl, value: u64);

    /// Serve every pending physical interrupt (the console's receiver and
    /// transmitter, the EL2 timer); whether the EL2 timer had fired, which stops it.
    fn serve_interrupts(&mut self) -> bool;
    /// Whether a physical interrupt is pending on this core (masked at EL2,
    /// so it waits for [`serve_interrupts`](Cpu::serve_interrupts)): the
    /// console's receiver or the EL2 timer. A register read, no device
    /// access; the main loop asks it before serving the console.
    fn irq_pending(&self) -> bool;
    /// Whether typed bytes wait for the shell's attention.
    fn console_input_waiting(&self) -> bool;
    /// Sleep until an interrupt is pending.
    fn wait_for_interrupt(&mut self);
    /// Write VM `index`'s output to the console, as it is, if the VM has
    /// the console's focus: decided under the console's lock, so that no
    /// byte of a VM that just lost the focus (to another core's shell)
    /// follows what the shell printed when it took it. It does not wait
    /// for the wire: what does not fit in the console's transmit ring is
    /// dropped (a VM that honours [`console_room`](Cpu::console_room) never
    /// gets that far).
    fn console_write(&mut self, focus: &FocusCell, index: usize, bytes: &[u8]);
    /// Whether the console can take the focused VM's output now (its
    /// transmit ring is not above the high-water mark); while it cannot,
    /// the VM's mini UART reads busy.
    fn console_room(&self) -> bool;

    /// Which physical core this is (0 on the host's fake).
    fn core(&self) -> usize {
        0
    }
    /// IPIs this core has taken since boot (for `info`).
    fn ipis_taken(&self) -> u64 {
        0
    }
}
// ANCHOR_END: cpu
