//! The VMs at run time and the hypervisor's main loop.
//!
//! The loop is the whole hypervisor once it has booted: serve the console,
//! wake the VMs whose interrupts are due, pick a VM, run it until it exits
//! (a trap or a physical interrupt), handle the exit, repeat. When no VM
//! can run, the core sleeps in WFI until the next interrupt or deadline.
//! The hypervisor runs with IRQs masked at EL2; an interrupt that arrives
//! while a guest runs makes the guest exit, and one that arrives while the
//! core sleeps ends the WFI. Either way the loop polls the sources.

use super::config::{Blob, VmConfig};
use super::list::MAX_VMS;
use super::scheduler;
use super::state::{ExitCounts, VmState};
use super::table::VM_CONFIGS;
use super::trace::Tracer;
use crate::arch::aarch64::vcpu::{self, El1State, FpState, VcpuFrame, PSTATE_EL1H_MASKED};
use crate::arch::aarch64::{cpu, stage2, timer};
use crate::console::commands::Shell;
use crate::console::output::console;
use crate::console::ring::{HistoryRing, SpscRing};
use crate::emu::{VirtualBoard, VmEnv};
use crate::kernel::{irq, LOCAL_INTC};
use crate::log;

// ANCHOR: constants
/// Bytes typed to a VM that it has not read yet.
pub const INPUT_QUEUE_BYTES: usize = 64 * 1024;
/// Bytes of a VM's recent output kept for `vmc` and `vmlog`.
pub const SCROLLBACK_BYTES: usize = 16 * 1024;
/// A VM's time slice when others want the CPU.
const SLICE_MICROS: u64 = 10_000;
const MICROS_PER_SECOND: u64 = 1_000_000;
/// Why a VM whose RAM lies beyond the board's memory is halted (it never
/// ran and can never be reset).
pub const NOT_STARTED: &str = "its RAM is beyond the end of the board's memory";
/// Why a VM that called PSCI SYSTEM_OFF is stopped.
pub const POWERED_OFF: &str = "powered off by the guest";
/// The longest the idle loop sleeps without looking around.
const IDLE_POLL_MICROS: u64 = 100_000;
/// CNTV_CTL_EL0 bits: the timer is on, its interrupt is masked.
const CNTV_CTL_ENABLE: u64 = 1 << 0;
const CNTV_CTL_IMASK: u64 = 1 << 1;
// ANCHOR_END: constants

// ANCHOR: focus
/// Where typed keys go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    /// The `ferrovisor> ` prompt.
    Hypervisor,
    /// The console of VM `index` (id = index + 1).
    Vm(usize),
}
// ANCHOR_END: focus

// ANCHOR: vm
/// One VM: its configuration, its vCPU and its virtual board.
pub struct Vm {
    /// The list entry; `None` for unused slots.
    pub config: Option<&'static VmConfig>,
    /// Where the VM is in its life.
    pub state: VmState,
    /// Why it was halted, when it was.
    pub halt_reason: &'static str,
    /// Exits by kind.
    pub exits: ExitCounts,
    /// Counter ticks spent running.
    pub cpu_ticks: u64,
    /// General registers, PC, PSTATE and the last exit's syndrome.
    pub frame: VcpuFrame,
    el1: El1State,
    fp: FpState,
    /// CNTVOFF_EL2: the physical counter when the VM (re)started.
    pub cntvoff: u64,
    vttbr: u64,
    /// The virtual BCM2837 peripherals.
    pub board: VirtualBoard,
    /// Keys dropped because the input queue was full.
    pub input_dropped: u64,
    /// `vmtrace`: whether and how its MMIO accesses are logged. Survives
    /// a reset, so a guest's boot can be watched from the first access.
    pub trace: Tracer,
}
// ANCHOR_END: vm

impl Vm {
    /// An unused VM slot.
    const fn empty() -> Vm {
        Vm {
            config: None,
            state: VmState::Stopped,
            halt_reason: "",
            exits: ExitCounts {
                wfx: 0,
                hvc: 0,
                sysreg: 0,
                mmio: 0,
                irq: 0,
                other: 0,
            },
            cpu_ticks: 0,
            frame: VcpuFrame::zeroed(),
            el1: El1State::zeroed(),
            fp: FpState::zeroed(),
            cntvoff: 0,
            vttbr: 0,
            board: VirtualBoard::new(),
            input_dropped: 0,
            trace: Tracer::new(),
        }
    }

