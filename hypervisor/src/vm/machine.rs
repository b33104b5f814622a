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
use super::exits::{self, Fast, Next};
pub use super::guest::Focus;
use super::guest::{earliest, Consoles, Seat, Vm};
use super::id::VmId;
use super::list::MAX_VMS;
use super::scheduler;
use super::state::{VmState, Why};
use crate::arch::aarch64::vcpu::{El1State, FpState, VcpuFrame, PSTATE_EL1H_MASKED};
use crate::emu::ConsoleShadow;
use crate::log;

// ANCHOR: constants
/// A VM's time slice when others want the CPU.
pub const SLICE_MICROS: u64 = 10_000;
const MICROS_PER_SECOND: u64 = 1_000_000;
/// The longest the idle loop sleeps without looking around.
pub const IDLE_POLL_MICROS: u64 = 100_000;
// ANCHOR_END: constants

/// All VMs and the state of the console and the scheduler.
pub struct Hypervisor {
    /// The VMs; the first `count` are in use.
    pub vms: [Vm; MAX_VMS],
    /// How many VMs the list has.
    pub count: usize,
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
    /// Each VM's devices' next deadline, as last computed.
    devices: [DeviceDeadline; MAX_VMS],
    /// Counter ticks each VM has run since its last turn in the rotation
    /// or since it last slept: input may move a VM ahead of the others
    /// only while this is under one slice.
    boost_used: [u64; MAX_VMS],
    /// What the EL2 timer was last armed with, while that still holds.
    armed: Option<u64>,
    /// How the core timers were last routed (EL2 timer, virtual timer).
    routed: Option<(bool, bool)>,
    /// Whether each VM's console shadow is mapped in place of its mini
    /// UART's page.
    shadowed: [bool; MAX_VMS],
}

// ANCHOR: device_deadline
/// One VM's devices' next deadline (physical counter), cached between
/// exits. Computing it asks every model of the VM's board, so it is done
/// again only when it may have changed: after an exit that reached the
/// VM's devices on the slow path, after a reset, or once it has passed
/// (bringing the board up to date then moves it on).
#[derive(Clone, Copy)]
struct DeviceDeadline {
    /// The deadline, if a device is armed.
    at: Option<u64>,
    /// Whether `at` is still what the devices would say.
    fresh: bool,
}

impl DeviceDeadline {
    /// Not known: compute it at the next look.
    const STALE: DeviceDeadline = DeviceDeadline {
        at: None,
        fresh: false,
    };
}
// ANCHOR_END: device_deadline

impl Hypervisor {
    /// A hypervisor with no VMs yet, using `consoles` for their queues.
    pub const fn new(consoles: &'static Consoles) -> Self {
        Hypervisor {
            vms: [const { Vm::empty() }; MAX_VMS],
            count: 0,
            consoles,
            loaded: None,
            current: None,
            slice_end: 0,
            slice_ticks: 0,
            urgent: None,
            devices: [DeviceDeadline::STALE; MAX_VMS],
            boost_used: [0; MAX_VMS],
            armed: None,
            routed: None,
            shadowed: [false; MAX_VMS],
        }
    }

    /// Where VM `index` sits.
    pub fn seat(&self, index: usize) -> Seat {
        Seat {
            index,
            consoles: self.consoles,
        }
    }

    /// The VM that ran last.
    pub fn current(&self) -> Option<usize> {
        self.current
    }

    // ANCHOR: create_vms
    /// Set up every VM of `configs` in this one scheduler: stage-2 tables,
    /// image, vCPU at its entry. `ram_end` is where the board's RAM ends.
    /// (On the board each VM goes to the scheduler of the core its list
    /// line names, through [`create_vm`](Self::create_vm).)
    pub fn create_vms(&mut self, cpu: &mut impl Cpu, configs: &'static [VmConfig], ram_end: u64) {
        cpu.init_stage2();
        self.start(cpu, configs.len().min(MAX_VMS));
        for (index, config) in configs.iter().enumerate().take(MAX_VMS) {
            self.create_vm(cpu, index, config, ram_end);
        }
    }

