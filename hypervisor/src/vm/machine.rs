//! The VMs at run time and one pass of the hypervisor's main loop.
//!
//! A pass serves the VMs: wake those whose interrupts are due, pick a VM,
//! run it until it exits (a trap or a physical interrupt), do what the exit
//! handler says, repeat. When no VM can run, the core sleeps in WFI until
//! the next interrupt or deadline. The hypervisor runs with IRQs masked at
//! EL2; an interrupt that arrives while a guest runs makes the guest exit,
//! and one that arrives while the core sleeps ends the WFI. Either way the
//! loop polls the sources.
//!
//! Everything the pass does to the CPU goes through [`Cpu`], so the whole
//! loop (scheduling, sleep and wake, slices, exits) runs in host tests
//! against a fake; `kernel` owns the one [`Hypervisor`] and calls
//! [`Hypervisor::step`] forever.

use super::config::{Blob, VmConfig};
use super::cpu::Cpu;
use super::exits::{self, Next};
use super::guest::{Consoles, Seat, Vm};
use super::id::VmId;
use super::list::MAX_VMS;
use super::scheduler;
use super::state::{VmState, Why};
use crate::arch::aarch64::vcpu::{El1State, FpState, VcpuFrame, PSTATE_EL1H_MASKED};
use crate::log;

// ANCHOR: constants
/// A VM's time slice when others want the CPU.
pub const SLICE_MICROS: u64 = 10_000;
const MICROS_PER_SECOND: u64 = 1_000_000;
/// The longest the idle loop sleeps without looking around.
pub const IDLE_POLL_MICROS: u64 = 100_000;
// ANCHOR_END: constants

// ANCHOR: focus
/// Where typed keys go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    /// The `ferrovisor> ` prompt.
    Hypervisor,
    /// The console of the VM at this index of the table.
    Vm(usize),
}
// ANCHOR_END: focus

/// All VMs and the state of the console and the scheduler.
pub struct Hypervisor {
    /// The VMs; the first `count` are in use.
    pub vms: [Vm; MAX_VMS],
    /// How many VMs the list has.
    pub count: usize,
    /// Where typed keys go.
    pub focus: Focus,
    /// The VMs' console queues.
    pub consoles: &'static Consoles,
    /// The VM whose EL1 state is in the CPU registers.
    loaded: Option<usize>,
    /// The VM that ran last.
    current: Option<usize>,
    /// When the current time slice ends (counter ticks).
    slice_end: u64,
    /// A slice, in counter ticks.
    slice_ticks: u64,
    /// A VM that must run next (the focused VM, when input came for it).
    urgent: Option<usize>,
}

impl Hypervisor {
    /// A hypervisor with no VMs yet, using `consoles` for their queues.
    pub const fn new(consoles: &'static Consoles) -> Self {
        Hypervisor {
            vms: [const { Vm::empty() }; MAX_VMS],
            count: 0,
            focus: Focus::Hypervisor,
            consoles,
            loaded: None,
            current: None,
            slice_end: 0,
            slice_ticks: 0,
            urgent: None,
        }
    }

    /// Where VM `index` sits.
    pub fn seat(&self, index: usize) -> Seat {
        Seat {
            index,
            focused: self.focus == Focus::Vm(index),
            consoles: self.consoles,
        }
    }

    /// The VM that ran last.
    pub fn current(&self) -> Option<usize> {
        self.current
    }

