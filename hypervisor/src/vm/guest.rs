//! One VM at run time: its vCPU, its virtual board and its console queues,
//! and the environment its device models see ([`GuestEnv`]). The run loop
//! (`machine`) and the exit handlers (`exits`) both work on a [`Vm`]; the
//! handlers get nothing else but where it sits ([`Seat`]) and the CPU.

use super::config::VmConfig;
use super::cpu::Cpu;
use super::debug::DebugRegs;
use super::focus::FocusCell;
use super::id::VmId;
use super::inject::{self, El1Exception};
use super::list::MAX_VMS;
use super::state::{ExitCounts, GuestCaches, VmState, Why};
use super::trace::Tracer;
use crate::arch::aarch64::vcpu::{El1State, FpState, VcpuFrame};
use crate::console::ring::{HistoryRing, SpscRing};
use crate::emu::{VirtualBoard, VmEnv};
use crate::sync::{array_of, const_fn, AtomicBool};
use core::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

pub use super::focus::Focus;

/// Bytes typed to a VM that it has not read yet.
#[cfg(not(loom))]
pub const INPUT_QUEUE_BYTES: usize = 64 * 1024;
/// Under loom (`crate::sync`) every slot is a cell the model checker
/// tracks: a small queue keeps each run of a model small.
#[cfg(loom)]
pub const INPUT_QUEUE_BYTES: usize = 4;
/// Bytes of a VM's recent output kept for `vmc` and `vmlog`.
pub const SCROLLBACK_BYTES: usize = 16 * 1024;
/// CNTV_CTL_EL0 bits: the timer is on, its interrupt is masked.
const CNTV_CTL_ENABLE: u64 = 1 << 0;
const CNTV_CTL_IMASK: u64 = 1 << 1;

// ANCHOR: queues
/// Every VM's console queues: the keys typed to it that it has not read,
/// and its recent output, and where the console's focus is. They are all
/// zeros at start, so the one instance (in `kernel`) lives in .bss rather
/// than in kernel8.img. They are what the cores share about the console:
///
/// - `inputs[i]`: written by core 0 (the shell, the one producer), read by
///   the core VM `i` is pinned to (the one consumer); the ring's own
///   Release/Acquire pairing publishes each byte ([`SpscRing`]).
/// - `urgent[i]`: set by core 0 after it queued input for VM `i` (Release,
///   after the byte), taken by VM `i`'s core (Acquire), which then runs VM
///   `i` ahead of its rotation and finds the byte queued.
/// - `focus`: see `vm::focus` (ordered by the console's lock).
/// - `scrollbacks[i]`: written by VM `i`'s core, read by any core for
///   `vmc`/`vmlog`, under its lock (never held while waiting for anything).
/// - `cores[i]`: the core VM `i` runs on, written by core 0 at boot before
///   any other core runs a VM (`kernel::smp::GO` publishes it), read by
///   the shell to know where to send a command about VM `i`.
pub struct Consoles {
    /// Keys typed to each VM, waiting for its UART to take them.
    pub inputs: [SpscRing<INPUT_QUEUE_BYTES>; MAX_VMS],
    /// Each VM's recent output, for `vmc` and `vmlog`.
    pub scrollbacks: [spin::Mutex<HistoryRing<SCROLLBACK_BYTES>>; MAX_VMS],
    /// Input came for VM `i`: run it soon.
    pub urgent: [AtomicBool; MAX_VMS],
    /// Keys dropped because VM `i`'s input queue was full.
    pub dropped: [AtomicU64; MAX_VMS],
    /// Where typed keys go (`vm::focus`).
    pub focus: FocusCell,
    /// The core each VM runs on.
    pub cores: [AtomicUsize; MAX_VMS],
}

impl Consoles {
    const_fn! {
        /// Empty queues.
        pub fn new() -> Self {
            Self {
                inputs: array_of![SpscRing::new(); MAX_VMS],
                scrollbacks: [const { spin::Mutex::new(HistoryRing::new()) }; MAX_VMS],
                urgent: array_of![AtomicBool::new(false); MAX_VMS],
                dropped: [const { AtomicU64::new(0) }; MAX_VMS],
                focus: FocusCell::new(),
                cores: [const { AtomicUsize::new(0) }; MAX_VMS],
            }
        }
    }

