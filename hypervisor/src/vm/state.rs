//! A VM's life cycle, the counters `vml` shows, and where it is in the
//! protocol that replaces its set/way cache maintenance.

// ANCHOR: vm_state
/// Where a VM is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VmState {
    /// Wants the CPU.
    Runnable,
    /// Executed WFI; waits for one of its interrupts.
    Sleeping,
    /// Not running, and why.
    Off(Why),
}

/// Why a VM is not running.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Why {
    /// Its RAM lies beyond the end of the board's memory: it has no stage 2
    /// and can never run.
    NeverStarted,
    /// The guest called PSCI SYSTEM_OFF.
    PoweredOff,
    /// The hypervisor stopped it: it did what a real board would not survive.
    Faulted(Fault),
    /// `vmstop` from the shell.
    StoppedByUser,
}

/// What a VM did that stopped it, and where.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fault {
    /// The fault, in words (`vml` and the report show it).
    pub what: &'static str,
    /// The address it was about (an IPA), or 0.
    pub address: u64,
    /// The guest's PC.
    pub pc: u64,
    /// The exception class of the exit (ESR_EL2.EC).
    pub ec: u8,
}
// ANCHOR_END: vm_state

impl VmState {
    /// The word `vml` prints.
    pub fn name(self) -> &'static str {
        match self {
            VmState::Runnable => "running",
            VmState::Sleeping => "sleeping",
            VmState::Off(Why::PoweredOff | Why::StoppedByUser) => "stopped",
            VmState::Off(Why::NeverStarted | Why::Faulted(_)) => "halted",
        }
    }

    /// Whether the VM is alive (running or sleeping).
    pub fn is_alive(self) -> bool {
        matches!(self, VmState::Runnable | VmState::Sleeping)
    }
}

impl Why {
    /// Why, in words, for `vml` and the log.
    pub fn text(self) -> &'static str {
        match self {
            Why::NeverStarted => "its RAM is beyond the end of the board's memory",
            Why::PoweredOff => "powered off by the guest",
            Why::Faulted(fault) => fault.what,
            Why::StoppedByUser => "stopped from the shell",
        }
    }
}

/// Why a guest left to the hypervisor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitKind {
    /// WFI or WFE.
    Wfx,
    /// HVC or SMC.
    Hvc,
    /// A trapped system register access.
    SysReg,
    /// A data abort on an emulated device (MMIO).
    Mmio,
    /// A physical interrupt.
    Irq,
    /// Anything else (faults).
    Other,
}

// ANCHOR: counts
/// Exits counted by kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExitCounts {
    /// WFI/WFE exits.
    pub wfx: u64,
    /// HVC/SMC exits.
    pub hvc: u64,
    /// System register exits.
    pub sysreg: u64,
    /// MMIO exits.
    pub mmio: u64,
    /// Interrupt exits.
    pub irq: u64,
    /// Other exits.
    pub other: u64,
    /// MMIO exits whose syndrome did not describe the access (ISV = 0),
    /// emulated from the decoded instruction (also counted in `mmio`).
    pub decoded: u64,
}

impl ExitCounts {
    /// Exits of every kind.
    pub fn total(&self) -> u64 {
        self.wfx + self.hvc + self.sysreg + self.mmio + self.irq + self.other
    }
}

impl ExitCounts {
    /// Count one exit.
    pub fn count(&mut self, kind: ExitKind) {
        let counter = match kind {
            ExitKind::Wfx => &mut self.wfx,
            ExitKind::Hvc => &mut self.hvc,
            ExitKind::SysReg => &mut self.sysreg,
            ExitKind::Mmio => &mut self.mmio,
            ExitKind::Irq => &mut self.irq,
            ExitKind::Other => &mut self.other,
        };
        *counter = counter.wrapping_add(1);
    }
}
// ANCHOR_END: counts

// ANCHOR: guest_caches
/// Where a VM is in the protocol that replaces its set/way cache
/// maintenance (`vm::coherence`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct GuestCaches {
    /// Whether its writes to the virtual memory controls trap (TVM): set
    /// by a set/way operation, cleared when its caches go on.
    pub watching: bool,
    /// How often its whole RAM was cleaned and invalidated for it since
    /// the hypervisor started (not reset with the VM): by set/way ops and
    /// cache switches, not by resets.
    pub ram_flushes: u64,
}

impl GuestCaches {
    /// A VM out of reset: nothing watched.
    pub const fn new() -> Self {
        Self {
            watching: false,
            ram_flushes: 0,
        }
    }

    /// After the VM's reset: the watch ends, the count goes on.
    pub fn reset(&mut self) {
        self.watching = false;
    }
}
// ANCHOR_END: guest_caches

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_by_kind() {
        let mut c = ExitCounts::default();
        c.count(ExitKind::Mmio);
        c.count(ExitKind::Mmio);
        c.count(ExitKind::Wfx);
        assert_eq!((c.mmio, c.wfx, c.irq), (2, 1, 0));
        assert_eq!(VmState::Runnable.name(), "running");
        assert_eq!(VmState::Sleeping.name(), "sleeping");
        assert_eq!(VmState::Off(Why::PoweredOff).name(), "stopped");
        assert_eq!(VmState::Off(Why::NeverStarted).name(), "halted");
    }
}
