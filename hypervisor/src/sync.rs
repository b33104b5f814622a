//! The atomics and the shared cell of the structures the cores share (the
//! shell's request channels, the input rings, the urgent flags), so that a
//! model checker can run them.
//!
//! Normally these are `core::sync::atomic` and a thin wrapper of
//! `core::cell::UnsafeCell`: nothing changes in the code the board runs.
//! Built with `RUSTFLAGS="--cfg loom"` (the host's unit tests only, as
//! `scripts/test.sh` does: loom is a dev-dependency), they are the `loom`
//! crate's, which records every access and runs a test once for each
//! interleaving and each value a load may see under the memory model Rust
//! takes from C++ (weaker than the Cortex-A53's). Loom builds its atomics and
//! cells at run time, so under it [`const_fn!`] makes a `const fn` a plain
//! one and [`array_of!`] builds an array in a loop; the statics that need a
//! `const fn` exist only without loom.
//!
//! A leaf: it imports nothing of the crate.

#[cfg(not(loom))]
pub use core::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering};
#[cfg(loom)]
pub use loom::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering};

#[cfg(loom)]
pub use loom::cell::UnsafeCell;

/// Memory shared between cores that the atomics beside it protect. Its
/// interface is loom's: the data is reached inside a closure, so that under
/// loom each read and write is checked against the others.
#[cfg(not(loom))]
pub struct UnsafeCell<T>(core::cell::UnsafeCell<T>);

#[cfg(not(loom))]
impl<T> UnsafeCell<T> {
    /// A cell holding `value`.
    pub const fn new(value: T) -> Self {
        Self(core::cell::UnsafeCell::new(value))
    }

    /// Call `f` with a pointer to read the data through.
    pub fn with<R>(&self, f: impl FnOnce(*const T) -> R) -> R {
        f(self.0.get())
    }

    /// Call `f` with a pointer to write the data through.
    pub fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
        f(self.0.get())
    }
}

/// A `const fn` normally, a plain `fn` under loom (whose atomics are not
/// `const`): `const_fn! { pub fn new() -> Self { ... } }`.
#[cfg(not(loom))]
macro_rules! const_fn {
    ($(#[$attr:meta])* $vis:vis fn $($rest:tt)*) => {
        $(#[$attr])* $vis const fn $($rest)*
    };
}
/// A `const fn` normally, a plain `fn` under loom (whose atomics are not
/// `const`): `const_fn! { pub fn new() -> Self { ... } }`.
#[cfg(loom)]
macro_rules! const_fn {
    ($(#[$attr:meta])* $vis:vis fn $($rest:tt)*) => {
        $(#[$attr])* $vis fn $($rest)*
    };
}
pub(crate) use const_fn;

/// `[const { value }; N]` normally; under loom the same array built at run
/// time, one `value` per element.
#[cfg(not(loom))]
macro_rules! array_of {
    ($value:expr; $n:expr) => {
        [const { $value }; $n]
    };
}
/// `[const { value }; N]` normally; under loom the same array built at run
/// time, one `value` per element.
#[cfg(loom)]
macro_rules! array_of {
    ($value:expr; $n:expr) => {
        core::array::from_fn(|_| $value)
    };
}
pub(crate) use array_of;
