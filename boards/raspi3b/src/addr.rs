//! [`PhysAddr`]: the one address type of the memory map.
//!
//! The hypervisor, the emulated devices and the guests all meet the board at
//! ARM physical addresses (for a guest: its intermediate physical addresses,
//! which the virtual board lays out the same way). One type for all of them
//! keeps `usize` and `u64` from being mixed at every use; the conversions
//! are explicit and `const`.

/// An ARM physical address on the BCM2837.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PhysAddr(usize);

impl PhysAddr {
    /// The address `addr`.
    pub const fn new(addr: usize) -> Self {
        Self(addr)
    }

    /// The address `bytes` above this one.
    pub const fn offset(self, bytes: usize) -> Self {
        Self(self.0 + bytes)
    }

    /// As a pointer-sized integer (to make a pointer from).
    pub const fn as_usize(self) -> usize {
        self.0
    }

    /// As a 64-bit integer (to compare with a guest address or a
    /// page-table output address).
    pub const fn as_u64(self) -> u64 {
        self.0 as u64
    }
}

impl ufmt::uDisplay for PhysAddr {
    fn fmt<W: ufmt::uWrite + ?Sized>(
        &self,
        f: &mut ufmt::Formatter<'_, W>,
    ) -> Result<(), W::Error> {
        ufmt::uwrite!(f, "{:#x}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offset_and_conversions_agree() {
        let a = PhysAddr::new(0x3f00_0000).offset(0x21_5000);
        assert_eq!(a.as_usize(), 0x3f21_5000);
        assert_eq!(a.as_u64(), 0x3f21_5000);
        assert!(PhysAddr::new(1) < PhysAddr::new(2));
    }
}