    /// Where typed keys go.
    pub fn focus(&self) -> Focus {
        self.focus.get()
    }

    /// Give the keyboard to `focus`.
    pub fn set_focus(&self, focus: Focus) {
        self.focus.set(focus);
    }

    // ANCHOR: give_input
    /// Queue a key typed to VM `index` and mark the VM urgent, so its core
    /// runs it at once (typing feels instant however busy the others are).
    /// `false` (and the key counted as dropped) if its queue is full.
    pub fn give_input(&self, index: usize, byte: u8) -> bool {
        let queued = self.inputs[index].push(byte);
        if !queued {
            self.dropped[index].fetch_add(1, Ordering::Relaxed);
        }
        self.urgent[index].store(true, Ordering::Release);
        queued
    }

    /// Whether input came for VM `index` since the last look (its core
    /// asks, once per pass of its loop).
    pub fn take_urgent(&self, index: usize) -> bool {
        // A plain load first: the flag is almost always clear, and a load
        // costs less than the read-modify-write that clears it.
        self.urgent[index].load(Ordering::Relaxed)
            && self.urgent[index].swap(false, Ordering::Acquire)
    }
    // ANCHOR_END: give_input
}

impl Default for Consoles {
    fn default() -> Self {
        Self::new()
    }
}
// ANCHOR_END: queues

// ANCHOR: vm
/// One VM: its configuration, its vCPU and its virtual board.
pub struct Vm {
    /// The list entry; `None` for unused slots.
    pub config: Option<&'static VmConfig>,
    /// Where the VM is in its life (and why it is not running, if not).
    pub state: VmState,
    /// Exits by kind.
    pub exits: ExitCounts,
    /// Counter ticks spent running.
    pub cpu_ticks: u64,
    /// General registers, PC, PSTATE and the last exit's syndrome.
    pub frame: VcpuFrame,
    /// The EL1 system registers, while another VM has the CPU.
    pub el1: El1State,
    /// The FP/SIMD registers, while another VM has the CPU.
    pub fp: FpState,
    /// Whether this VM's EL1, FP and timer state is in the CPU now (the
    /// loop keeps at most one loaded).
    pub loaded: bool,
    /// CNTVOFF_EL2: the physical counter when the VM (re)started.
    pub cntvoff: u64,
    /// VTTBR_EL2: its stage-2 map and VMID.
    pub vttbr: u64,
    /// The virtual BCM2837 peripherals.
    pub board: VirtualBoard,
    /// `vmtrace`: whether and how its MMIO accesses are logged. Survives
    /// a reset, so a guest's boot can be watched from the first access.
    pub trace: Tracer,
    /// Its debug, OS-lock and PMU registers (MDCR_EL2 traps them).
    pub debug: DebugRegs,
    /// Whether an injected UNDEFINED was logged since its reset.
    pub undefined_reported: bool,
    /// Its set/way cache maintenance, done by VA (`vm::coherence`).
    pub caches: GuestCaches,
}
// ANCHOR_END: vm

/// Where a VM sits: what its exit handler and its devices know of the
/// world beyond it.
#[derive(Clone, Copy)]
pub struct Seat {
    /// Its index in the table.
    pub index: usize,
    /// The console queues.
    pub consoles: &'static Consoles,
}

impl Seat {
    /// The VM's id, for messages.
    pub fn id(&self) -> VmId {
        VmId::of_index(self.index)
    }
}

impl Vm {
    /// An unused VM slot.
    pub const fn empty() -> Vm {
        Vm {
            config: None,
            state: VmState::Off(Why::StoppedByUser),
            exits: ExitCounts {
                wfx: 0,
                hvc: 0,
                sysreg: 0,
                mmio: 0,
                irq: 0,
                other: 0,
                decoded: 0,
            },
            cpu_ticks: 0,
            frame: VcpuFrame::zeroed(),
            el1: El1State::zeroed(),
            fp: FpState::zeroed(),
            loaded: false,
            cntvoff: 0,
            vttbr: 0,
            board: VirtualBoard::new(),
            trace: Tracer::new(),
            debug: DebugRegs::new(),
            undefined_reported: false,
            caches: GuestCaches::new(),
        }
    }

