//! The shell: the console at run time. Keys go to the `ferrovisor> `
//! prompt or to the focused VM, and the shell's commands run here.

use crate::arch::aarch64::{cpu, timer};
use crate::board;
use crate::console::commands::{self, Command, SystemInfo, PROMPT};
use crate::console::lifecycle::{self, Lifecycle};
use crate::console::line_editor::{Event, LineEditor, MAX_LINE};
use crate::console::mux::{self, Escape, Key};
use crate::console::output::{console, Writer};
use crate::console::remote::{self, AskError, Request};
use crate::console::ring::HistoryRing;
use crate::console::table;
use crate::console::{input, output};
use crate::log::kernel::LOG;
use crate::platform::ipi;
use crate::platform::{BootInfo, BOOT_INFO};
use crate::vm::cpu::Cpu;
use crate::vm::id::VmId;
use crate::vm::machine::{Focus, Hypervisor};
use crate::vm::state::{VmState, Why};
use core::sync::atomic::Ordering;
use spin::MutexGuard;
use ufmt::{uwrite, uwriteln};

/// An address nothing is mapped at, for the `fault` command.
const UNMAPPED_ADDRESS: usize = 0xdead_0000;

/// The greeting printed once the console is up.
pub fn banner(info: &BootInfo) {
    let mut out = console();
    let _ = uwriteln!(
        out,
        "\nferrovisor {} - a teaching hypervisor for the Raspberry Pi 3",
        crate::VERSION
    );
    let _ = uwriteln!(
        out,
        "{} rev 1.{}, {} cores, {} MiB RAM, running at EL2",
        info.revision.model(),
        info.revision.pcb_revision(),
        board::CORES,
        info.arm_memory_bytes >> 20
    );
    let _ = uwriteln!(
        out,
        "Type 'help' for the list of commands, 'vml' for the VMs.\n"
    );
}

/// The console's state: the shell's line editor and the escape parser.
pub struct Shell {
    editor: LineEditor,
    escape: Escape,
    /// The focused VM's input queue was full (reported once per episode).
    queue_full_reported: bool,
}

impl Shell {
    /// A shell that has printed nothing yet.
    pub const fn new() -> Self {
        Self {
            editor: LineEditor::new(),
            escape: Escape::new(),
            queue_full_reported: false,
        }
    }

    /// Print the prompt.
    pub fn prompt(&self) {
        console().write_raw(PROMPT.as_bytes());
    }

    // ANCHOR: service
    /// Hand every typed byte to whoever has the focus.
    pub fn service(&mut self, hyp: &mut Hypervisor, cpu: &mut impl Cpu) {
        while let Some(byte) = input::try_read() {
            match hyp.focus() {
                Focus::Hypervisor => self.shell_byte(byte, hyp, cpu),
                Focus::Vm(index) => match self.escape.feed(byte) {
                    Key::Pending => {}
                    Key::Byte(b) => self.queue_for_vm(hyp, index, &[b]),
                    Key::AtThen(b) => self.queue_for_vm(hyp, index, &[mux::ESCAPE_CHAR, b]),
                    Key::Help => {
                        let _ = uwriteln!(console(), "\n[{}]", mux::HELP);
                    }
                    Key::Switch(0) => {
                        let mut out = move_focus(hyp, Focus::Hypervisor);
                        let _ = uwriteln!(out, "\n[back to ferrovisor]");
                        drop(out);
                        self.prompt();
                    }
                    Key::Switch(n) => match VmId::new(n as usize, hyp.count) {
                        Some(id) => self.switch_to(hyp, cpu, id),
                        // Stay where we are.
                        None => {
                            let _ = uwriteln!(
                                console(),
                                "\n[no VM with id {}; @0 returns to ferrovisor]",
                                n
                            );
                        }
                    },
                },
            }
        }
    }
    // ANCHOR_END: service

