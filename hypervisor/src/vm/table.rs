//! The VM table generated at build time from `guests/vms.list`.

// The generated rows name `Blob` for a VM's extra files (a Linux VM's
// device tree and initrd); a list without them does not use it.
#[allow(unused_imports)]
use super::config::{Blob, VmConfig};

include!(concat!(env!("OUT_DIR"), "/vms.rs"));
