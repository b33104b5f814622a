//! A VM's life cycle and the counters `vml` shows.

// ANCHOR: vm_state
/// Where a VM is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VmState {
    /// Wants the CPU.
    Runnable,
    /// Executed WFI; waits for one of its interrupts.
    Sleeping,
    /// Stopped from the shell, or powered off by the guest.
    Stopped,
    /// Stopped by the hypervisor because of a fault.
    Halted,
}
// ANCHOR_END: vm_state

impl VmState {
    /// The word `vml` prints.
    pub fn name(self) -> &'static str {
        match self {
            VmState::Runnable => "running",
            VmState::Sleeping => "sleeping",
            VmState::Stopped => "stopped",
            VmState::Halted => "halted",
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
    }
}