    /// The VM's name.
    pub fn name(&self) -> &'static str {
        self.config.map_or("", |c| c.name)
    }
}

// ANCHOR: env
/// What the device models of one VM see of it (the `VmEnv` they call).
pub struct GuestEnv {
    index: usize,
    cntvoff: u64,
    config: &'static VmConfig,
    focused: bool,
    vtimer: bool,
}

impl VmEnv for GuestEnv {
    fn counter(&self) -> u64 {
        timer::now().ticks.wrapping_sub(self.cntvoff)
    }

    fn counter_freq(&self) -> u64 {
        timer::now().freq
    }

    fn ram_bytes(&self) -> u64 {
        self.config.ram
    }

    fn read_guest_u32(&self, ipa: u64) -> Option<u32> {
        let host = guest_ram_address(self.config, ipa)?;
        // The guest may have written it with its caches off: drop any line
        // the hypervisor holds so the read sees RAM.
        cpu::clean_invalidate_range(host, 4);
        // SAFETY: `guest_ram_address` checked the word is inside the VM's
        // RAM, which the hypervisor maps and nobody else frees.
        Some(unsafe { core::ptr::read_volatile(host as *const u32) })
    }

    fn write_guest_u32(&mut self, ipa: u64, value: u32) -> bool {
        let Some(host) = guest_ram_address(self.config, ipa) else {
            return false;
        };
        // SAFETY: as above; the word belongs to this VM.
        unsafe { core::ptr::write_volatile(host as *mut u32, value) };
        // Push it to RAM, where a guest with its caches off will look.
        cpu::clean_invalidate_range(host, 4);
        true
    }

    fn console_write(&mut self, byte: u8) {
        SCROLLBACKS[self.index].lock().write(&[byte]);
        if self.focused {
            console().write_raw(&[byte]);
        }
    }

    fn console_read(&mut self) -> Option<u8> {
        INPUTS[self.index].pop()
    }

    fn console_pending(&self) -> usize {
        INPUTS[self.index].len()
    }

    fn virtual_timer_irq(&self) -> bool {
        self.vtimer
    }
}
// ANCHOR_END: env

// ANCHOR: queues
/// Keys typed to each VM, waiting for its UART to take them. These (and the
/// scrollbacks) are all zeros at start, so they live in .bss rather than in
/// kernel8.img.
pub static INPUTS: [SpscRing<INPUT_QUEUE_BYTES>; MAX_VMS] = [const { SpscRing::new() }; MAX_VMS];
/// Each VM's recent output, for `vmc` and `vmlog`.
pub static SCROLLBACKS: [spin::Mutex<HistoryRing<SCROLLBACK_BYTES>>; MAX_VMS] =
    [const { spin::Mutex::new(HistoryRing::new()) }; MAX_VMS];
// ANCHOR_END: queues

/// The host address of a 32-bit word of guest RAM, if it is one.
fn guest_ram_address(config: &VmConfig, ipa: u64) -> Option<usize> {
    (ipa.is_multiple_of(4) && ipa.checked_add(4)? <= config.ram)
        .then(|| (config.host_base + ipa) as usize)
}

/// All VMs and the state of the console and the scheduler.
pub struct Hypervisor {
    /// The VMs; the first `count` are in use.
    pub vms: [Vm; MAX_VMS],
    /// How many VMs the list has.
    pub count: usize,
    /// Where typed keys go.
    pub focus: Focus,
    /// The VM whose EL1 state is in the CPU registers.
    loaded: Option<usize>,
    /// The VM that ran last.
    current: Option<usize>,
    /// When the current time slice ends (counter ticks).
    slice_end: u64,
    /// A VM that must run next (the focused VM, when input came for it).
    pub urgent: Option<usize>,
}