    // ANCHOR: queue_for_vm
    /// Queue bytes for VM `index` and make sure it runs soon.
    fn queue_for_vm(&mut self, hyp: &mut Hypervisor, index: usize, bytes: &[u8]) {
        // A VM of another core: an IPI makes that core run it soon, unless
        // it has not yet taken the last one (then it will find these too).
        let kick = !hyp.owns(index) && !hyp.consoles.urgent[index].load(Ordering::Relaxed);
        for &b in bytes {
            if hyp.give_input(index, b) {
                self.queue_full_reported = false;
            } else if !self.queue_full_reported {
                self.queue_full_reported = true;
                let _ = uwriteln!(
                    console(),
                    "\n[ferrovisor: VM {} is not reading its input; keys are being dropped]",
                    VmId::of_index(index)
                );
            }
        }
        if kick {
            ipi::kick(hyp.consoles.cores[index].load(Ordering::Relaxed));
        }
    }
    // ANCHOR_END: queue_for_vm

    // ANCHOR: shell_line
    fn shell_byte(&mut self, byte: u8, hyp: &mut Hypervisor, cpu: &mut impl Cpu) {
        let event = self.editor.feed(byte, &mut *console());
        match event {
            None => return,
            Some(Event::Line) => {
                let mut line = [0u8; MAX_LINE];
                let text = self.editor.line();
                line[..text.len()].copy_from_slice(text.as_bytes());
                let len = text.len();
                // Only printable ASCII reaches the line buffer.
                let text = core::str::from_utf8(&line[..len]).unwrap_or("");
                self.run_line(text, hyp, cpu);
            }
            Some(Event::TooLong) => {
                let _ = uwriteln!(
                    console(),
                    "ferrovisor: line too long (more than {} characters); ignored",
                    MAX_LINE
                );
            }
            Some(Event::Cancelled) => {}
        }
        self.editor.reset();
        if hyp.focus() == Focus::Hypervisor {
            self.prompt();
        }
    }

    fn run_line(&mut self, line: &str, hyp: &mut Hypervisor, cpu: &mut impl Cpu) {
        match commands::parse(line) {
            Ok(None) => {}
            Ok(Some(command)) => self.run(command, line, hyp, cpu),
            Err(err) => {
                let _ = commands::write_error(&mut *console(), &err);
            }
        }
    }
    // ANCHOR_END: shell_line

    // ANCHOR: run
    /// Carry out a command: the ones about the hypervisor here, the ones
    /// about a VM on the core that runs it ([`Shell::for_vm`]).
    fn run(&mut self, command: Command<'_>, line: &str, hyp: &mut Hypervisor, cpu: &mut impl Cpu) {
        match command {
            Command::Help(topic) => {
                let _ = commands::write_help(&mut *console(), topic);
            }
            Command::Info => {
                info();
                for core in 0..board::CORES {
                    on_core(hyp, cpu, core, Request::CoreRow);
                }
            }
            Command::Dmesg => dmesg(),
            Command::Vml => vml(hyp, cpu),
            Command::Vmc(id) => self.for_vm(hyp, cpu, "vmc", id, line),
            Command::VmLog(id) => self.for_vm(hyp, cpu, "vmlog", id, line),
            Command::VmStop(id) => self.for_vm(hyp, cpu, "vmstop", id, line),
            Command::VmStart(id) => self.for_vm(hyp, cpu, "vmstart", id, line),
            Command::VmReset(id) => self.for_vm(hyp, cpu, "vmreset", id, line),
            Command::VmTrace(id, _) => self.for_vm(hyp, cpu, "vmtrace", id, line),
            // LAB 1: BEGIN SOLUTION
            Command::VmRegs(id) => self.for_vm(hyp, cpu, "vmregs", id, line),
            // LAB 1: END SOLUTION
            // LAB 2: BEGIN SOLUTION
            Command::VmStat(id) => self.for_vm(hyp, cpu, "vmstat", id, line),
            // LAB 2: END SOLUTION
            Command::Ls(dir) => crate::console::files::ls(dir),
            Command::Fault => {
                // ANCHOR: fault
                let _ = uwriteln!(
                    console(),
                    "reading {:#x}, where nothing is mapped...",
                    UNMAPPED_ADDRESS
                );
                // The crash report goes to the UART directly: this line first.
                output::flush_for_crash();
                // SAFETY: deliberately not safe: the load faults, and the
                // exception handler reports it and halts; nothing after runs.
                unsafe {
                    core::ptr::read_volatile(UNMAPPED_ADDRESS as *const u64);
                }
                // ANCHOR_END: fault
            }
        }
    }

