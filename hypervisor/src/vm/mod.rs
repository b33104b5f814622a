//! Virtual machines: the static VM list and table, the vCPU state, the
//! scheduler and the run loop.

pub mod config;
pub mod decode;
pub mod linux_image;
pub mod list;
pub mod scheduler;
pub mod state;
pub mod table;
pub mod trace;

#[cfg(target_os = "none")]
pub mod exits;
#[cfg(target_os = "none")]
pub mod machine;
