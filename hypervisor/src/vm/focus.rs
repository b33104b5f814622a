//! Where the console's keys go, and whose output reaches the wire: the
//! focus, shared by every core.
//!
//! Written by the core that carries out `vmc` (or by core 0 for `@0` and
//! `@N`), under the console's lock; read by every core, under the same
//! lock, before it sends a VM's byte to the wire (`Cpu::console_write`), and
//! without it where a stale answer costs nothing (the shell's own reads on
//! core 0, which is the only writer outside `vmc`). The lock orders the
//! accesses that matter, so the atomic itself is Relaxed.

use core::sync::atomic::{AtomicUsize, Ordering};

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

/// The focus, as every core sees it: 0 for the prompt, `i + 1` for VM `i`.
pub struct FocusCell(AtomicUsize);

impl FocusCell {
    /// The prompt has the focus.
    pub const fn new() -> Self {
        Self(AtomicUsize::new(0))
    }

    /// Where the focus is.
    pub fn get(&self) -> Focus {
        match self.0.load(Ordering::Relaxed) {
            0 => Focus::Hypervisor,
            n => Focus::Vm(n - 1),
        }
    }

    /// Move the focus.
    pub fn set(&self, focus: Focus) {
        let n = match focus {
            Focus::Hypervisor => 0,
            Focus::Vm(index) => index + 1,
        };
        self.0.store(n, Ordering::Relaxed);
    }
}

impl Default for FocusCell {
    fn default() -> Self {
        Self::new()
    }
}