    /// The VM's name.
    pub fn name(&self) -> &'static str {
        self.config.map_or("", |c| c.name)
    }

    // ANCHOR: vtimer
    /// CNTV_CTL and CNTV_CVAL, live if the VM's state is loaded.
    pub fn vtimer(&self, cpu: &impl Cpu) -> (u64, u64) {
        if self.loaded {
            cpu.read_vtimer()
        } else {
            (self.el1.cntv_ctl, self.el1.cntv_cval)
        }
    }

    /// The EL1 system registers as they are now: live if the VM's state is
    /// loaded, else the saved copy.
    pub fn el1_now(&self, cpu: &impl Cpu) -> El1State {
        if self.loaded {
            cpu.read_el1()
        } else {
            self.el1
        }
    }

    /// Set the EL1 system registers wherever they are now.
    pub fn set_el1(&mut self, cpu: &mut impl Cpu, el1: &El1State) {
        if self.loaded {
            cpu.write_el1(el1);
        } else {
            self.el1 = *el1;
        }
    }

    /// The FP/SIMD registers as they are now, live or saved.
    pub fn fp_now(&self, cpu: &impl Cpu) -> FpState {
        if self.loaded {
            cpu.read_fp()
        } else {
            self.fp
        }
    }

    /// Set the FP/SIMD registers wherever they are now.
    pub fn set_fp(&mut self, cpu: &mut impl Cpu, fp: &FpState) {
        if self.loaded {
            cpu.write_fp(fp);
        } else {
            self.fp = *fp;
        }
    }

    /// Whether the virtual timer interrupt is asserted at physical `now`.
    pub fn vtimer_asserted(&self, cpu: &impl Cpu, now: u64) -> bool {
        timer_asserts(self.vtimer(cpu), now.wrapping_sub(self.cntvoff))
    }
    // ANCHOR_END: vtimer

    // ANCHOR: inject
    /// Make the guest take a synchronous exception with syndrome `esr` at
    /// EL1, at the instruction its PC points to, as the CPU would have.
    pub fn inject_exception(&mut self, cpu: &mut impl Cpu, esr: u64) -> El1Exception {
        let vbar = if self.loaded {
            cpu.read_vbar()
        } else {
            self.el1.vbar
        };
        let taken = inject::synchronous(esr, self.frame.pc, self.frame.pstate, vbar);
        if self.loaded {
            cpu.write_el1_exception(taken.esr, taken.elr, taken.spsr);
        } else {
            (self.el1.esr, self.el1.elr, self.el1.spsr) = (taken.esr, taken.elr, taken.spsr);
        }
        self.frame.pc = taken.pc;
        self.frame.pstate = taken.pstate;
        taken
    }
    // ANCHOR_END: inject

    // ANCHOR: env
    /// The device models and the environment they run in. The virtual
    /// timer's state is looked up only if a model asks for it.
    pub fn env<'a, C: Cpu>(
        &'a mut self,
        seat: Seat,
        cpu: &'a mut C,
    ) -> (&'a mut VirtualBoard, GuestEnv<'a, C>) {
        self.env_with(seat, cpu, None)
    }

    /// [`env`](Self::env), with the virtual timer's state already known
    /// (computed once per exit and passed down).
    pub fn env_with<'a, C: Cpu>(
        &'a mut self,
        seat: Seat,
        cpu: &'a mut C,
        vtimer: Option<bool>,
    ) -> (&'a mut VirtualBoard, GuestEnv<'a, C>) {
        let env = GuestEnv {
            seat,
            cntvoff: self.cntvoff,
            config: self.config.expect("only configured VMs run"),
            vtimer,
            saved_vtimer: (!self.loaded).then_some((self.el1.cntv_ctl, self.el1.cntv_cval)),
            cpu,
        };
        (&mut self.board, env)
    }
    // ANCHOR_END: env

    // ANCHOR: lines
    /// The VM's virtual IRQ and FIQ lines at physical `now`.
    pub fn interrupt_lines(&mut self, seat: Seat, cpu: &mut impl Cpu, now: u64) -> (bool, bool) {
        let vtimer = self.vtimer_asserted(cpu, now);
        self.lines_with(seat, cpu, vtimer)
    }

    /// The VM's virtual IRQ and FIQ lines, given whether its virtual timer
    /// asserts its interrupt: the board is brought up to date once.
    pub fn lines_with(&mut self, seat: Seat, cpu: &mut impl Cpu, vtimer: bool) -> (bool, bool) {
        let (board, mut env) = self.env_with(seat, cpu, Some(vtimer));
        board.lines(&mut env, vtimer)
    }
    // ANCHOR_END: lines

    // ANCHOR: wake
    /// When the virtual timer fires (physical counter), if armed.
    pub fn timer_deadline(&self, cpu: &impl Cpu) -> Option<u64> {
        let (ctl, cval) = self.vtimer(cpu);
        let armed = ctl & CNTV_CTL_ENABLE != 0 && ctl & CNTV_CTL_IMASK == 0;
        armed.then(|| cval.saturating_add(self.cntvoff))
    }

    /// When one of the VM's devices next raises an interrupt by itself
    /// (physical counter), if one is armed.
    pub fn device_deadline(&mut self, seat: Seat, cpu: &mut impl Cpu) -> Option<u64> {
        let cntvoff = self.cntvoff;
        let (board, env) = self.env(seat, cpu);
        board.next_deadline(&env).map(|t| t.saturating_add(cntvoff))
    }

    /// When the VM, asleep, must be woken (physical counter).
    pub fn wake_deadline(&mut self, seat: Seat, cpu: &mut impl Cpu) -> Option<u64> {
        earliest(self.timer_deadline(cpu), self.device_deadline(seat, cpu))
    }
    // ANCHOR_END: wake
}

