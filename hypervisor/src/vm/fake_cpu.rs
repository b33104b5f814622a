//! A fake [`Cpu`] for the run loop's host tests: a counter the test moves,
//! guest RAM in a map, and a script of exits that `run` plays back one per
//! call, recording which VM ran and what the loop asked of the CPU.

use super::cpu::Cpu;
use super::focus::{Focus, FocusCell};
use crate::arch::aarch64::vcpu::{
    El1State, FpState, VcpuFrame, VECTOR_LOWER_IRQ, VECTOR_LOWER_SYNC,
};
use crate::arch::aarch64::vm_controls::VmControl;
use crate::emu::aux::SHADOW_WORDS;
use crate::log::Timestamp;
use std::cell::Cell;
use std::collections::{BTreeMap, VecDeque};
use std::vec::Vec;

/// Where the VMID sits in a VTTBR, as on the real CPU.
const VMID_SHIFT: u32 = 48;
/// The counter's frequency: QEMU's 62.5 MHz.
pub const FREQ: u64 = 62_500_000;

/// One guest run, as the test scripts it.
#[derive(Debug, Clone, Copy, Default)]
pub struct Exit {
    /// The vector it leaves by (8: synchronous, 9: IRQ, ...).
    pub vector: u64,
    /// ESR_EL2, FAR_EL2 and HPFAR_EL2 of the exit.
    pub esr: u64,
    /// FAR_EL2.
    pub far: u64,
    /// HPFAR_EL2.
    pub hpfar: u64,
    /// Registers the guest set before it trapped: (number, value).
    pub regs: [Option<(usize, u64)>; 2],
    /// The virtual timer the guest left programmed (CNTV_CTL, CNTV_CVAL).
    pub vtimer: Option<(u64, u64)>,
    /// Counter ticks the guest ran for.
    pub ticks: u64,
    /// Whether a physical interrupt became pending during the run (and
    /// stayed pending, masked, after it: the guest trapped first).
    pub irq_arrives: bool,
}

impl Exit {
    /// A physical interrupt after `ticks` of running.
    pub fn irq(ticks: u64) -> Exit {
        Exit {
            vector: VECTOR_LOWER_IRQ,
            ticks,
            ..Exit::default()
        }
    }

    /// A synchronous exit with syndrome `esr` after `ticks`.
    pub fn sync(esr: u64, ticks: u64) -> Exit {
        Exit {
            vector: VECTOR_LOWER_SYNC,
            esr,
            ticks,
            ..Exit::default()
        }
    }
}

/// One thing the loop did to guest RAM or the caches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RamOp {
    /// `[host, host + len)` cleaned and invalidated by VA.
    Flush(u64, u64),
    /// Bytes copied to `host`: (host, len).
    Copy(u64, usize),
    /// Every instruction cache invalidated.
    Icache,
}

/// The fake CPU.
#[derive(Default)]
pub struct FakeCpu {
    /// The physical counter.
    pub ticks: Cell<u64>,
    /// The armed EL2 timer deadline.
    pub hyp_deadline: Option<u64>,
    /// The last core-timer routing (EL2 timer, virtual timer).
    pub routes: (bool, bool),
    /// The live virtual timer (CNTV_CTL, CNTV_CVAL) of the loaded vCPU.
    pub vtimer: (u64, u64),
    /// The loaded vCPU's VBAR_EL1.
    pub vbar: u64,
    /// ESR_EL1, ELR_EL1 and SPSR_EL1 of the loaded vCPU, as last written.
    pub el1_exception: Option<(u64, u64, u64)>,
    /// The virtual IRQ/FIQ lines of the last run.
    pub lines: (bool, bool),
    /// The loaded vCPU's EL1 system registers (the virtual timer apart).
    pub el1: El1State,
    /// The loaded vCPU's FP/SIMD registers, once one was loaded.
    pub fp: Option<FpState>,
    /// The loaded stage 2.
    pub vttbr: Option<u64>,
    /// The loaded CNTVOFF.
    pub cntvoff: u64,
    /// Guest RAM, by host physical address.
    pub ram: BTreeMap<u64, u8>,
    /// What the guests will do, one entry per run; when it runs out a
    /// guest runs 1000 ticks and takes a physical interrupt.
    pub script: VecDeque<Exit>,
    /// The VM (index) of every run, in order.
    pub runs: Vec<usize>,
    /// How often the loop served interrupts.
    pub interrupts_served: usize,
    /// How often the core slept in WFI.
    pub sleeps: usize,
    /// Whether console input is waiting (the idle loop does not sleep).
    pub input_waiting: bool,
    /// Whether a physical interrupt is pending; serving clears it.
    pub irq_pending: bool,
    /// How often the EL2 timer was armed.
    pub deadline_writes: usize,
    /// How often the core-timer routing was written.
    pub route_writes: usize,
    /// Each VM's console shadow as last written, and whether it is mapped.
    pub shadows: BTreeMap<usize, ([u32; SHADOW_WORDS], bool)>,
    /// How often a console shadow was taken away (a TLB flush each).
    pub shadow_unmaps: usize,
    /// What focused VMs wrote to the console.
    pub console: Vec<u8>,
    /// What was done to guest RAM and the caches, in order.
    pub ram_ops: Vec<RamOp>,
    /// HCR_EL2.TVM of the last run: the VM's controls were watched.
    pub watching: bool,
    /// Whether the console's transmit ring is above its high-water mark.
    pub console_busy: bool,
    /// Bytes of [`Self::console`] past which the console reads busy too.
    pub console_capacity: Option<usize>,
}

