//! The SDHOST controller: the Pi's second, custom SD host interface (not in
//! the BCM2835 ARM Peripherals datasheet; names as Linux's `bcm2835-sdhost`
//! and U-Boot have them), which the firmware can route the card to instead
//! of the EMMC.

use tock_registers::registers::ReadWrite;
use tock_registers::{register_bitfields, register_structs};

register_bitfields! {u32,
    /// Command to SD card.
    #[allow(missing_docs)] // the generated Register type and field values
    pub SDCMD [
        /// Set to start a command; reads 1 until it completes.
        NEW_FLAG OFFSET(15) NUMBITS(1) [],
        /// The command failed (see SDHSTS).
        FAIL_FLAG OFFSET(14) NUMBITS(1) [],
        /// Wait for the card to release DAT0 after the response.
        BUSYWAIT OFFSET(11) NUMBITS(1) [],
        /// The command has no response.
        NO_RESPONSE OFFSET(10) NUMBITS(1) [],
        /// The response is 136 bits.
        LONG_RESPONSE OFFSET(9) NUMBITS(1) [],
        /// The command writes data.
        WRITE_CMD OFFSET(7) NUMBITS(1) [],
        /// The command reads data.
        READ_CMD OFFSET(6) NUMBITS(1) [],
        /// The command index.
        CMD OFFSET(0) NUMBITS(6) []
    ],
    /// SD host status: flags, write 1 to clear.
    #[allow(missing_docs)] // the generated Register type and field values
    pub SDHSTS [
        /// Busy interrupt.
        BUSY_IRPT OFFSET(10) NUMBITS(1) [],
        /// Block interrupt.
        BLOCK_IRPT OFFSET(9) NUMBITS(1) [],
        /// SDIO interrupt.
        SDIO_IRPT OFFSET(8) NUMBITS(1) [],
        /// Read/erase/write timeout.
        REW_TIME_OUT OFFSET(7) NUMBITS(1) [],
        /// No response to a command in time.
        CMD_TIME_OUT OFFSET(6) NUMBITS(1) [],
        /// Data CRC error.
        CRC16_ERROR OFFSET(5) NUMBITS(1) [],
        /// Command CRC error.
        CRC7_ERROR OFFSET(4) NUMBITS(1) [],
        /// FIFO over- or underrun.
        FIFO_ERROR OFFSET(3) NUMBITS(1) [],
        /// The FIFO needs service.
        DATA_FLAG OFFSET(0) NUMBITS(1) []
    ],
    /// Emergency debug mode.
    #[allow(missing_docs)] // the generated Register type and field values
    pub SDEDM [
        /// Leave a data state for DATAMODE (self-clearing).
        FORCE_DATA_MODE OFFSET(19) NUMBITS(1) [],
        /// FIFO level at which a read is serviced.
        READ_THRESHOLD OFFSET(14) NUMBITS(5) [],
        /// FIFO level at which a write is serviced.
        WRITE_THRESHOLD OFFSET(9) NUMBITS(5) [],
        /// Words in the FIFO.
        FIFO_FILL OFFSET(4) NUMBITS(5) [],
        /// The controller's state machine.
        FSM OFFSET(0) NUMBITS(4) [
            IdentMode = 0x0,
            DataMode = 0x1
        ]
    ],
    /// SD card power control.
    #[allow(missing_docs)] // the generated Register type and field values
    pub SDVDD [
        /// Card power on.
        POWER_ON OFFSET(0) NUMBITS(1) []
    ],
    /// Host configuration.
    #[allow(missing_docs)] // the generated Register type and field values
    pub SDHCFG [
        /// Busy interrupt enable.
        BUSY_IRPT_EN OFFSET(10) NUMBITS(1) [],
        /// Block interrupt enable.
        BLOCK_IRPT_EN OFFSET(8) NUMBITS(1) [],
        /// SDIO interrupt enable.
        SDIO_IRPT_EN OFFSET(5) NUMBITS(1) [],
        /// Data interrupt enable.
        DATA_IRPT_EN OFFSET(4) NUMBITS(1) [],
        /// Slow card mode.
        SLOW_CARD OFFSET(3) NUMBITS(1) [],
        /// Four data lines on the card side.
        WIDE_EXT_BUS OFFSET(2) NUMBITS(1) [],
        /// Four data lines on the host side.
        WIDE_INT_BUS OFFSET(1) NUMBITS(1) [],
        /// Release the command line.
        REL_CMD_LINE OFFSET(0) NUMBITS(1) []
    ]
}

// ANCHOR: registers
register_structs! {
    /// The SDHOST registers at [`crate::map::SDHOST_BASE`].
    #[allow(non_snake_case)]
    pub Registers {
        /// Command to SD card.
        (0x000 => pub SDCMD: ReadWrite<u32, SDCMD::Register>),
        /// Argument to SD card.
        (0x004 => pub SDARG: ReadWrite<u32>),
        /// Start value for the timeout counter.
        (0x008 => pub SDTOUT: ReadWrite<u32>),
        /// Start value for the clock divider.
        (0x00c => pub SDCDIV: ReadWrite<u32>),
        /// SD card response, bits 31:0.
        (0x010 => pub SDRSP0: ReadWrite<u32>),
        /// SD card response, bits 63:32.
        (0x014 => pub SDRSP1: ReadWrite<u32>),
        /// SD card response, bits 95:64.
        (0x018 => pub SDRSP2: ReadWrite<u32>),
        /// SD card response, bits 127:96.
        (0x01c => pub SDRSP3: ReadWrite<u32>),
        /// SD host status.
        (0x020 => pub SDHSTS: ReadWrite<u32, SDHSTS::Register>),
        (0x024 => _reserved0),
        /// SD card power control.
        (0x030 => pub SDVDD: ReadWrite<u32, SDVDD::Register>),
        /// Emergency debug mode.
        (0x034 => pub SDEDM: ReadWrite<u32, SDEDM::Register>),
        /// Host configuration.
        (0x038 => pub SDHCFG: ReadWrite<u32, SDHCFG::Register>),
        /// Host byte count (debug).
        (0x03c => pub SDHBCT: ReadWrite<u32>),
        /// Data to/from the SD card.
        (0x040 => pub SDDATA: ReadWrite<u32>),
        (0x044 => _reserved1),
        /// Host block count (SDIO/SDHC).
        (0x050 => pub SDHBLC: ReadWrite<u32>),
        (0x054 => @END),
    }
}
// ANCHOR_END: registers

#[cfg(test)]
mod tests {
    use super::*;
    use core::mem::offset_of;

    #[test]
    fn offsets_and_size() {
        assert_eq!(offset_of!(Registers, SDCMD), 0x0);
        assert_eq!(offset_of!(Registers, SDRSP3), 0x1c);
        assert_eq!(offset_of!(Registers, SDHBLC), 0x50);
        assert_eq!(core::mem::size_of::<Registers>(), 0x54);
    }
}
