//! [`Mmio`]: a typed pointer to a block of device registers.

use crate::PhysAddr;
use core::marker::PhantomData;
use core::ops::Deref;

/// Registers of type `T` (a `register_structs!` block) at a fixed physical
/// address.
pub struct Mmio<T> {
    base: usize,
    _regs: PhantomData<fn() -> T>,
}

impl<T> Mmio<T> {
    /// Registers at `base`.
    ///
    /// # Safety
    ///
    /// `base` must be the address of a device whose registers are laid out
    /// as `T`, accessible as device memory (MMU off, or mapped as device
    /// memory) for as long as the value is used.
    pub const unsafe fn new(base: PhysAddr) -> Self {
        Self {
            base: base.as_usize(),
            _regs: PhantomData,
        }
    }

    /// Where the registers are.
    pub const fn base(&self) -> PhysAddr {
        PhysAddr::new(self.base)
    }
}

impl<T> Deref for Mmio<T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: `new`'s contract: a live device of layout `T` is at `base`.
        unsafe { &*(self.base as *const T) }
    }
}