// ANCHOR: guest_env
/// What the device models of one VM see of it (the `VmEnv` they call).
pub struct GuestEnv<'a, C: Cpu> {
    seat: Seat,
    cntvoff: u64,
    config: &'static VmConfig,
    /// Whether the virtual timer asserts its interrupt, if the caller knew.
    vtimer: Option<bool>,
    /// The saved CNTV_CTL and CNTV_CVAL if the VM is not loaded (else the
    /// live registers count).
    saved_vtimer: Option<(u64, u64)>,
    cpu: &'a mut C,
}

impl<C: Cpu> VmEnv for GuestEnv<'_, C> {
    fn counter(&self) -> u64 {
        self.cpu.now().ticks.wrapping_sub(self.cntvoff)
    }

    fn counter_freq(&self) -> u64 {
        self.cpu.now().freq
    }

    fn ram_bytes(&self) -> u64 {
        self.config.ram
    }

    fn read_guest_u32(&self, ipa: u64) -> Option<u32> {
        let host = guest_ram_address(self.config, ipa)?;
        // SAFETY: `guest_ram_address` checked the word is inside the VM's
        // RAM, which the hypervisor maps and nobody else frees.
        Some(unsafe { self.cpu.read_ram_u32(host) })
    }

    fn write_guest_u32(&mut self, ipa: u64, value: u32) -> bool {
        let Some(host) = guest_ram_address(self.config, ipa) else {
            return false;
        };
        // SAFETY: as above; the word belongs to this VM.
        unsafe { self.cpu.write_ram_u32(host, value) };
        true
    }

    fn console_write(&mut self, byte: u8) {
        self.seat.consoles.scrollbacks[self.seat.index]
            .lock()
            .write(&[byte]);
        self.cpu
            .console_write(&self.seat.consoles.focus, self.seat.index, &[byte]);
    }

    fn console_room(&self) -> bool {
        // Only the focused VM's output goes to the wire; the others write
        // into their scrollback, which always has room.
        self.seat.consoles.focus() != Focus::Vm(self.seat.index) || self.cpu.console_room()
    }

    fn console_read(&mut self) -> Option<u8> {
        self.seat.consoles.inputs[self.seat.index].pop()
    }

    fn console_pending(&self) -> usize {
        self.seat.consoles.inputs[self.seat.index].len()
    }

    fn virtual_timer_irq(&self) -> bool {
        self.vtimer.unwrap_or_else(|| {
            let registers = self.saved_vtimer.unwrap_or_else(|| self.cpu.read_vtimer());
            timer_asserts(registers, self.counter())
        })
    }
}
// ANCHOR_END: guest_env

