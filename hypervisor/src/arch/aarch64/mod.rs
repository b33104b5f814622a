//! AArch64 at EL2: boot, exception vectors, the hypervisor's MMU, the
//! generic timer, and the pure helpers they use.

pub mod esr;
pub mod paging;
pub mod time;
pub mod vcpu;
pub mod vm_controls;

#[cfg(target_os = "none")]
pub mod boot;
#[cfg(target_os = "none")]
pub mod cpu;
#[cfg(target_os = "none")]
pub mod exception;
#[cfg(target_os = "none")]
pub mod mmu;
#[cfg(target_os = "none")]
pub mod stage2;
#[cfg(target_os = "none")]
pub mod timer;
