//! The entry point: the assembly in `boot.s` runs first, then calls
//! `_start_rust`, which the kernel defines (it is the top of the import
//! graph; `arch` names nothing above it).

core::arch::global_asm!(include_str!("boot.s"), options(raw));