/// Whether a virtual timer with these CNTV_CTL and CNTV_CVAL asserts its
/// interrupt at virtual counter `virtual_now`: ENABLE set, IMASK clear,
/// ISTATUS (the compare met).
fn timer_asserts((ctl, cval): (u64, u64), virtual_now: u64) -> bool {
    ctl & CNTV_CTL_ENABLE != 0 && ctl & CNTV_CTL_IMASK == 0 && virtual_now >= cval
}

/// The earlier of two optional deadlines.
pub fn earliest(a: Option<u64>, b: Option<u64>) -> Option<u64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// The host address of a 32-bit word of guest RAM, if it is one.
fn guest_ram_address(config: &VmConfig, ipa: u64) -> Option<u64> {
    (ipa.is_multiple_of(4) && ipa.checked_add(4)? <= config.ram).then(|| config.host_base + ipa)
}

/// Model checks (`RUSTFLAGS="--cfg loom"`, see `crate::sync`): core 0
/// typing to a VM while the VM's core looks for input, in every
/// interleaving and with every value each load may see.
#[cfg(loom)]
#[cfg(test)]
mod loom_tests {
    extern crate std;
    use super::*;
    use loom::sync::Arc;
    use loom::thread;
    use std::vec::Vec;

    /// The VM the keys are typed to.
    const VM: usize = 1;
    /// Loom runs each thread on a small stack of its own; the VM's core
    /// builds [`Consoles`] (its scrollbacks alone are 128 KiB) on its own.
    const STACK_BYTES: usize = 1 << 20;

    // ANCHOR: loom_urgent
    /// Core 0 types two keys to a VM on another core, which looks twice
    /// meanwhile, as it does once per pass of its loop. Whenever it sees
    /// the VM urgent, the first key is there to read (the flag is stored
    /// after the byte, Release, and taken with Acquire); in the end the VM
    /// has read both keys, once each and in order.
    ///
    /// Not checked here: that a key still queued when core 0 is done has
    /// the VM marked urgent. It holds (the swap that clears the flag reads
    /// the last value before it, so a later store stays), but loom 0.7
    /// lets a plain store slip in between a swap's read and its write
    /// (tokio-rs/loom#254) and so reports a loss that cannot happen.
    #[test]
    fn a_core_that_sees_the_flag_finds_the_key() {
        loom::model(|| {
            let vm_core = thread::Builder::new().stack_size(STACK_BYTES);
            let vm_core = vm_core.spawn(|| {
                let consoles = Arc::new(Consoles::new());
                let typist = {
                    let consoles = consoles.clone();
                    thread::spawn(move || {
                        assert!(consoles.give_input(VM, b'a'));
                        assert!(consoles.give_input(VM, b'b'));
                    })
                };
                let mut got = Vec::new();
                let drain = |got: &mut Vec<u8>| {
                    while let Some(key) = consoles.inputs[VM].pop() {
                        got.push(key);
                    }
                };
                for _pass in 0..2 {
                    if consoles.take_urgent(VM) {
                        drain(&mut got);
                        assert!(!got.is_empty(), "urgent, but no key queued");
                    }
                }
                typist.join().unwrap();
                drain(&mut got);
                assert_eq!(got, b"ab");
            });
            vm_core.unwrap().join().unwrap();
        });
    }
    // ANCHOR_END: loom_urgent
}
