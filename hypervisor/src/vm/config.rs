//! One VM's static configuration, as the build generates it from the VM list.

// ANCHOR: config
/// Everything the hypervisor knows about a VM before it runs.
#[derive(Debug, Clone, Copy)]
pub struct VmConfig {
    /// The VM's name (`vml` shows it).
    pub name: &'static str,
    /// The raw image, embedded in kernel8.img.
    pub image: &'static [u8],
    /// Where the image is copied to, as an IPA (guest physical address).
    pub load: u64,
    /// Where the vCPU starts.
    pub entry: u64,
    /// Bytes of RAM, at IPA 0.
    pub ram: u64,
    /// The physical core the VM is pinned to (everything runs on core 0 today).
    pub cpu: u32,
    /// Where the VM's RAM lives in host physical memory.
    pub host_base: u64,
    /// Its time slice is this many base slices (the list's weight column).
    pub weight: u64,
}
// ANCHOR_END: config