impl FakeCpu {
    /// A CPU whose counter stands at `ticks`.
    pub fn at(ticks: u64) -> FakeCpu {
        FakeCpu {
            ticks: Cell::new(ticks),
            ..FakeCpu::default()
        }
    }

    /// Move the counter on.
    pub fn advance(&self, ticks: u64) {
        self.ticks.set(self.ticks.get() + ticks);
    }

    /// The guest RAM ranges flushed by VA, in order: (host, bytes).
    pub fn ram_flushes(&self) -> Vec<(u64, u64)> {
        self.ram_ops
            .iter()
            .filter_map(|op| match *op {
                RamOp::Flush(host, len) => Some((host, len)),
                _ => None,
            })
            .collect()
    }

    /// A little-endian word of guest RAM (0 where nothing was written).
    pub fn word(&self, host: u64) -> u32 {
        let b = |i| u32::from(*self.ram.get(&(host + i)).unwrap_or(&0));
        b(0) | b(1) << 8 | b(2) << 16 | b(3) << 24
    }
}

impl Cpu for FakeCpu {
    fn now(&self) -> Timestamp {
        Timestamp {
            ticks: self.ticks.get(),
            freq: FREQ,
        }
    }

    fn counter(&self) -> u64 {
        self.ticks.get()
    }

    fn set_hyp_deadline(&mut self, deadline: u64) {
        self.hyp_deadline = Some(deadline);
        self.deadline_writes += 1;
    }

    fn route_timers(&mut self, hyp_timer: bool, virtual_timer: bool) {
        self.routes = (hyp_timer, virtual_timer);
        self.route_writes += 1;
    }

    fn read_vtimer(&self) -> (u64, u64) {
        self.vtimer
    }

    fn save_vcpu(&mut self, el1: &mut El1State, fp: &mut FpState) {
        *el1 = self.read_el1();
        if let Some(live) = self.fp {
            *fp = live;
        }
        (el1.cntv_ctl, el1.cntv_cval) = self.vtimer;
        self.vtimer = (0, self.vtimer.1);
        self.vttbr = None;
    }

    unsafe fn load_vcpu(&mut self, el1: &El1State, fp: &FpState, cntvoff: u64, vttbr: u64) {
        self.el1 = *el1;
        self.fp = Some(*fp);
        self.vbar = el1.vbar;
        self.vtimer = (el1.cntv_ctl, el1.cntv_cval);
        self.el1 = *el1;
        self.cntvoff = cntvoff;
        self.vttbr = Some(vttbr);
    }

    fn read_el1(&self) -> El1State {
        El1State {
            cntv_ctl: self.vtimer.0,
            cntv_cval: self.vtimer.1,
            vbar: self.vbar,
            ..self.el1
        }
    }

    fn write_el1(&mut self, el1: &El1State) {
        self.el1 = *el1;
        self.vtimer = (el1.cntv_ctl, el1.cntv_cval);
        self.vbar = el1.vbar;
    }

    fn read_fp(&self) -> FpState {
        self.fp.unwrap_or(FpState::zeroed())
    }

    fn write_fp(&mut self, fp: &FpState) {
        self.fp = Some(*fp);
    }

    fn read_vbar(&self) -> u64 {
        self.vbar
    }

    fn write_el1_exception(&mut self, esr: u64, elr: u64, spsr: u64) {
        self.el1_exception = Some((esr, elr, spsr));
        (self.el1.esr, self.el1.elr, self.el1.spsr) = (esr, elr, spsr);
    }

