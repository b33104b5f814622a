//! VM ids as the shell shows them (1, 2, ...), kept apart from the indices
//! of the VM table (0, 1, ...) by their type, so one cannot be passed for
//! the other.

use ufmt::{uDisplay, uWrite};

// ANCHOR: vm_id
/// The id of a VM: what `vml` prints and the commands take; VM 1 is the
/// first line of the VM list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct VmId(u8);

impl VmId {
    /// The id of the VM at `index` in the table.
    pub const fn of_index(index: usize) -> VmId {
        VmId(index as u8 + 1)
    }

    /// The id `n` if a VM has it, with `count` VMs in the table.
    pub fn new(n: usize, count: usize) -> Option<VmId> {
        (1..=count).contains(&n).then_some(VmId(n as u8))
    }

    /// Where the VM is in the table.
    pub const fn index(self) -> usize {
        self.0 as usize - 1
    }

    /// The number the user types.
    pub const fn get(self) -> u8 {
        self.0
    }
}
// ANCHOR_END: vm_id

impl uDisplay for VmId {
    fn fmt<W: uWrite + ?Sized>(&self, f: &mut ufmt::Formatter<'_, W>) -> Result<(), W::Error> {
        uDisplay::fmt(&self.0, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_start_at_one_and_stop_at_the_count() {
        assert_eq!(VmId::new(0, 3), None);
        assert_eq!(VmId::new(4, 3), None);
        let id = VmId::new(3, 3).unwrap();
        assert_eq!((id.get(), id.index()), (3, 2));
        assert_eq!(VmId::of_index(0).get(), 1);
        let mut s = std::string::String::new();
        ufmt::uwrite!(s, "{}", VmId::of_index(4)).unwrap();
        assert_eq!(s, "5");
    }
}
