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
    /// More blobs copied into guest RAM at every reset, after the image:
    /// for a Linux VM its device tree and initrd (and the image stays the
    /// kernel). Empty for a bare-metal guest.
    pub blobs: &'static [Blob],
    /// The vCPU's x0 at reset: the device tree's guest-physical address
    /// for Linux (arm64 boot protocol: x0 = DTB, x1-x3 = 0), else 0.
    pub boot_x0: u64,
}
// ANCHOR_END: config

// ANCHOR: blob
/// Bytes the hypervisor copies into a VM's RAM at reset, as a firmware
/// loads files before starting a kernel.
#[derive(Debug, Clone, Copy)]
pub struct Blob {
    /// Where the bytes go, as an IPA (guest physical address).
    pub load: u64,
    /// The bytes, embedded in kernel8.img.
    pub bytes: &'static [u8],
}
// ANCHOR_END: blob
