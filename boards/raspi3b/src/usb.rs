//! The USB controller: a Synopsys DesignWare Hi-Speed USB 2.0 On-The-Go
//! core (names as in its databook and Linux's `dwc2`): the core's global
//! registers, the host-mode registers from 0x400 and the power and clock
//! gating register at 0xE00. The data FIFO windows from 0x1000 on are not
//! declared.

use tock_registers::registers::ReadWrite;
use tock_registers::{register_bitfields, register_structs};

register_bitfields! {u32,
    /// Core reset.
    #[allow(missing_docs)] // the generated Register type and field values
    pub GRSTCTL [
        /// The AHB master state machine is idle.
        AHBIDLE OFFSET(31) NUMBITS(1) [],
        /// Which transmit FIFO to flush.
        TXFNUM OFFSET(6) NUMBITS(5) [],
        /// Flush the transmit FIFO.
        TXFFLSH OFFSET(5) NUMBITS(1) [],
        /// Flush the receive FIFO.
        RXFFLSH OFFSET(4) NUMBITS(1) [],
        /// Reset the host frame counter.
        FRMCNTRRST OFFSET(2) NUMBITS(1) [],
        /// Hclk soft reset.
        HSFTRST OFFSET(1) NUMBITS(1) [],
        /// Core soft reset.
        CSFTRST OFFSET(0) NUMBITS(1) []
    ],
    /// Core interrupt.
    #[allow(missing_docs)] // the generated Register type and field values
    pub GINTSTS [
        /// A host channel has an interrupt.
        HCHINT OFFSET(25) NUMBITS(1) [],
        /// The host port has an event.
        PRTINT OFFSET(24) NUMBITS(1) [],
        /// The core is in host mode.
        CURMODE_HOST OFFSET(0) NUMBITS(1) []
    ],
    /// A transmit FIFO's size register (GNPTXFSIZ, HPTXFSIZ).
    #[allow(missing_docs)] // the generated Register type and field values
    pub TXFSIZ [
        /// The FIFO's depth in 32-bit words.
        DEPTH OFFSET(16) NUMBITS(16) [],
        /// Its start address in the FIFO RAM.
        START_ADDRESS OFFSET(0) NUMBITS(16) []
    ],
    /// A transmit FIFO's status register (GNPTXSTS, HPTXSTS).
    #[allow(missing_docs)] // the generated Register type and field values
    pub TXSTS [
        /// Free request queue slots.
        QSPCAVAIL OFFSET(16) NUMBITS(8) [],
        /// Free FIFO space in 32-bit words.
        FSPCAVAIL OFFSET(0) NUMBITS(16) []
    ],
    /// Host frame number and frame time remaining.
    #[allow(missing_docs)] // the generated Register type and field values
    pub HFNUM [
        /// Frame time remaining.
        FRREM OFFSET(16) NUMBITS(16) [],
        /// The (micro)frame number.
        FRNUM OFFSET(0) NUMBITS(16) []
    ],
    /// Host port control and status.
    #[allow(missing_docs)] // the generated Register type and field values
    pub HPRT0 [
        /// Port speed of the attached device.
        PRTSPD OFFSET(17) NUMBITS(2) [],
        /// Port test control.
        PRTTSTCTL OFFSET(13) NUMBITS(4) [],
        /// Port power.
        PRTPWR OFFSET(12) NUMBITS(1) [],
        /// Port line status (D+ and D-).
        PRTLNSTS OFFSET(10) NUMBITS(2) [],
        /// Port reset.
        PRTRST OFFSET(8) NUMBITS(1) [],
        /// Port suspend.
        PRTSUSP OFFSET(7) NUMBITS(1) [],
        /// Port resume.
        PRTRES OFFSET(6) NUMBITS(1) [],
        /// Port overcurrent change (write 1 to clear).
        PRTOVRCURRCHNG OFFSET(5) NUMBITS(1) [],
        /// Port enable/disable change (write 1 to clear).
        PRTENCHNG OFFSET(3) NUMBITS(1) [],
        /// Port enabled (write 1 to disable).
        PRTENA OFFSET(2) NUMBITS(1) [],
        /// Port connect detected (write 1 to clear).
        PRTCONNDET OFFSET(1) NUMBITS(1) [],
        /// A device is connected.
        PRTCONNSTS OFFSET(0) NUMBITS(1) []
    ],
    /// Host channel characteristics.
    #[allow(missing_docs)] // the generated Register type and field values
    pub HCCHAR [
        /// Channel enable.
        CHEN OFFSET(31) NUMBITS(1) [],
        /// Channel disable.
        CHDIS OFFSET(30) NUMBITS(1) []
    ],
    /// Host channel interrupt.
    #[allow(missing_docs)] // the generated Register type and field values
    pub HCINT [
        /// Transaction error.
        XACTERR OFFSET(7) NUMBITS(1) [],
        /// Channel halted.
        CHHLTD OFFSET(1) NUMBITS(1) []
    ]
}