/// The one hypervisor; its lock is taken once, by the main loop.
pub static HYPERVISOR: spin::Mutex<Hypervisor> = spin::Mutex::new(Hypervisor {
    vms: [const { Vm::empty() }; MAX_VMS],
    count: 0,
    focus: Focus::Hypervisor,
    loaded: None,
    current: None,
    slice_end: 0,
    urgent: None,
});

impl Hypervisor {
    // ANCHOR: create_vms
    /// Set up every VM of the list: stage-2 tables, image, vCPU at its entry.
    pub fn create_vms(&mut self, ram_end: u64) {
        stage2::init();
        for (index, config) in VM_CONFIGS.iter().enumerate() {
            let vm = &mut self.vms[index];
            vm.config = Some(config);
            self.count = index + 1;
            if config.host_base + config.ram > ram_end {
                vm.state = VmState::Halted;
                vm.halt_reason = NOT_STARTED;
                log!(
                    "VM {} '{}' not started: {}",
                    index + 1,
                    config.name,
                    vm.halt_reason
                );
                continue;
            }
            vm.vttbr = stage2::build(index, config.host_base, config.ram);
            self.reset_vm(index);
            log!(
                "VM {} '{}': {} MiB at {:#x}, image {} bytes at IPA {:#x}, entry {:#x}",
                index + 1,
                config.name,
                config.ram >> 20,
                config.host_base,
                config.image.len(),
                config.load,
                config.entry
            );
        }
    }
    // ANCHOR_END: create_vms

    // ANCHOR: reset
    /// (Re)start VM `index` from its image, as after power-on.
    pub fn reset_vm(&mut self, index: usize) {
        if self.loaded == Some(index) {
            self.loaded = None;
        }
        let vm = &mut self.vms[index];
        let Some(config) = vm.config else { return };
        if vm.halt_reason == NOT_STARTED {
            // Its RAM is not there: it has no stage 2 and must never run.
            return;
        }
        let image = Blob {
            load: config.load,
            bytes: config.image,
        };
        for blob in core::iter::once(&image).chain(config.blobs) {
            // SAFETY: the destination is this VM's RAM (the build checked
            // every blob fits it; creation checked the RAM is on the
            // board); nothing runs in it now.
            let dest = unsafe {
                core::slice::from_raw_parts_mut(
                    (config.host_base + blob.load) as *mut u8,
                    blob.bytes.len(),
                )
            };
            dest.copy_from_slice(blob.bytes);
            // The guest starts with its MMU and caches off: push what was
            // copied out of the data cache to RAM.
            cpu::clean_dcache_range(dest.as_ptr() as usize, dest.len());
        }
        // Dirty lines of the old instance must not land on top of what the
        // new one writes, and its instructions are stale.
        cpu::clean_invalidate_dcache_all();
        cpu::invalidate_icache();
        stage2::flush_vm_tlb(vm.vttbr);

        vm.frame = VcpuFrame::zeroed();
        vm.frame.pc = config.entry;
        // arm64 boot protocol: x0 = the device tree, x1-x3 = 0.
        vm.frame.x[0] = config.boot_x0;
        vm.frame.pstate = PSTATE_EL1H_MASKED;
        vm.el1 = El1State::at_reset();
        vm.fp = FpState::zeroed();
        vm.cntvoff = timer::now().ticks;
        vm.board.reset();
        // ANCHOR: drop_input
        // Keys typed to the old instance are not for the new one, as on a
        // real board, where what arrives while the machine is down is lost.
        // Left queued, they would be the new instance's first input: a
        // halted guest would replay what was typed at it after it died.
        while INPUTS[index].pop().is_some() {}
        // ANCHOR_END: drop_input
        vm.state = VmState::Runnable;
        vm.halt_reason = "";
    }
    // ANCHOR_END: reset

    /// VM `index`'s device models and the environment they run in.
    pub fn env_for_device(&mut self, index: usize) -> (&mut VirtualBoard, GuestEnv) {
        self.env(index)
    }

    fn env(&mut self, index: usize) -> (&mut VirtualBoard, GuestEnv) {
        let focused = self.focus == Focus::Vm(index);
        let vtimer = self.vtimer_asserted(index, timer::now().ticks);
        let vm = &mut self.vms[index];
        let env = GuestEnv {
            index,
            cntvoff: vm.cntvoff,
            config: vm.config.expect("only configured VMs run"),
            focused,
            vtimer,
        };
        (&mut vm.board, env)
    }

