//! The EMMC controller (BCM2835 ARM Peripherals, chapter 5, "External Mass
//! Media Controller"): the Arasan SD host controller, SDHCI 3.0 with the
//! Pi's own register names, on which the SD card's slot sits on the Pi 3 by
//! default. The capability registers at 0x40 are the SD Host Controller
//! Specification's; the datasheet leaves them out.

use tock_registers::registers::ReadWrite;
use tock_registers::{register_bitfields, register_structs};

register_bitfields! {u32,
    /// Block size and count.
    #[allow(missing_docs)] // the generated Register type and field values
    pub BLKSIZECNT [
        /// Number of blocks to be transferred.
        BLKCNT OFFSET(16) NUMBITS(16) [],
        /// Block size in bytes.
        BLKSIZE OFFSET(0) NUMBITS(10) []
    ],
    /// Command and transfer mode.
    #[allow(missing_docs)] // the generated Register type and field values
    pub CMDTM [
        /// Index of the command to be issued to the card.
        CMD_INDEX OFFSET(24) NUMBITS(6) [],
        /// Type of command to be issued to the card.
        CMD_TYPE OFFSET(22) NUMBITS(2) [
            Normal = 0b00,
            Suspend = 0b01,
            Resume = 0b10,
            Abort = 0b11
        ],
        /// Command involves a data transfer.
        CMD_ISDATA OFFSET(21) NUMBITS(1) [],
        /// Check that the response has the same index as the command.
        CMD_IXCHK_EN OFFSET(20) NUMBITS(1) [],
        /// Check the response's CRC.
        CMD_CRCCHK_EN OFFSET(19) NUMBITS(1) [],
        /// Type of expected response from the card.
        CMD_RSPNS_TYPE OFFSET(16) NUMBITS(2) [
            NoResponse = 0b00,
            Bits136 = 0b01,
            Bits48 = 0b10,
            Bits48Busy = 0b11
        ],
        /// Type of data transfer: single or multiple block.
        TM_MULTI_BLOCK OFFSET(5) NUMBITS(1) [],
        /// Direction of data transfer.
        TM_DAT_DIR OFFSET(4) NUMBITS(1) [
            HostToCard = 0,
            CardToHost = 1
        ],
        /// Select the command to be sent after completion of a data
        /// transfer.
        TM_AUTO_CMD_EN OFFSET(2) NUMBITS(2) [
            None = 0b00,
            Cmd12 = 0b01,
            Cmd23 = 0b10
        ],
        /// Enable the block counter for multiple block transfers.
        TM_BLKCNT_EN OFFSET(1) NUMBITS(1) []
    ],
    /// Status.
    #[allow(missing_docs)] // the generated Register type and field values
    pub STATUS [
        /// Value of data lines DAT7 to DAT4.
        DAT_LEVEL1 OFFSET(25) NUMBITS(4) [],
        /// Value of the command line CMD.
        CMD_LEVEL OFFSET(24) NUMBITS(1) [],
        /// Value of data lines DAT3 to DAT0.
        DAT_LEVEL0 OFFSET(20) NUMBITS(4) [],
        /// Card detect pin level (SDHCI).
        CARD_DETECT_PIN_LEVEL OFFSET(18) NUMBITS(1) [],
        /// Card detect state stable (SDHCI).
        CARD_STATE_STABLE OFFSET(17) NUMBITS(1) [],
        /// Card inserted (SDHCI).
        CARD_INSERTED OFFSET(16) NUMBITS(1) [],
        /// New data can be read from EMMC.
        READ_TRANSFER OFFSET(9) NUMBITS(1) [],
        /// New data can be written to EMMC.
        WRITE_TRANSFER OFFSET(8) NUMBITS(1) [],
        /// At least one data line is active.
        DAT_ACTIVE OFFSET(2) NUMBITS(1) [],
        /// Data lines still used by a previous transfer.
        DAT_INHIBIT OFFSET(1) NUMBITS(1) [],
        /// Command line still used by a previous command.
        CMD_INHIBIT OFFSET(0) NUMBITS(1) []
    ],
    /// Host configuration bits: bus width and speed.
    #[allow(missing_docs)] // the generated Register type and field values
    pub CONTROL0 [
        /// Use 8 data lines.
        HCTL_8BIT OFFSET(5) NUMBITS(1) [],
        /// Select high speed mode.
        HCTL_HS_EN OFFSET(2) NUMBITS(1) [],
        /// Use 4 data lines.
        HCTL_DWIDTH OFFSET(1) NUMBITS(1) []
    ],
    /// Host configuration bits: clock and resets.
    #[allow(missing_docs)] // the generated Register type and field values
    pub CONTROL1 [
        /// Reset the data handling circuit.
        SRST_DATA OFFSET(26) NUMBITS(1) [],
        /// Reset the command handling circuit.
        SRST_CMD OFFSET(25) NUMBITS(1) [],
        /// Reset the complete host circuit.
        SRST_HC OFFSET(24) NUMBITS(1) [],
        /// Data timeout unit exponent: the timeout is TMCLK * 2^(n+13).
        DATA_TOUNIT OFFSET(16) NUMBITS(4) [],
        /// SD clock base divider LSBs.
        CLK_FREQ8 OFFSET(8) NUMBITS(8) [],
        /// SD clock base divider MSBs.
        CLK_FREQ_MS2 OFFSET(6) NUMBITS(2) [],
        /// Mode of clock generation.
        CLK_GENSEL OFFSET(5) NUMBITS(1) [],
        /// SD clock enable.
        CLK_EN OFFSET(2) NUMBITS(1) [],
        /// SD clock stable.
        CLK_STABLE OFFSET(1) NUMBITS(1) [],
        /// Clock enable for internal EMMC clocks for power saving.
        CLK_INTLEN OFFSET(0) NUMBITS(1) []
    ],
    /// Interrupt flags; IRPT_MASK and IRPT_EN have the same layout.
    #[allow(missing_docs)] // the generated Register type and field values
    pub INTERRUPT [
        /// Auto command error.
        ACMD_ERR OFFSET(24) NUMBITS(1) [],
        /// End bit on data line not 1.
        DEND_ERR OFFSET(22) NUMBITS(1) [],
        /// Data CRC error.
        DCRC_ERR OFFSET(21) NUMBITS(1) [],
        /// Timeout on data line.
        DTO_ERR OFFSET(20) NUMBITS(1) [],
        /// Incorrect command index in response.
        CBAD_ERR OFFSET(19) NUMBITS(1) [],
        /// End bit on command line not 1.
        CEND_ERR OFFSET(18) NUMBITS(1) [],
        /// Command CRC error.
        CCRC_ERR OFFSET(17) NUMBITS(1) [],
        /// Command timeout error.
        CTO_ERR OFFSET(16) NUMBITS(1) [],
        /// An error has occurred (the OR of bits 31:16).
        ERR OFFSET(15) NUMBITS(1) [],
        /// Boot operation has terminated.
        ENDBOOT OFFSET(14) NUMBITS(1) [],
        /// Boot acknowledge has been received.
        BOOTACK OFFSET(13) NUMBITS(1) [],
        /// Clock retune request was made.
        RETUNE OFFSET(12) NUMBITS(1) [],
        /// Card made interrupt request.
        CARD OFFSET(8) NUMBITS(1) [],
        /// DATA register contains data to be read.
        READ_RDY OFFSET(5) NUMBITS(1) [],
        /// Data can be written to DATA register.
        WRITE_RDY OFFSET(4) NUMBITS(1) [],
        /// Data transfer has stopped at block gap.
        BLOCK_GAP OFFSET(2) NUMBITS(1) [],
        /// Data transfer has finished.
        DATA_DONE OFFSET(1) NUMBITS(1) [],
        /// Command has finished.
        CMD_DONE OFFSET(0) NUMBITS(1) []
    ],
    /// Slot interrupt status and version.
    #[allow(missing_docs)] // the generated Register type and field values
    pub SLOTISR_VER [
        /// Vendor version number.
        VENDOR OFFSET(24) NUMBITS(8) [],
        /// Host Controller specification version.
        SDVERSION OFFSET(16) NUMBITS(8) [],
        /// Logical OR of interrupt and wakeup signal for each slot.
        SLOT_STATUS OFFSET(0) NUMBITS(8) []
    ],
    /// Capabilities, bits 31:0 (SD Host Controller Specification 3.0).
    #[allow(missing_docs)] // the generated Register type and field values
    pub CAPABILITIES_0 [
        /// 3.3 V supported.
        VOLTAGE_3V3 OFFSET(24) NUMBITS(1) [],
        /// SDMA supported.
        SDMA OFFSET(22) NUMBITS(1) [],
        /// High speed supported.
        HIGH_SPEED OFFSET(21) NUMBITS(1) [],
        /// ADMA2 supported.
        ADMA2 OFFSET(19) NUMBITS(1) [],
        /// Maximum block length: 0 = 512 bytes.
        MAX_BLOCK_LENGTH OFFSET(16) NUMBITS(2) [],
        /// Base clock frequency for the SD clock, in MHz.
        BASE_CLOCK OFFSET(8) NUMBITS(8) []
    ]
}

