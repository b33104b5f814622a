//! The VM table generated at build time from `guests/vms.list`.

use super::config::VmConfig;

include!(concat!(env!("OUT_DIR"), "/vms.rs"));