    fn set_guest_lines(&mut self, irq: bool, fiq: bool, watch_vm_controls: bool) {
        self.lines = (irq, fiq);
        self.watching = watch_vm_controls;
    }

    unsafe fn run(&mut self, frame: &mut VcpuFrame) -> u64 {
        let vttbr = self.vttbr.expect("a vCPU runs only once loaded");
        self.runs.push((vttbr >> VMID_SHIFT) as usize - 1);
        // A pending physical interrupt is taken to EL2 as soon as the guest
        // runs (HCR_EL2.IMO routes it there; PSTATE.I at EL1 cannot mask
        // it): the guest does nothing, and the script waits.
        let exit = if self.irq_pending {
            Exit::irq(0)
        } else {
            self.script.pop_front().unwrap_or(Exit::irq(1000))
        };
        self.advance(exit.ticks);
        frame.esr = exit.esr;
        frame.far = exit.far;
        frame.hpfar = exit.hpfar;
        for (reg, value) in exit.regs.into_iter().flatten() {
            frame.x[reg] = value;
        }
        if let Some(vtimer) = exit.vtimer {
            self.vtimer = vtimer;
        }
        self.irq_pending |= exit.irq_arrives;
        exit.vector
    }

    fn init_stage2(&mut self) {}

    unsafe fn build_stage2(&mut self, index: usize, host_base: u64, _ram: u64) -> u64 {
        ((index as u64 + 1) << VMID_SHIFT) | (host_base >> 12)
    }

    fn flush_vm_tlb(&mut self, _vttbr: u64) {}

    fn write_console_shadow(&mut self, index: usize, words: &[u32; SHADOW_WORDS]) {
        self.shadows
            .entry(index)
            .or_insert(([0; SHADOW_WORDS], false))
            .0 = *words;
    }

    unsafe fn map_console_shadow(&mut self, index: usize, mapped: bool) {
        assert_eq!(
            self.vttbr.map(|v| (v >> VMID_SHIFT) as usize - 1),
            Some(index),
            "the shadow is mapped with its VM loaded"
        );
        self.shadows
            .entry(index)
            .or_insert(([0; SHADOW_WORDS], false))
            .1 = mapped;
        if !mapped {
            self.shadow_unmaps += 1;
        }
    }

    unsafe fn flush_vm_ram(&mut self, host: u64, len: u64) {
        self.ram_ops.push(RamOp::Flush(host, len));
    }

    unsafe fn copy_to_ram(&mut self, host: u64, bytes: &[u8]) {
        self.ram_ops.push(RamOp::Copy(host, bytes.len()));
        for (i, &b) in bytes.iter().enumerate() {
            self.ram.insert(host + i as u64, b);
        }
    }

    fn invalidate_icache(&mut self) {
        self.ram_ops.push(RamOp::Icache);
    }

    unsafe fn read_ram_u32(&self, host: u64) -> u32 {
        self.word(host)
    }

    unsafe fn write_ram_u32(&mut self, host: u64, value: u32) {
        for (i, b) in value.to_le_bytes().into_iter().enumerate() {
            self.ram.insert(host + i as u64, b);
        }
    }

    fn read_sctlr(&self) -> u64 {
        self.el1.sctlr
    }

    fn write_vm_control(&mut self, reg: VmControl, value: u64) {
        *reg.saved(&mut self.el1) = value;
    }

    fn serve_interrupts(&mut self) -> bool {
        self.interrupts_served += 1;
        self.irq_pending = false;
        // The EL2 timer fired if its deadline passed (serving stops it; the
        // fake keeps the value for the tests to read).
        self.hyp_deadline.is_some_and(|d| d <= self.ticks.get())
    }

    fn irq_pending(&self) -> bool {
        self.irq_pending
    }

    fn console_input_waiting(&self) -> bool {
        self.input_waiting
    }

    fn wait_for_interrupt(&mut self) {
        // The core sleeps until the EL2 timer fires.
        self.sleeps += 1;
        if let Some(deadline) = self.hyp_deadline {
            if deadline > self.ticks.get() {
                self.ticks.set(deadline);
            }
        }
    }

    fn console_write(&mut self, focus: &FocusCell, index: usize, bytes: &[u8]) {
        if focus.get() == Focus::Vm(index) {
            self.console.extend_from_slice(bytes);
        }
    }

    fn console_room(&self) -> bool {
        !self.console_busy && self.console_capacity.is_none_or(|c| self.console.len() < c)
    }
}
