//! Architecture support. ferrovisor runs on AArch64 only; the pure parts of
//! this folder (syndrome decoding, table building) also build on the host
//! for unit tests.

pub mod aarch64;