// ANCHOR: registers
register_structs! {
    /// The DWC OTG USB core, host and power registers at [`crate::map::USB_BASE`].
    #[allow(non_snake_case)]
    pub Registers {
        /// OTG control and status.
        (0x000 => pub GOTGCTL: ReadWrite<u32>),
        /// OTG interrupt.
        (0x004 => pub GOTGINT: ReadWrite<u32>),
        /// Core AHB configuration.
        (0x008 => pub GAHBCFG: ReadWrite<u32>),
        /// Core USB configuration.
        (0x00c => pub GUSBCFG: ReadWrite<u32>),
        /// Core reset.
        (0x010 => pub GRSTCTL: ReadWrite<u32, GRSTCTL::Register>),
        /// Core interrupt.
        (0x014 => pub GINTSTS: ReadWrite<u32, GINTSTS::Register>),
        /// Core interrupt mask.
        (0x018 => pub GINTMSK: ReadWrite<u32>),
        /// Receive status debug read.
        (0x01c => pub GRXSTSR: ReadWrite<u32>),
        /// Receive status read and pop.
        (0x020 => pub GRXSTSP: ReadWrite<u32>),
        /// Receive FIFO size.
        (0x024 => pub GRXFSIZ: ReadWrite<u32>),
        /// Non-periodic transmit FIFO size.
        (0x028 => pub GNPTXFSIZ: ReadWrite<u32>),
        /// Non-periodic transmit FIFO and queue status.
        (0x02c => pub GNPTXSTS: ReadWrite<u32>),
        /// I2C access.
        (0x030 => pub GI2CCTL: ReadWrite<u32>),
        /// PHY vendor control.
        (0x034 => pub GPVNDCTL: ReadWrite<u32>),
        /// General purpose input/output.
        (0x038 => pub GGPIO: ReadWrite<u32>),
        /// User ID.
        (0x03c => pub GUID: ReadWrite<u32>),
        /// Synopsys ID.
        (0x040 => pub GSNPSID: ReadWrite<u32>),
        /// User hardware configuration 1.
        (0x044 => pub GHWCFG1: ReadWrite<u32>),
        /// User hardware configuration 2.
        (0x048 => pub GHWCFG2: ReadWrite<u32>),
        /// User hardware configuration 3.
        (0x04c => pub GHWCFG3: ReadWrite<u32>),
        /// User hardware configuration 4.
        (0x050 => pub GHWCFG4: ReadWrite<u32>),
        /// Core LPM configuration.
        (0x054 => pub GLPMCFG: ReadWrite<u32>),
        (0x058 => _reserved0),
        /// Host periodic transmit FIFO size.
        (0x100 => pub HPTXFSIZ: ReadWrite<u32>),
        (0x104 => _reserved1),
        /// Host configuration.
        (0x400 => pub HCFG: ReadWrite<u32>),
        /// Host frame interval.
        (0x404 => pub HFIR: ReadWrite<u32>),
        /// Host frame number and frame time remaining.
        (0x408 => pub HFNUM: ReadWrite<u32, HFNUM::Register>),
        (0x40c => _reserved2),
        /// Host periodic transmit FIFO and queue status.
        (0x410 => pub HPTXSTS: ReadWrite<u32>),
        /// Host all channels interrupt.
        (0x414 => pub HAINT: ReadWrite<u32>),
        /// Host all channels interrupt mask.
        (0x418 => pub HAINTMSK: ReadWrite<u32>),
        (0x41c => _reserved3),
        /// Host port control and status.
        (0x440 => pub HPRT0: ReadWrite<u32, HPRT0::Register>),
        (0x444 => _reserved4),
        /// Power and clock gating control.
        (0xe00 => pub PCGCCTL: ReadWrite<u32>),
        (0xe04 => _reserved5),
        (0x1000 => @END),
    }
}
// ANCHOR_END: registers

#[cfg(test)]
mod tests {
    use super::*;
    use core::mem::offset_of;

    #[test]
    fn offsets_and_size() {
        assert_eq!(offset_of!(Registers, GOTGCTL), 0x0);
        assert_eq!(offset_of!(Registers, GUID), 0x3c);
        assert_eq!(offset_of!(Registers, PCGCCTL), 0xe00);
        assert_eq!(core::mem::size_of::<Registers>(), 0x1000);
    }
}
