//! The fuzzing guest's pure parts, which build and are tested on the host:
//! the random stream ([`rng`]), the operations and their mix ([`op`]), the
//! seed prompt ([`seed`]) and what it prints ([`report`]). The guest itself
//! (`main.rs`) runs them on the board.
#![cfg_attr(not(test), no_std)]
#![deny(missing_docs)]

pub mod op;
pub mod report;
pub mod rng;
pub mod seed;
