//! The console: the byte rings, the line editor and the shell that the
//! hypervisor runs on the mini UART.

pub mod inspect;
pub mod line_editor;
pub mod mux;
pub mod ring;
pub mod shell;
pub mod table;

#[cfg(target_os = "none")]
pub mod commands;
#[cfg(target_os = "none")]
pub mod input;
#[cfg(target_os = "none")]
pub mod output;