    /// Make ready to run: the slice length, and `count` VMs in the whole table (this scheduler runs those it is
    /// given with [`create_vm`](Self::create_vm); the other slots stay
    /// empty, so VM indices are the same on every core).
    pub fn start(&mut self, cpu: &mut impl Cpu, count: usize) {
        let freq = cpu.now().freq;
        self.slice_ticks = freq * SLICE_MICROS / MICROS_PER_SECOND;
        self.count = count;
    }

    /// Set up VM `index` of the table from `config`, to run in this
    /// scheduler.
    pub fn create_vm(
        &mut self,
        cpu: &mut impl Cpu,
        index: usize,
        config: &'static VmConfig,
        ram_end: u64,
    ) {
        let id = VmId::of_index(index);
        let vm = &mut self.vms[index];
        vm.config = Some(config);
        self.count = self.count.max(index + 1);
        if config.host_base + config.ram > ram_end {
            vm.state = VmState::Off(Why::NeverStarted);
            log!(
                "VM {} '{}' not started: {}",
                id,
                config.name,
                Why::NeverStarted.text()
            );
            return;
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

    /// Whether VM `index` runs in this scheduler.
    pub fn owns(&self, index: usize) -> bool {
        self.vms[index].config.is_some()
    }
    // ANCHOR_END: create_vms

    // ANCHOR: reset
    /// (Re)start VM `index` from its image, as after power-on.
    pub fn reset_vm(&mut self, cpu: &mut impl Cpu, index: usize) {
        if self.loaded == Some(index) {
            self.loaded = None;
        }
        self.devices[index] = DeviceDeadline::STALE;
        self.boost_used[index] = 0;
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
        // No dirty line of the old instance may land on the new image, nor
        // a stale one be read by it: flush its RAM by VA (`vm::coherence`).
        // SAFETY: this VM's RAM, on the board, and nothing runs in it now.
        unsafe { cpu.flush_vm_ram(config.host_base, config.ram) };
        for blob in core::iter::once(&image).chain(config.blobs) {
            // SAFETY: the destination is this VM's RAM (the build checked
            // every blob fits it; creation checked the RAM is on the
            // board); nothing runs in it now.
            unsafe { cpu.copy_to_ram(config.host_base + blob.load, blob.bytes) };
        }
        // Its old instructions and translations are stale, on every core.
        cpu.invalidate_icache();
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
        vm.caches.reset();
        // ANCHOR: drop_input
        // Keys typed to the old instance are not for the new one, as on a
        // real board, where what arrives while the machine is down is lost.
        // Left queued, they would be the new instance's first input: a
        // halted guest would replay what was typed at it after it died.
        while self.consoles.inputs[index].pop().is_some() {}
        self.consoles.urgent[index].store(false, core::sync::atomic::Ordering::Relaxed);
        // ANCHOR_END: drop_input
        vm.state = VmState::Runnable;
    }
    // ANCHOR_END: reset

    // ANCHOR: input
    /// Queue a key typed to VM `index` and ask for it to run at once
    /// ([`Consoles::give_input`]; `step` grants it while the VM has not
    /// used up a slice since its last turn or sleep). `false` (and the key
    /// counted as dropped) if its queue is full.
    pub fn give_input(&mut self, index: usize, byte: u8) -> bool {
        self.consoles.give_input(index, byte)
    }

    /// Where typed keys go.
    pub fn focus(&self) -> Focus {
        self.consoles.focus()
    }

    /// Give the keyboard to `focus` (every core sees it).
    pub fn set_focus(&mut self, focus: Focus) {
        self.consoles.set_focus(focus);
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
    /// Make sleeping VMs with a pending interrupt runnable. A sleeper's
    /// devices are looked at only when something may have raised one of
    /// its lines: its wake deadline passed, or input is waiting for it.
    fn wake_sleepers(&mut self, cpu: &mut impl Cpu, now: u64) {
        for index in 0..self.count {
            if self.vms[index].state != VmState::Sleeping {
                continue;
            }
            let due = self
                .wake_deadline(cpu, index, now)
                .is_some_and(|t| t <= now);
            if !due && self.consoles.inputs[index].is_empty() {
                continue;
            }
            let seat = self.seat(index);
            let (irq, fiq) = self.vms[index].interrupt_lines(seat, cpu, now);
            // Bringing the board up to date may have moved its deadlines.
            self.devices[index].fresh = false;
            // Its watchdog may have run out while it slept.
            if self.reset_if_requested(cpu, index) {
                continue;
            }
            if irq || fiq {
                self.vms[index].state = VmState::Runnable;
            }
        }
    }
    // ANCHOR_END: wake_sleepers

    // ANCHOR: deadlines
    /// When VM `index`'s devices next act by themselves, from the cache
    /// unless it may be stale ([`DeviceDeadline`]).
    fn device_deadline(&mut self, cpu: &mut impl Cpu, index: usize, now: u64) -> Option<u64> {
        let cached = self.devices[index];
        if cached.fresh && cached.at.is_none_or(|t| t > now) {
            return cached.at;
        }
        let seat = self.seat(index);
        let at = self.vms[index].device_deadline(seat, cpu);
        self.devices[index] = DeviceDeadline { at, fresh: true };
        at
    }

    /// When sleeping VM `index` must be looked at again: its virtual timer
    /// (read from its saved registers, or the live ones if it is loaded)
    /// or a device.
    fn wake_deadline(&mut self, cpu: &mut impl Cpu, index: usize, now: u64) -> Option<u64> {
        let timer = self.vms[index].timer_deadline(cpu);
        earliest(timer, self.device_deadline(cpu, index, now))
    }

    /// Arm the EL2 timer, unless it already holds `deadline`.
    fn arm(&mut self, cpu: &mut impl Cpu, deadline: u64) {
        if self.armed != Some(deadline) {
            cpu.set_hyp_deadline(deadline);
            self.armed = Some(deadline);
        }
    }

    /// Arm the EL2 timer for `backstop` when nothing is due before it (a
    /// look around, not an event): a deadline already armed no earlier
    /// than half the backstop's distance from `now` does as well and is
    /// kept, so that a pass of the loop does not reprogram the timer (and
    /// QEMU its host timer) just because time went on. What the timer now
    /// holds.
    fn arm_backstop(&mut self, cpu: &mut impl Cpu, now: u64, backstop: u64) -> u64 {
        let half = backstop.saturating_sub(now) / 2;
        match self.armed {
            Some(armed) if armed <= backstop && armed >= now.saturating_add(half) => armed,
            _ => {
                self.arm(cpu, backstop);
                backstop
            }
        }
    }

    /// Route the core timers' interrupts, unless they already are so.
    fn route(&mut self, cpu: &mut impl Cpu, hyp_timer: bool, virtual_timer: bool) {
        if self.routed != Some((hyp_timer, virtual_timer)) {
            cpu.route_timers(hyp_timer, virtual_timer);
            self.routed = Some((hyp_timer, virtual_timer));
        }
    }

    /// Serve the physical interrupts. Serving the EL2 timer's stops it, so
    /// what it was armed with no longer holds then (only then: the console's
    /// interrupt leaves the timer armed, and rewriting it costs QEMU a
    /// reprogrammed host timer).
    fn serve(&mut self, cpu: &mut impl Cpu) {
        if cpu.serve_interrupts() {
            self.armed = None;
        }
    }

    /// Serve the physical interrupts if one is pending (the kernel's loop
    /// asks before the console is served, so typed bytes reach the shell
    /// and the focused VM without waiting for a guest to exit).
    pub fn serve_pending(&mut self, cpu: &mut impl Cpu) {
        if cpu.irq_pending() {
            self.serve(cpu);
        }
    }
    // ANCHOR_END: deadlines

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
    /// Run VM `index` until an exit the fast path cannot keep from the
    /// loop, then do what its handler says.
    fn run_once(&mut self, cpu: &mut impl Cpu, index: usize, now: u64) {
        self.load(cpu, index);
        self.console_shadow(cpu, index);
        let seat = self.seat(index);
        // The virtual timer's state, once for this exit.
        let vtimer = self.vms[index].vtimer_asserted(cpu, now);
        // While the VM's own timer interrupt is pending it is delivered as
        // a virtual IRQ; the physical one is routed only when it is not, so
        // a level-triggered line cannot make the guest exit forever.
        self.route(cpu, true, !vtimer);
        let (irq, fiq) = self.vms[index].lines_with(seat, cpu, vtimer);
        cpu.set_guest_lines(irq, fiq, self.vms[index].caches.watching);

        // Exit at the end of the slice, when a sleeping VM must wake, or
        // when one of this VM's devices (not its timer, which is routed
        // above) raises an interrupt. The slice only matters while another
        // VM wants the CPU: a VM running alone is left alone, but for the
        // same backstop as `idle` (every exit costs the guest time).
        let contended = (0..self.count)
            .any(|other| other != index && self.vms[other].state == VmState::Runnable);
        let backstop = now.saturating_add(cpu.now().freq * IDLE_POLL_MICROS / MICROS_PER_SECOND);
        let mut deadline = if contended { self.slice_end } else { backstop };
        for other in 0..self.count {
            let wake = if other == index {
                self.device_deadline(cpu, index, now)
            } else if self.vms[other].state == VmState::Sleeping {
                self.wake_deadline(cpu, other, now)
            } else {
                None
            };
            if let Some(t) = wake {
                deadline = deadline.min(t);
            }
        }
        let deadline = if !contended && deadline == backstop {
            self.arm_backstop(cpu, now, backstop)
        } else {
            self.arm(cpu, deadline);
            deadline
        };

        let next = self.run_fast(cpu, index, deadline, !vtimer);
        let after = cpu.now().ticks;
        let ran = after.wrapping_sub(now);
        self.vms[index].cpu_ticks += ran;
        self.boost_used[index] = self.boost_used[index].saturating_add(ran);
        self.follow(cpu, index, next);
        self.reset_if_requested(cpu, index);
    }
    // ANCHOR_END: run_once

    // ANCHOR: console_shadow
    /// Before loaded VM `index` runs: map its console shadow in place of
    /// its mini UART's page while no read of the page has a side effect,
    /// rewritten first if a register may read differently now, so that a
    /// driver polling the status registers takes no trap; take it away as
    /// soon as one does (a received byte is ready: reading AUX_MU_IO_REG
    /// takes it), or while `vmtrace` must see every access. Writes always
    /// trap (the page is read-only), and a write that changes what the
    /// page reads sends the fast path back here ([`exits::fast`]). Input
    /// reaches a VM only in the loop, so it is never running when the
    /// shadow must go.
    fn console_shadow(&mut self, cpu: &mut impl Cpu, index: usize) {
        let seat = self.seat(index);
        let vm = &mut self.vms[index];
        let shadow = if vm.trace.is_on() {
            ConsoleShadow::Trap
        } else {
            let (board, mut env) = vm.env(seat, cpu);
            board.console_shadow(&mut env)
        };
        let mapped = match shadow {
            ConsoleShadow::Trap => false,
            ConsoleShadow::Unchanged => true,
            ConsoleShadow::New(words) => {
                cpu.write_console_shadow(index, &words);
                true
            }
        };
        if mapped != self.shadowed[index] {
            // SAFETY: `run_once` loaded this VM, and it is not running.
            unsafe { cpu.map_console_shadow(index, mapped) };
            self.shadowed[index] = mapped;
        }
    }
    // ANCHOR_END: console_shadow

    // ANCHOR: run_fast
    /// Run the loaded VM `index`, serving the exits the fast path may keep
    /// from the loop ([`exits::fast`]) and running it again at once while
    /// [`may_stay`] says nothing else needs the CPU; what the loop must do
    /// after the exit that ends it. `deadline` is what the EL2 timer was
    /// armed with; `lines_tracked` whether the VM's interrupt lines can
    /// change only through an exit (not while its virtual timer's interrupt,
    /// delivered virtually, is pending: the guest can lower it unseen).
    fn run_fast(
        &mut self,
        cpu: &mut impl Cpu,
        index: usize,
        deadline: u64,
        lines_tracked: bool,
    ) -> Next {
        let seat = self.seat(index);
        let vm = &mut self.vms[index];
        loop {
            // SAFETY: the VM's stage 2, EL1 state and HCR are loaded (by
            // `run_once`), and a fast exit changes none of them.
            let vector = unsafe { cpu.run(&mut vm.frame) };
            match exits::fast(vm, seat, cpu, vector) {
                Fast::Resume if may_stay(cpu, deadline, lines_tracked) => continue,
                Fast::Resume => return Next::Resume,
                Fast::Then(next) => return next,
                Fast::Slow => {
                    // The slow exits are the ones that reach the devices.
                    self.devices[index].fresh = false;
                    return exits::handle(vm, seat, cpu, vector);
                }
            }
        }
    }
    // ANCHOR_END: run_fast

    // ANCHOR: follow
    /// Do what VM `index`'s exit handler asked for.
    fn follow(&mut self, cpu: &mut impl Cpu, index: usize, next: Next) {
        match next {
            Next::Resume => {}
            Next::Sleep => {
                self.vms[index].state = VmState::Sleeping;
                // A VM that sleeps is not busy: input may hurry it again.
                self.boost_used[index] = 0;
            }
            Next::EndSlice => self.slice_end = 0,
            Next::ServeInterrupts => self.serve(cpu),
            Next::Reset => self.reset_vm(cpu, index),
            Next::Stop(why) => self.stop_vm(index, why),
        }
    }
    // ANCHOR_END: follow

    // ANCHOR: idle
    /// Nothing to run: sleep until an interrupt or the next deadline.
    fn idle(&mut self, cpu: &mut impl Cpu) {
        let now = cpu.now();
        let mut deadline = u64::MAX;
        for index in 0..self.count {
            if self.vms[index].state == VmState::Sleeping {
                if let Some(t) = self.wake_deadline(cpu, index, now.ticks) {
                    deadline = deadline.min(t);
                }
            }
        }
        self.route(cpu, true, false);
        // Wake at least every IDLE_POLL_MICROS even with nothing due: a
        // backstop, should an interrupt ever fail to arrive.
        let backstop = now.ticks + now.freq * IDLE_POLL_MICROS / MICROS_PER_SECOND;
        if deadline < backstop {
            self.arm(cpu, deadline);
        } else {
            self.arm_backstop(cpu, now.ticks, backstop);
        }
        if !cpu.console_input_waiting() {
            cpu.wait_for_interrupt();
        }
        self.serve(cpu);
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
        // Input queued by the shell (on core 0) for a VM of this core.
        for index in 0..self.count {
            if self.owns(index) && self.consoles.take_urgent(index) {
                self.urgent = Some(index);
            }
        }
        let now = cpu.now().ticks;
        self.wake_sleepers(cpu, now);
        let slice_over = now >= self.slice_end;
        let states = self.states();
        // Input moves a VM ahead of the rotation only while it has used
        // less than a slice since its last turn or since it last slept: a
        // busy VM that is typed (or pasted) into still shares the CPU.
        let urgent = self
            .urgent
            .take()
            .filter(|&u| self.boost_used[u] < self.slice_ticks);
        match scheduler::pick(&states[..self.count], self.current, slice_over, urgent) {
            Some(index) => {
                if self.current != Some(index) || slice_over {
                    let weight = self.vms[index].config.map_or(1, |c| c.weight);
                    let slice = scheduler::slice_ticks(weight, SLICE_MICROS, cpu.now().freq);
                    if urgent == Some(index) {
                        // Hurried by input: what is left of its slice.
                        let left = slice.saturating_sub(self.boost_used[index]);
                        self.slice_end = now + left;
                    } else {
                        // Its turn in the rotation: a whole slice.
                        self.slice_end = now + slice;
                        self.boost_used[index] = 0;
                    }
                }
                self.current = Some(index);
                self.run_once(cpu, index, now);
            }
            None => self.idle(cpu),
        }
    }
    // ANCHOR_END: step
}

// ANCHOR: may_stay
/// Whether a guest whose exit the fast path served may run again at once,
/// without the loop: the deadline the EL2 timer was armed with (the
/// slice's end, a sleeper's wake-up, a device deadline) has not passed,
/// and the VM's interrupt lines cannot have changed behind the loop's
/// back. The loop's decisions all still hold then: the slow path is the
/// one place they are made.
///
/// A pending physical interrupt (console input for any VM, the EL2 timer)
/// is not looked for: HCR_EL2.IMO routes it to EL2, so the guest takes it
/// the moment it runs again, before its first instruction, and that exit
/// goes to the loop. Asking ISR_EL1 after every fast exit would cost each
/// of them a register read to save a world switch on the rare one. The
/// counter is compared because the timer's interrupt may take a moment to
/// show; an early reading ([`Cpu::counter`]) only lets the guest run on
/// until it does.
pub fn may_stay(cpu: &impl Cpu, deadline: u64, lines_tracked: bool) -> bool {
    lines_tracked && cpu.counter() < deadline
}
// ANCHOR_END: may_stay
