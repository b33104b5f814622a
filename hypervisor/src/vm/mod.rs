//! Virtual machines: the static VM list and table, the vCPU state, the
//! scheduler and the run loop.

pub mod coherence;
pub mod config;
pub mod cpu;
pub mod debug;
pub mod decode;
pub mod emulate;
pub mod exits;
pub mod focus;
pub mod guest;
pub mod guest_memory;
pub mod id;
pub mod inject;
pub mod linux_image;
pub mod list;
pub mod load_store;
pub mod machine;
pub mod scheduler;
pub mod stage1;
pub mod state;
pub mod table;
pub mod trace;

#[cfg(test)]
mod coherence_tests;
#[cfg(test)]
mod emulate_tests;
#[cfg(test)]
pub mod fake_cpu;
#[cfg(test)]
mod fast_tests;
#[cfg(test)]
mod tests;