    /// `command` (the whole `line`) names VM `id`: check the id, then have
    /// the VM's core carry it out: this one (core 0) at once, another
    /// through its request channel ([`remote`]).
    fn for_vm(
        &mut self,
        hyp: &mut Hypervisor,
        cpu: &mut impl Cpu,
        command: &str,
        id: &str,
        line: &str,
    ) {
        let Some(id) = vm_id(hyp, command, id) else {
            return;
        };
        on_its_core(hyp, cpu, id.index(), Request::Line(line));
        if command == "vmc" {
            // The focus moved: start the escape parser afresh.
            self.escape = Escape::new();
        }
    }
    // ANCHOR_END: run

    // ANCHOR: switch
    /// Give the console to VM `id` (`@N`): as `vmc N`.
    fn switch_to(&mut self, hyp: &mut Hypervisor, cpu: &mut impl Cpu, id: VmId) {
        // The VM that had the console stops writing to the wire before the
        // new one's header and replay go out.
        drop(move_focus(hyp, Focus::Hypervisor));
        let mut line = LineBuffer::new();
        let _ = uwrite!(line, "vmc {}", id);
        on_its_core(hyp, cpu, id.index(), Request::Line(line.as_str()));
        self.escape = Escape::new();
    }
    // ANCHOR_END: switch
}

impl Default for Shell {
    fn default() -> Self {
        Self::new()
    }
}

fn info() {
    let boot = BOOT_INFO.get().copied();
    let info = SystemInfo {
        version: crate::VERSION,
        revision: boot.map_or(board::Revision(0), |b| b.revision),
        cores: board::CORES,
        arm_memory_bytes: boot.map_or(0, |b| b.arm_memory_bytes),
        core_clock_hz: boot.map_or(0, |b| b.core_clock_hz),
        exception_level: cpu::current_el() as u8,
        now: timer::now(),
        baud: crate::drivers::mini_uart::BAUD_RATE,
        rx_dropped: input::dropped(),
        cores_online: remote::online(),
    };
    let _ = commands::write_info(&mut *console(), &info);
}

fn dmesg() {
    replay(&LOG, true);
}

// ANCHOR: replay
/// Replay what `source` holds, from its first whole line, in pieces
/// ([`output::replay`]): its lock is taken to copy a piece out, the
/// console's to enqueue it, and neither while a full transmit ring makes
/// the replay wait. `crlf`: send each `\n` as `\r\n`. Whether the last
/// byte replayed ended a line (false if there was none).
fn replay<const N: usize>(source: &spin::Mutex<HistoryRing<N>>, crlf: bool) -> bool {
    let (from, to, ends_line) = {
        let ring = source.lock();
        let from = ring.whole_lines_start();
        let to = ring.total_written();
        let mut last = [0];
        if to > from {
            ring.copy_from(to - 1, &mut last);
        }
        (from, to, last[0] == b'\n')
    };
    output::replay(|at, out| source.lock().copy_from(at, out), (from, to), crlf);
    ends_line
}
// ANCHOR_END: replay

// ANCHOR: vml
/// `vml`: one row per VM, like `xl list`, with exit counts by kind; each
/// row printed by the core that runs the VM.
fn vml(hyp: &mut Hypervisor, cpu: &mut impl Cpu) {
    let _ = uwriteln!(
        console(),
        "Id Name            State    CPU Mem(MiB) Time(s)      WFx      HVC   SysReg     MMIO      IRQ"
    );
    for index in 0..hyp.count {
        on_its_core(hyp, cpu, index, Request::VmlRow(index));
    }
}