    // ANCHOR: vtimer
    /// CNTV_CTL and CNTV_CVAL of VM `index`, live if its state is loaded.
    fn vtimer(&self, index: usize) -> (u64, u64) {
        if self.loaded == Some(index) {
            cpu::read_vtimer()
        } else {
            let el1 = &self.vms[index].el1;
            (el1.cntv_ctl, el1.cntv_cval)
        }
    }

    /// Whether VM `index`'s virtual timer interrupt is asserted now.
    fn vtimer_asserted(&self, index: usize, now: u64) -> bool {
        let (ctl, cval) = self.vtimer(index);
        let virtual_now = now.wrapping_sub(self.vms[index].cntvoff);
        ctl & CNTV_CTL_ENABLE != 0 && ctl & CNTV_CTL_IMASK == 0 && virtual_now >= cval
    }
    // ANCHOR_END: vtimer

    // ANCHOR: lines
    /// VM `index`'s virtual IRQ and FIQ lines now.
    pub fn interrupt_lines(&mut self, index: usize, now: u64) -> (bool, bool) {
        let vtimer = self.vtimer_asserted(index, now);
        let (board, mut env) = self.env(index);
        (
            board.irq_line(&mut env, vtimer),
            board.fiq_line(&mut env, vtimer),
        )
    }
    // ANCHOR_END: lines

    // ANCHOR: wake
    /// When VM `index`'s virtual timer fires (physical counter), if armed.
    fn timer_deadline(&self, index: usize) -> Option<u64> {
        let (ctl, cval) = self.vtimer(index);
        let armed = ctl & CNTV_CTL_ENABLE != 0 && ctl & CNTV_CTL_IMASK == 0;
        armed.then(|| cval.saturating_add(self.vms[index].cntvoff))
    }

    /// When one of VM `index`'s devices next raises an interrupt by itself
    /// (physical counter), if one is armed.
    fn device_deadline(&mut self, index: usize) -> Option<u64> {
        let cntvoff = self.vms[index].cntvoff;
        let (board, env) = self.env(index);
        board.next_deadline(&env).map(|t| t.saturating_add(cntvoff))
    }

