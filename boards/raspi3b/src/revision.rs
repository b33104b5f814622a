//! Board revision codes, as the firmware reports them (mailbox tag
//! [`crate::mailbox::tag::GET_BOARD_REVISION`]) in the "new style" layout of
//! the Raspberry Pi documentation.

/// A board revision code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Revision(pub u32);

impl Revision {
    /// Bit 23: the code uses the new-style field layout.
    const NEW_STYLE: u32 = 1 << 23;
    /// Bits [11:4]: the board type.
    const TYPE_SHIFT: u32 = 4;
    /// Width mask of the board type.
    const TYPE_MASK: u32 = 0xff;
    /// Bits [3:0]: the PCB revision.
    const PCB_MASK: u32 = 0xf;
    /// Bits [22:20]: the memory size, as 256 MiB << n.
    const MEMORY_SHIFT: u32 = 20;
    /// Width mask of the memory size.
    const MEMORY_MASK: u32 = 0b111;
    /// The smallest memory size a code can state.
    const MEMORY_UNIT_MIB: u32 = 256;

    /// The model name, for the revision codes of the boards this runs on.
    pub fn model(self) -> &'static str {
        if self.0 & Self::NEW_STYLE == 0 {
            return "unknown Raspberry Pi";
        }
        match (self.0 >> Self::TYPE_SHIFT) & Self::TYPE_MASK {
            0x04 => "Raspberry Pi 2 Model B",
            0x08 => "Raspberry Pi 3 Model B",
            0x0a => "Raspberry Pi Compute Module 3",
            0x0d => "Raspberry Pi 3 Model B+",
            0x0e => "Raspberry Pi 3 Model A+",
            _ => "unknown Raspberry Pi",
        }
    }

    /// The PCB revision (the `2` of "1.2").
    pub fn pcb_revision(self) -> u32 {
        self.0 & Self::PCB_MASK
    }

    /// Installed memory in MiB, as the code states it.
    pub fn memory_mib(self) -> u32 {
        Self::MEMORY_UNIT_MIB << ((self.0 >> Self::MEMORY_SHIFT) & Self::MEMORY_MASK)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_pi3_revisions() {
        let r = Revision(0xa0_2082);
        assert_eq!(r.model(), "Raspberry Pi 3 Model B");
        assert_eq!(r.pcb_revision(), 2);
        assert_eq!(r.memory_mib(), 1024);
        assert_eq!(Revision(0xa0_20d3).model(), "Raspberry Pi 3 Model B+");
        assert_eq!(Revision(0x0000_0010).model(), "unknown Raspberry Pi");
    }
}