/// VM `index`'s row of `vml` (on its own core).
fn vml_row(hyp: &Hypervisor, index: usize) {
    let mut out = console();
    let freq = timer::now().freq.max(1);
    let vm = &hyp.vms[index];
    let core = hyp.consoles.cores[index].load(Ordering::Relaxed);
    let _ = table::number(&mut *out, VmId::of_index(index).get() as u64, 2);
    let _ = table::left(&mut *out, vm.name(), 15);
    let _ = table::left(&mut *out, vm.state.name(), 8);
    let _ = table::number(&mut *out, core as u64, 3);
    let _ = table::number(&mut *out, vm.config.map_or(0, |c| c.ram >> 20), 8);
    let _ = table::tenths(&mut *out, vm.cpu_ticks * 10 / freq, 7);
    for count in [
        vm.exits.wfx,
        vm.exits.hvc,
        vm.exits.sysreg,
        vm.exits.mmio,
        vm.exits.irq,
    ] {
        let _ = table::number(&mut *out, count, 8);
    }
    if let VmState::Off(why @ (Why::NeverStarted | Why::Faulted(_))) = vm.state {
        let _ = uwrite!(out, " ({})", why.text());
    }
    let _ = uwriteln!(out, "");
}
// ANCHOR_END: vml

// ANCHOR: core_row
/// This core's line of `info`: its VMs, and since boot the share of time
/// spent in them, their exits per second and the IPIs this core took.
fn core_row(hyp: &Hypervisor, cpu: &impl Cpu) {
    let now = timer::now();
    let mut out = console();
    let _ = uwrite!(out, "core{}           : ", cpu.core());
    let mut ticks = 0;
    let mut exits = 0;
    let mut named = 0;
    for (index, vm) in hyp.vms[..hyp.count].iter().enumerate() {
        if !hyp.owns(index) {
            continue;
        }
        let _ = uwrite!(out, "{}{}", if named > 0 { ", " } else { "" }, vm.name());
        named += 1;
        ticks += vm.cpu_ticks;
        exits += vm.exits.total();
    }
    if named == 0 {
        let _ = uwrite!(out, "no VM");
    }
    let seconds = (now.ticks / now.freq.max(1)).max(1);
    let _ = uwriteln!(
        out,
        "; {}% of the time in guests, {} exits/s, {} IPIs",
        ticks * 100 / now.ticks.max(1),
        exits / seconds,
        cpu.ipis_taken()
    );
}
// ANCHOR_END: core_row

// ANCHOR: on_its_core
/// Carry out `request` about VM `index` on the core that runs it: here if
/// that is this core (core 0), else through that core's channel, with an
/// IPI to make it look; while it works, typed bytes keep being drained
/// from the UART so none is lost.
fn on_its_core(hyp: &mut Hypervisor, cpu: &mut impl Cpu, index: usize, request: Request<'_>) {
    let core = hyp.consoles.cores[index].load(Ordering::Relaxed);
    on_core(hyp, cpu, core, request);
}

/// Carry out `request` on core `core`: here if it is the shell's own,
/// else through that core's channel (nothing if the core is not online).
fn on_core(hyp: &mut Hypervisor, cpu: &mut impl Cpu, core: usize, request: Request<'_>) {
    if core == remote::SHELL_CORE {
        execute(request, hyp, cpu);
        return;
    }
    if !remote::ONLINE[core].load(Ordering::Acquire) {
        return;
    }
    let start = timer::now();
    let patience = start.freq * remote::ANSWER_MICROS / 1_000_000;
    let asked = remote::CHANNELS[core].ask(
        request,
        || ipi::kick(core),
        || {
            input::on_receive_interrupt();
            timer::now().ticks.wrapping_sub(start.ticks) < patience
        },
    );
    let why = match asked {
        Ok(()) => return,
        Err(AskError::Busy) => "is still busy with the command before",
        Err(AskError::NoAnswer) => "did not answer within a second",
    };
    let _ = uwriteln!(console(), "ferrovisor: core {} {}; try again", core, why);
}