    /// When sleeping VM `index` must be woken (physical counter).
    fn wake_deadline(&mut self, index: usize) -> Option<u64> {
        match (self.timer_deadline(index), self.device_deadline(index)) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Make sleeping VMs with a pending interrupt runnable.
    fn wake_sleepers(&mut self, now: u64) {
        for index in 0..self.count {
            if self.vms[index].state == VmState::Sleeping {
                let (irq, fiq) = self.interrupt_lines(index, now);
                // Its watchdog may have run out while it slept.
                if super::exits::reset_if_requested(self, index) {
                    continue;
                }
                if irq || fiq {
                    self.vms[index].state = VmState::Runnable;
                }
            }
        }
    }
    // ANCHOR_END: wake

    // ANCHOR: switch
    /// Put VM `index`'s EL1, FP and timer state into the CPU.
    fn load(&mut self, index: usize) {
        if self.loaded == Some(index) {
            return;
        }
        if let Some(old) = self.loaded.take() {
            let vm = &mut self.vms[old];
            vm.el1.save();
            vm.fp.save();
            // Its timer must not fire while another VM runs.
            cpu::disable_vtimer();
        }
        let vm = &self.vms[index];
        // SAFETY: between guest runs; this is the state of the VM to run.
        unsafe { vm.el1.restore() };
        vm.fp.restore();
        cpu::set_cntvoff(vm.cntvoff);
        stage2::load(vm.vttbr);
        self.loaded = Some(index);
    }
    // ANCHOR_END: switch

    // ANCHOR: stop_vm
    /// Stop VM `index` because of a fault or a request.
    pub fn stop_vm(&mut self, index: usize, state: VmState, reason: &'static str) {
        let vm = &mut self.vms[index];
        vm.state = state;
        vm.halt_reason = reason;
        if self.urgent == Some(index) {
            self.urgent = None;
        }
    }
    // ANCHOR_END: stop_vm

    // ANCHOR: run_once
    /// Run VM `index` until its next exit, then handle the exit.
    fn run_once(&mut self, index: usize, now: u64) {
        self.load(index);
        let vtimer = self.vtimer_asserted(index, now);
        // While the VM's own timer interrupt is pending it is delivered as
        // a virtual IRQ; the physical one is routed only when it is not, so
        // a level-triggered line cannot make the guest exit forever.
        LOCAL_INTC.route_core_timers(0, true, !vtimer);
        let (irq, fiq) = self.interrupt_lines(index, now);
        stage2::guest_hcr(irq, fiq);

        // Exit at the end of the slice, when a sleeping VM must wake, or
        // when one of this VM's devices (not its timer, which is routed
        // above) raises an interrupt. The slice only matters while another
        // VM wants the CPU: a VM running alone is left alone, but for the
        // same backstop as `idle` (every exit costs the guest time).
        let contended = (0..self.count)
            .any(|other| other != index && self.vms[other].state == VmState::Runnable);
        let mut deadline = if contended {
            self.slice_end
        } else {
            now.saturating_add(timer::now().freq * IDLE_POLL_MICROS / MICROS_PER_SECOND)
        };
        for other in 0..self.count {
            let wake = if other == index {
                self.device_deadline(other)
            } else if self.vms[other].state == VmState::Sleeping {
                self.wake_deadline(other)
            } else {
                None
            };
            if let Some(t) = wake {
                deadline = deadline.min(t);
            }
        }
        timer::set_hyp_deadline(deadline);

        // SAFETY: the VM's stage 2, EL1 state and HCR are loaded above; its
        // frame lives in the static HYPERVISOR and does not move.
        let vector = unsafe { vcpu::run(&mut self.vms[index].frame) };
        let after = timer::now().ticks;
        self.vms[index].cpu_ticks += after.wrapping_sub(now);
        super::exits::handle(self, index, vector);
    }
    // ANCHOR_END: run_once

    // ANCHOR: idle
    /// Nothing to run: sleep until an interrupt or the next deadline.
    fn idle(&mut self) {
        let mut deadline = u64::MAX;
        for index in 0..self.count {
            if self.vms[index].state == VmState::Sleeping {
                if let Some(t) = self.wake_deadline(index) {
                    deadline = deadline.min(t);
                }
            }
        }
        LOCAL_INTC.route_core_timers(0, true, false);
        // Wake at least every IDLE_POLL_MICROS even with nothing due: a
        // backstop, should an interrupt ever fail to arrive.
        let now = timer::now();
        let backstop = now.ticks + now.freq * IDLE_POLL_MICROS / MICROS_PER_SECOND;
        timer::set_hyp_deadline(deadline.min(backstop));
        if !crate::console::input::has_input() {
            cpu::wait_for_interrupt();
        }
        irq::handle();
    }
    // ANCHOR_END: idle

    /// End the current slice (the VM yielded with WFE).
    pub fn end_slice(&mut self) {
        self.slice_end = 0;
    }

    /// The VMs' states, for the scheduler.
    fn states(&self) -> [VmState; MAX_VMS] {
        let mut states = [VmState::Stopped; MAX_VMS];
        for (state, vm) in states.iter_mut().zip(&self.vms[..self.count]) {
            *state = vm.state;
        }
        states
    }
}

// ANCHOR: main_loop
/// The hypervisor's main loop.
pub fn run(hyp: &mut Hypervisor, shell: &mut Shell) -> ! {
    let slice_ticks = timer::now().freq * SLICE_MICROS / MICROS_PER_SECOND;
    loop {
        shell.service(hyp);
        let now = timer::now().ticks;
        hyp.wake_sleepers(now);
        let slice_over = now >= hyp.slice_end;
        let states = hyp.states();
        let urgent = hyp.urgent.take();
        match scheduler::pick(&states[..hyp.count], hyp.current, slice_over, urgent) {
            Some(index) => {
                if hyp.current != Some(index) || slice_over {
                    hyp.slice_end = now + slice_ticks;
                }
                hyp.current = Some(index);
                hyp.run_once(index, now);
            }
            None => hyp.idle(),
        }
    }
}
// ANCHOR_END: main_loop