/// SDVERSION of a host that follows the SD Host Controller Specification
/// 3.00 (the Pi's EMMC), which divides the base clock by any even number
/// (the 10-bit divided clock mode).
pub const SD_HOST_SPEC_3_00: u32 = 2;

// ANCHOR: registers
register_structs! {
    /// The EMMC (Arasan SD host) registers at [`crate::map::EMMC_BASE`].
    #[allow(non_snake_case)]
    pub Registers {
        /// ACMD23 argument.
        (0x000 => pub ARG2: ReadWrite<u32>),
        /// Block size and count.
        (0x004 => pub BLKSIZECNT: ReadWrite<u32, BLKSIZECNT::Register>),
        /// Argument.
        (0x008 => pub ARG1: ReadWrite<u32>),
        /// Command and transfer mode.
        (0x00c => pub CMDTM: ReadWrite<u32, CMDTM::Register>),
        /// Response bits 31:0.
        (0x010 => pub RESP0: ReadWrite<u32>),
        /// Response bits 63:32.
        (0x014 => pub RESP1: ReadWrite<u32>),
        /// Response bits 95:64.
        (0x018 => pub RESP2: ReadWrite<u32>),
        /// Response bits 127:96.
        (0x01c => pub RESP3: ReadWrite<u32>),
        /// Data.
        (0x020 => pub DATA: ReadWrite<u32>),
        /// Status.
        (0x024 => pub STATUS: ReadWrite<u32, STATUS::Register>),
        /// Host configuration bits.
        (0x028 => pub CONTROL0: ReadWrite<u32, CONTROL0::Register>),
        /// Host configuration bits: clock and resets.
        (0x02c => pub CONTROL1: ReadWrite<u32, CONTROL1::Register>),
        /// Interrupt flags.
        (0x030 => pub INTERRUPT: ReadWrite<u32, INTERRUPT::Register>),
        /// Interrupt flag enable.
        (0x034 => pub IRPT_MASK: ReadWrite<u32, INTERRUPT::Register>),
        /// Interrupt generation enable.
        (0x038 => pub IRPT_EN: ReadWrite<u32, INTERRUPT::Register>),
        /// Host configuration bits.
        (0x03c => pub CONTROL2: ReadWrite<u32>),
        /// Capabilities, bits 31:0 (SDHCI; not in the datasheet).
        (0x040 => pub CAPABILITIES_0: ReadWrite<u32, CAPABILITIES_0::Register>),
        /// Capabilities, bits 63:32 (SDHCI; not in the datasheet).
        (0x044 => pub CAPABILITIES_1: ReadWrite<u32>),
        (0x048 => _reserved0),
        /// Force an interrupt event.
        (0x050 => pub FORCE_IRPT: ReadWrite<u32>),
        (0x054 => _reserved1),
        /// Timeout in boot mode.
        (0x070 => pub BOOT_TIMEOUT: ReadWrite<u32>),
        /// Debug bus configuration.
        (0x074 => pub DBG_SEL: ReadWrite<u32>),
        (0x078 => _reserved2),
        /// Extension FIFO configuration.
        (0x080 => pub EXRDFIFO_CFG: ReadWrite<u32>),
        /// Extension FIFO enable.
        (0x084 => pub EXRDFIFO_EN: ReadWrite<u32>),
        /// Delay per card clock tuning step.
        (0x088 => pub TUNE_STEP: ReadWrite<u32>),
        /// Card clock tuning steps for SDR.
        (0x08c => pub TUNE_STEPS_STD: ReadWrite<u32>),
        /// Card clock tuning steps for DDR.
        (0x090 => pub TUNE_STEPS_DDR: ReadWrite<u32>),
        (0x094 => _reserved3),
        /// SPI interrupt support.
        (0x0f0 => pub SPI_INT_SPT: ReadWrite<u32>),
        (0x0f4 => _reserved4),
        /// Slot interrupt status and version.
        (0x0fc => pub SLOTISR_VER: ReadWrite<u32, SLOTISR_VER::Register>),
        (0x100 => @END),
    }
}
// ANCHOR_END: registers

#[cfg(test)]
mod tests {
    use super::*;
    use core::mem::offset_of;

    #[test]
    fn offsets_and_size() {
        assert_eq!(offset_of!(Registers, ARG2), 0x0);
        assert_eq!(offset_of!(Registers, IRPT_EN), 0x38);
        assert_eq!(offset_of!(Registers, SLOTISR_VER), 0xfc);
        assert_eq!(core::mem::size_of::<Registers>(), 0x100);
    }
}