/// Carry out what the shell asked about one of this core's VMs: a command
/// line (already checked by the shell), or a row of `vml`. Every core's
/// loop calls this for its own VMs (core 0's shell calls it directly).
pub fn execute(request: Request<'_>, hyp: &mut Hypervisor, cpu: &mut impl Cpu) {
    match request {
        Request::VmlRow(index) => vml_row(hyp, index),
        Request::CoreRow => core_row(hyp, cpu),
        Request::Line(line) => {
            if let Ok(Some(command)) = commands::parse(line) {
                run_for_vm(command, hyp, cpu);
            }
        }
    }
}
// ANCHOR_END: on_its_core

// ANCHOR: run_for_vm
/// A command about one VM, on the VM's own core.
fn run_for_vm(command: Command<'_>, hyp: &mut Hypervisor, cpu: &mut impl Cpu) {
    let id_of = |id: &str| {
        id.parse::<usize>()
            .ok()
            .and_then(|n| VmId::new(n, hyp.count))
    };
    match command {
        Command::Vmc(id) => {
            if let Some(id) = id_of(id) {
                give_console(hyp, id);
            }
        }
        Command::VmLog(id) => {
            if let Some(id) = id_of(id) {
                vmlog(hyp, id);
            }
        }
        Command::VmStop(id) => {
            if let Some(id) = id_of(id) {
                change(hyp, cpu, id, Lifecycle::Stop);
            }
        }
        Command::VmStart(id) => {
            if let Some(id) = id_of(id) {
                change(hyp, cpu, id, Lifecycle::Start);
            }
        }
        Command::VmReset(id) => {
            if let Some(id) = id_of(id) {
                change(hyp, cpu, id, Lifecycle::Reset);
            }
        }
        Command::VmTrace(id, on) => {
            if let Some(id) = id_of(id) {
                vmtrace(hyp, id, on);
            }
        }
        // LAB 1: BEGIN SOLUTION
        Command::VmRegs(id) => {
            if let Some(id) = id_of(id) {
                let vm = &hyp.vms[id.index()];
                let regs = crate::console::inspect::Regs {
                    x: vm.frame.x,
                    pc: vm.frame.pc,
                    pstate: vm.frame.pstate,
                };
                let out = &mut *console();
                let _ = crate::console::inspect::write_regs(out, id.get().into(), vm.name(), &regs);
            }
        }
        // LAB 1: END SOLUTION
        // LAB 2: BEGIN SOLUTION
        Command::VmStat(id) => {
            if let Some(id) = id_of(id) {
                let vm = &hyp.vms[id.index()];
                let names = crate::emu::VirtualBoard::counted_devices();
                let counts = vm.board.access_counts();
                let out = &mut *console();
                let _ = crate::console::inspect::write_stats(
                    out,
                    id.get().into(),
                    vm.name(),
                    &names,
                    counts,
                );
            }
        }
        // LAB 2: END SOLUTION
        // The shell carries out the others itself.
        _ => {}
    }
}
// ANCHOR_END: run_for_vm

// ANCHOR: give_console
/// `vmc`: give the console to VM `id`, showing what it printed recently.
fn give_console(hyp: &mut Hypervisor, id: VmId) {
    let index = id.index();
    let vm = &hyp.vms[index];
    let _ = uwriteln!(
        console(),
        "[console: VM {} '{}' ({}); @0 returns to ferrovisor, @? lists the keys]",
        id,
        vm.name(),
        vm.state.name()
    );
    // This core runs the VM, and it does not run until the replay is in
    // the ring, so what it prints next comes after it.
    replay(&hyp.consoles.scrollbacks[index], false);
    drop(move_focus(hyp, Focus::Vm(index)));
}
// ANCHOR_END: give_console

