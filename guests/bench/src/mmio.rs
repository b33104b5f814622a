//! A typed pointer to a block of device registers.

use core::marker::PhantomData;
use core::ops::Deref;

/// Registers of type `T` at a fixed physical address.
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
    /// as `T`, accessible (bench runs with the MMU off) for as long as the
    /// value is used.
    pub const unsafe fn new(base: usize) -> Self {
        Self {
            base,
            _regs: PhantomData,
        }
    }
}

impl<T> Deref for Mmio<T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: `new`'s contract: a live device of layout `T` is at `base`.
        unsafe { &*(self.base as *const T) }
    }
}
