//! The console: the byte rings, the line editor and the shell that the
//! hypervisor runs on the mini UART.

pub mod commands;
pub mod files;
pub mod inspect;
pub mod lifecycle;
pub mod line_editor;
pub mod mux;
pub mod remote;
pub mod ring;
pub mod table;
pub mod transmit;

#[cfg(target_os = "none")]
pub mod input;
#[cfg(target_os = "none")]
pub mod output;
#[cfg(target_os = "none")]
pub mod shell;