/// Move the console's focus under the console's lock, which every core
/// takes to send its VM's bytes (`Cpu::console_write` asks for the focus
/// again under it): no byte of the VM that loses the focus, maybe running
/// on another core, follows what the caller prints with the lock it gets
/// back.
fn move_focus(hyp: &mut Hypervisor, focus: Focus) -> MutexGuard<'static, Writer> {
    let out = console();
    hyp.set_focus(focus);
    out
}

/// A command line built by the shell itself (`vmc N` for `@N`).
struct LineBuffer {
    bytes: [u8; LINE_BUFFER_BYTES],
    len: usize,
}

/// Room for `vmc` and a VM id.
const LINE_BUFFER_BYTES: usize = 16;

impl LineBuffer {
    const fn new() -> Self {
        Self {
            bytes: [0; LINE_BUFFER_BYTES],
            len: 0,
        }
    }

    fn as_str(&self) -> &str {
        core::str::from_utf8(&self.bytes[..self.len]).unwrap_or("")
    }
}

impl ufmt::uWrite for LineBuffer {
    type Error = ();

    fn write_str(&mut self, s: &str) -> Result<(), ()> {
        let end = self.len + s.len();
        if end > self.bytes.len() {
            return Err(());
        }
        self.bytes[self.len..end].copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// The VM a command names by id, or an error on the console.
fn vm_id(hyp: &Hypervisor, command: &str, id: &str) -> Option<VmId> {
    match id.parse::<usize>() {
        Ok(n) => {
            let id = VmId::new(n, hyp.count);
            if id.is_none() {
                let _ = uwriteln!(
                    console(),
                    "ferrovisor: {}: no VM with id {}; 'vml' lists them",
                    command,
                    n
                );
            }
            id
        }
        Err(_) => {
            let _ = uwriteln!(
                console(),
                "ferrovisor: {}: '{}' is not a VM id; 'vml' lists them",
                command,
                id
            );
            None
        }
    }
}

// ANCHOR: vmlog
/// `vmlog`: the VM's scrollback, framed so it is not taken for live output.
fn vmlog(hyp: &Hypervisor, id: VmId) {
    let vm = &hyp.vms[id.index()];
    let _ = uwriteln!(
        console(),
        "--- recent output of VM {} '{}' ---",
        id,
        vm.name()
    );
    if !replay(&hyp.consoles.scrollbacks[id.index()], false) {
        console().write_raw(b"\r\n");
    }
    let _ = uwriteln!(console(), "--- end of VM {} output ---", id);
}
// ANCHOR_END: vmlog

// ANCHOR: change
/// `vmstop`, `vmstart`, `vmreset`: apply the rules, or say why not.
fn change(hyp: &mut Hypervisor, cpu: &mut impl Cpu, id: VmId, action: Lifecycle) {
    if let Err(why) = lifecycle::apply(hyp, cpu, id, action) {
        let name = hyp.vms[id.index()].name();
        let _ = uwriteln!(console(), "ferrovisor: VM {} '{}': {}", id, name, why);
    }
}
// ANCHOR_END: change

// ANCHOR: vmtrace
/// `vmtrace <id> on|off`: log VM `id`'s MMIO accesses into its console.
fn vmtrace(hyp: &mut Hypervisor, id: VmId, on: bool) {
    let vm = &mut hyp.vms[id.index()];
    let _ = vm
        .trace
        .set(on, &mut *hyp.consoles.scrollbacks[id.index()].lock());
    let name = vm.name();
    if on {
        let _ = uwriteln!(
            console(),
            "ferrovisor: VM {} '{}': tracing its MMIO accesses into its console ('vmc {}' shows them)",
            id,
            name,
            id
        );
    } else {
        let _ = uwriteln!(
            console(),
            "ferrovisor: VM {} '{}': MMIO tracing off",
            id,
            name
        );
    }
}
// ANCHOR_END: vmtrace