    // ANCHOR: create_vms
    /// Set up every VM of `configs`: stage-2 tables, image, vCPU at its
    /// entry. `ram_end` is where the board's RAM ends.
    pub fn create_vms(&mut self, cpu: &mut impl Cpu, configs: &'static [VmConfig], ram_end: u64) {
        let freq = cpu.now().freq;
        self.slice_ticks = freq * SLICE_MICROS / MICROS_PER_SECOND;
        cpu.init_stage2();
        for (index, config) in configs.iter().enumerate().take(MAX_VMS) {
            let id = VmId::of_index(index);
            let vm = &mut self.vms[index];
            vm.config = Some(config);
            self.count = index + 1;
            if config.host_base + config.ram > ram_end {
                vm.state = VmState::Off(Why::NeverStarted);
                log!(
                    "VM {} '{}' not started: {}",
                    id,
                    config.name,
                    Why::NeverStarted.text()
                );
                continue;
            }
            // SAFETY: once for this VM, before it runs; the build placed
            // every VM's RAM in the guest pool, apart from the others, and
            // the check above keeps it on the board.
            vm.vttbr = unsafe { cpu.build_stage2(index, config.host_base, config.ram) };
            self.reset_vm(cpu, index);
            log!(
                "VM {} '{}': {} MiB at {:#x}, image {} bytes at IPA {:#x}, entry {:#x}",
                id,
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
    pub fn reset_vm(&mut self, cpu: &mut impl Cpu, index: usize) {
        if self.loaded == Some(index) {
            self.loaded = None;
        }
        let vm = &mut self.vms[index];
        vm.loaded = false;
        let Some(config) = vm.config else { return };
        if vm.state == VmState::Off(Why::NeverStarted) {
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
            unsafe { cpu.copy_to_ram(config.host_base + blob.load, blob.bytes) };
        }
        // Dirty lines of the old instance must not land on top of what the
        // new one writes, and its instructions are stale.
        cpu.flush_caches();
        cpu.flush_vm_tlb(vm.vttbr);

        vm.frame = VcpuFrame::zeroed();
        vm.frame.pc = config.entry;
        // arm64 boot protocol: x0 = the device tree, x1-x3 = 0.
        vm.frame.x[0] = config.boot_x0;
        vm.frame.pstate = PSTATE_EL1H_MASKED;
        vm.el1 = El1State::at_reset();
        vm.fp = FpState::zeroed();
        vm.cntvoff = cpu.now().ticks;
        vm.board.reset();
        vm.debug = super::debug::DebugRegs::new();
        vm.undefined_reported = false;
        // ANCHOR: drop_input
        // Keys typed to the old instance are not for the new one, as on a
        // real board, where what arrives while the machine is down is lost.
        // Left queued, they would be the new instance's first input: a
        // halted guest would replay what was typed at it after it died.
        while self.consoles.inputs[index].pop().is_some() {}
        // ANCHOR_END: drop_input
        vm.state = VmState::Runnable;
    }
    // ANCHOR_END: reset

    // ANCHOR: input
    /// Queue a key typed to VM `index` and make sure it runs at once, so
    /// typing feels instant however busy the others are. `false` (and the
    /// key counted as dropped) if its queue is full.
    pub fn give_input(&mut self, index: usize, byte: u8) -> bool {
        self.urgent = Some(index);
        if self.consoles.inputs[index].push(byte) {
            return true;
        }
        self.vms[index].input_dropped += 1;
        false
    }
    // ANCHOR_END: input

    // ANCHOR: stop_vm
    /// Stop VM `index`, saying why.
    pub fn stop_vm(&mut self, index: usize, why: Why) {
        self.vms[index].state = VmState::Off(why);
        if self.urgent == Some(index) {
            self.urgent = None;
        }
    }
    // ANCHOR_END: stop_vm

    // ANCHOR: watchdog_reset
    /// If VM `index`'s PM watchdog ran out with a full reset configured,
    /// restart that VM (only that one) from its image, as the board would
    /// reboot. Checked after every exit, and for a sleeping VM whose
    /// watchdog deadline passed. Returns whether it reset the VM.
    fn reset_if_requested(&mut self, cpu: &mut impl Cpu, index: usize) -> bool {
        let vm = &mut self.vms[index];
        if !vm.board.take_reset_request() || !vm.state.is_alive() {
            return false;
        }
        if vm.board.halt_on_reset() {
            // The firmware would stop here: the guest powered itself off.
            log!(
                "VM {} '{}' powered itself off (PM watchdog reset to partition 63)",
                VmId::of_index(index),
                vm.name()
            );
            self.stop_vm(index, Why::PoweredOff);
            return true;
        }
        log!(
            "VM {} '{}' reset itself through the PM watchdog",
            VmId::of_index(index),
            vm.name()
        );
        self.reset_vm(cpu, index);
        true
    }
    // ANCHOR_END: watchdog_reset

    // ANCHOR: wake_sleepers
    /// Make sleeping VMs with a pending interrupt runnable.
    fn wake_sleepers(&mut self, cpu: &mut impl Cpu, now: u64) {
        for index in 0..self.count {
            if self.vms[index].state == VmState::Sleeping {
                let seat = self.seat(index);
                let (irq, fiq) = self.vms[index].interrupt_lines(seat, cpu, now);
                // Its watchdog may have run out while it slept.
                if self.reset_if_requested(cpu, index) {
                    continue;
                }
                if irq || fiq {
                    self.vms[index].state = VmState::Runnable;
                }
            }
        }
    }
    // ANCHOR_END: wake_sleepers

    // ANCHOR: switch
    /// Put VM `index`'s EL1, FP and timer state into the CPU.
    fn load(&mut self, cpu: &mut impl Cpu, index: usize) {
        if self.loaded == Some(index) {
            return;
        }
        if let Some(old) = self.loaded.take() {
            let vm = &mut self.vms[old];
            cpu.save_vcpu(&mut vm.el1, &mut vm.fp);
            vm.loaded = false;
        }
        let vm = &mut self.vms[index];
        // SAFETY: between guest runs; this is the state of the VM to run,
        // and its VTTBR came from `build_stage2`.
        unsafe { cpu.load_vcpu(&vm.el1, &vm.fp, vm.cntvoff, vm.vttbr) };
        vm.loaded = true;
        self.loaded = Some(index);
    }
    // ANCHOR_END: switch

    // ANCHOR: run_once
    /// Run VM `index` until its next exit, then do what its handler says.
    fn run_once(&mut self, cpu: &mut impl Cpu, index: usize, now: u64) {
        self.load(cpu, index);
        let seat = self.seat(index);
        let vtimer = self.vms[index].vtimer_asserted(cpu, now);
        // While the VM's own timer interrupt is pending it is delivered as
        // a virtual IRQ; the physical one is routed only when it is not, so
        // a level-triggered line cannot make the guest exit forever.
        cpu.route_timers(true, !vtimer);
        let (irq, fiq) = self.vms[index].interrupt_lines(seat, cpu, now);
        cpu.set_guest_lines(irq, fiq);

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
            now.saturating_add(cpu.now().freq * IDLE_POLL_MICROS / MICROS_PER_SECOND)
        };
        for other in 0..self.count {
            let other_seat = self.seat(other);
            let vm = &mut self.vms[other];
            let wake = if other == index {
                vm.device_deadline(other_seat, cpu)
            } else if vm.state == VmState::Sleeping {
                vm.wake_deadline(other_seat, cpu)
            } else {
                None
            };
            if let Some(t) = wake {
                deadline = deadline.min(t);
            }
        }
        cpu.set_hyp_deadline(deadline);

        // SAFETY: the VM's stage 2, EL1 state and HCR are loaded above.
        let vector = unsafe { cpu.run(&mut self.vms[index].frame) };
        let after = cpu.now().ticks;
        self.vms[index].cpu_ticks += after.wrapping_sub(now);
        let next = exits::handle(&mut self.vms[index], seat, cpu, vector);
        self.follow(cpu, index, next);
        self.reset_if_requested(cpu, index);
    }
    // ANCHOR_END: run_once

    // ANCHOR: follow
    /// Do what VM `index`'s exit handler asked for.
    fn follow(&mut self, cpu: &mut impl Cpu, index: usize, next: Next) {
        match next {
            Next::Resume => {}
            Next::Sleep => self.vms[index].state = VmState::Sleeping,
            Next::EndSlice => self.slice_end = 0,
            Next::ServeInterrupts => cpu.serve_interrupts(),
            Next::Reset => self.reset_vm(cpu, index),
            Next::Stop(why) => self.stop_vm(index, why),
        }
    }
    // ANCHOR_END: follow

    // ANCHOR: idle
    /// Nothing to run: sleep until an interrupt or the next deadline.
    fn idle(&mut self, cpu: &mut impl Cpu) {
        let mut deadline = u64::MAX;
        for index in 0..self.count {
            if self.vms[index].state == VmState::Sleeping {
                let seat = self.seat(index);
                if let Some(t) = self.vms[index].wake_deadline(seat, cpu) {
                    deadline = deadline.min(t);
                }
            }
        }
        cpu.route_timers(true, false);
        // Wake at least every IDLE_POLL_MICROS even with nothing due: a
        // backstop, should an interrupt ever fail to arrive.
        let now = cpu.now();
        let backstop = now.ticks + now.freq * IDLE_POLL_MICROS / MICROS_PER_SECOND;
        cpu.set_hyp_deadline(deadline.min(backstop));
        if !cpu.console_input_waiting() {
            cpu.wait_for_interrupt();
        }
        cpu.serve_interrupts();
    }
    // ANCHOR_END: idle

    /// The VMs' states, for the scheduler.
    fn states(&self) -> [VmState; MAX_VMS] {
        let mut states = [VmState::Off(Why::StoppedByUser); MAX_VMS];
        for (state, vm) in states.iter_mut().zip(&self.vms[..self.count]) {
            *state = vm.state;
        }
        states
    }

    // ANCHOR: step
    /// One pass of the main loop, after the console was served: wake the
    /// VMs whose interrupts are due, pick one and run it to its next exit,
    /// or sleep when none can run.
    pub fn step(&mut self, cpu: &mut impl Cpu) {
        let now = cpu.now().ticks;
        self.wake_sleepers(cpu, now);
        let slice_over = now >= self.slice_end;
        let states = self.states();
        let urgent = self.urgent.take();
        match scheduler::pick(&states[..self.count], self.current, slice_over, urgent) {
            Some(index) => {
                if self.current != Some(index) || slice_over {
                    let weight = self.vms[index].config.map_or(1, |c| c.weight);
                    let freq = cpu.now().freq;
                    self.slice_end = now + scheduler::slice_ticks(weight, SLICE_MICROS, freq);
                }
                self.current = Some(index);
                self.run_once(cpu, index, now);
            }
            None => self.idle(cpu),
        }
    }
    // ANCHOR_END: step
}
