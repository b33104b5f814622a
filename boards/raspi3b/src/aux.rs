//! The auxiliary peripherals' registers (BCM2835 ARM Peripherals, chapter
//! 2, "Auxiliaries: UART1 & SPI1, SPI2"): the mini UART and the two SPI
//! masters behind one enable register and one interrupt.
//!
//! Names and bits are the datasheet's, with its errata applied: in
//! AUX_MU_IER_REG bit 0 enables the *receive* interrupt and bit 1 the
//! transmit interrupt (the datasheet has them swapped), bits 3:2 must be
//! set for the UART to raise interrupts on real silicon, and
//! AUX_MU_LCR_REG's data size takes 0b11 for 8 bits. The driver is
//! [`crate::mini_uart`]; ferrovisor's emulated AUX block declares nothing
//! of its own and uses these.

use tock_registers::registers::{ReadOnly, ReadWrite};
use tock_registers::{register_bitfields, register_structs};

register_bitfields! {u32,
    /// Auxiliary Interrupt status.
    #[allow(missing_docs)] // the generated Register type and field values
    pub AUX_IRQ [
        /// SPI 2 interrupt pending.
        SPI_2_IRQ OFFSET(2) NUMBITS(1) [],
        /// SPI 1 interrupt pending.
        SPI_1_IRQ OFFSET(1) NUMBITS(1) [],
        /// Mini UART interrupt pending.
        MINI_UART_IRQ OFFSET(0) NUMBITS(1) []
    ],
    /// Auxiliary enables ("if the enable bits are clear you will have no
    /// access to a peripheral").
    #[allow(missing_docs)] // the generated Register type and field values
    pub AUX_ENABLES [
        /// SPI 2 enable.
        SPI2_ENABLE OFFSET(2) NUMBITS(1) [],
        /// SPI 1 enable.
        SPI1_ENABLE OFFSET(1) NUMBITS(1) [],
        /// Mini UART enable.
        MINI_UART_ENABLE OFFSET(0) NUMBITS(1) []
    ],
    /// Mini Uart Interrupt Enable (bits as corrected by the erratum).
    #[allow(missing_docs)] // the generated Register type and field values
    pub AUX_MU_IER_REG [
        /// Documented as reserved; the errata say both bits must be set
        /// for the mini UART to raise interrupts at all.
        ERRATUM_INTERRUPT_ENABLE OFFSET(2) NUMBITS(2) [],
        /// Enable transmit interrupt.
        ENABLE_TRANSMIT_INTERRUPT OFFSET(1) NUMBITS(1) [],
        /// Enable receive interrupt.
        ENABLE_RECEIVE_INTERRUPT OFFSET(0) NUMBITS(1) []
    ],
    /// Mini Uart Interrupt Identify (on write: FIFO clear).
    #[allow(missing_docs)] // the generated Register type and field values
    pub AUX_MU_IIR_REG [
        /// FIFO enables: both always read as 1.
        FIFO_ENABLES OFFSET(6) NUMBITS(2) [],
        /// READ: interrupt ID bits.
        INTERRUPT_ID OFFSET(1) NUMBITS(2) [
            NoInterrupts = 0b00,
            TransmitHoldingRegisterEmpty = 0b01,
            ReceiverHoldsValidByte = 0b10
        ],
        /// WRITE: clear the receive FIFO (what it held is lost).
        CLEAR_RECEIVE_FIFO OFFSET(1) NUMBITS(1) [],
        /// WRITE: clear the transmit FIFO.
        CLEAR_TRANSMIT_FIFO OFFSET(2) NUMBITS(1) [],
        /// Interrupt pending: clear whenever an interrupt is pending.
        INTERRUPT_PENDING OFFSET(0) NUMBITS(1) []
    ],
    /// Mini Uart Line Control.
    #[allow(missing_docs)] // the generated Register type and field values
    pub AUX_MU_LCR_REG [
        /// DLAB access: IO and IER access the baud rate register.
        DLAB_ACCESS OFFSET(7) NUMBITS(1) [],
        /// Break.
        BREAK OFFSET(6) NUMBITS(1) [],
        /// Data size (erratum: 0b11 selects 8 bits).
        DATA_SIZE OFFSET(0) NUMBITS(2) [SevenBit = 0b00, EightBit = 0b11]
    ],
    /// Mini Uart Modem Control.
    #[allow(missing_docs)] // the generated Register type and field values
    pub AUX_MU_MCR_REG [
        /// RTS.
        RTS OFFSET(1) NUMBITS(1) []
    ],
    /// Mini Uart Line Status.
    #[allow(missing_docs)] // the generated Register type and field values
    pub AUX_MU_LSR_REG [
        /// Transmitter idle.
        TRANSMITTER_IDLE OFFSET(6) NUMBITS(1) [],
        /// Transmitter empty: the FIFO can accept at least one byte.
        TRANSMITTER_EMPTY OFFSET(5) NUMBITS(1) [],
        /// Receiver overrun (cleared by reading this register).
        RECEIVER_OVERRUN OFFSET(1) NUMBITS(1) [],
        /// Data ready: the receive FIFO holds at least one symbol.
        DATA_READY OFFSET(0) NUMBITS(1) []
    ],
    /// Mini Uart Modem Status.
    #[allow(missing_docs)] // the generated Register type and field values
    pub AUX_MU_MSR_REG [
        /// CTS status: set when the UART1_CTS pin is low (asserted).
        CTS_STATUS OFFSET(5) NUMBITS(1) []
    ],
    /// Mini Uart Extra Control.
    #[allow(missing_docs)] // the generated Register type and field values
    pub AUX_MU_CNTL_REG [
        /// Transmitter enable ("if this bit is clear no new symbols will
        /// be sent").
        TRANSMITTER_ENABLE OFFSET(1) NUMBITS(1) [],
        /// Receiver enable ("if this bit is clear no new symbols will be
        /// accepted by the receiver"; the FIFO keeps what it holds).
        RECEIVER_ENABLE OFFSET(0) NUMBITS(1) []
    ],
    /// Mini Uart Extra Status.
    #[allow(missing_docs)] // the generated Register type and field values
    pub AUX_MU_STAT_REG [
        /// Transmit FIFO fill level.
        TRANSMIT_FIFO_FILL_LEVEL OFFSET(24) NUMBITS(4) [],
        /// Receive FIFO fill level.
        RECEIVE_FIFO_FILL_LEVEL OFFSET(16) NUMBITS(4) [],
        /// Transmitter done: idle and the FIFO empty.
        TRANSMITTER_DONE OFFSET(9) NUMBITS(1) [],
        /// Transmit FIFO is empty.
        TRANSMIT_FIFO_IS_EMPTY OFFSET(8) NUMBITS(1) [],
        /// Transmitter is idle.
        TRANSMITTER_IS_IDLE OFFSET(3) NUMBITS(1) [],
        /// Receiver is idle.
        RECEIVER_IS_IDLE OFFSET(2) NUMBITS(1) [],
        /// Space available in the transmit FIFO.
        SPACE_AVAILABLE OFFSET(1) NUMBITS(1) [],
        /// Symbol available in the receive FIFO.
        SYMBOL_AVAILABLE OFFSET(0) NUMBITS(1) []
    ],
    /// Mini Uart Baudrate.
    #[allow(missing_docs)] // the generated Register type and field values
    pub AUX_MU_BAUD_REG [
        /// baud = system_clock / (8 * (BAUDRATE + 1)).
        BAUDRATE OFFSET(0) NUMBITS(16) []
    ],
    /// SPI Status (bits as Linux's `spi-bcm2835aux` has them).
    #[allow(missing_docs)] // the generated Register type and field values
    pub AUX_SPI_STAT_REG [
        /// TX empty.
        TX_EMPTY OFFSET(9) NUMBITS(1) [],
        /// RX empty.
        RX_EMPTY OFFSET(7) NUMBITS(1) []
    ]
}

// ANCHOR: registers
register_structs! {
    /// The AUX register block at [`crate::map::AUX_BASE`], up to the mini
    /// UART's last register (the SPI blocks follow at [`SPI1_BLOCK`]).
    // The fields are the registers, named as in the datasheet and
    // described by their bitfields above.
    #[allow(non_snake_case, missing_docs)]
    pub Registers {
        (0x00 => pub AUX_IRQ: ReadOnly<u32, AUX_IRQ::Register>),
        (0x04 => pub AUX_ENABLES: ReadWrite<u32, AUX_ENABLES::Register>),
        (0x08 => _reserved),
        (0x40 => pub AUX_MU_IO_REG: ReadWrite<u32>),
        (0x44 => pub AUX_MU_IER_REG: ReadWrite<u32, AUX_MU_IER_REG::Register>),
        (0x48 => pub AUX_MU_IIR_REG: ReadWrite<u32, AUX_MU_IIR_REG::Register>),
        (0x4c => pub AUX_MU_LCR_REG: ReadWrite<u32, AUX_MU_LCR_REG::Register>),
        (0x50 => pub AUX_MU_MCR_REG: ReadWrite<u32, AUX_MU_MCR_REG::Register>),
        (0x54 => pub AUX_MU_LSR_REG: ReadOnly<u32, AUX_MU_LSR_REG::Register>),
        (0x58 => pub AUX_MU_MSR_REG: ReadOnly<u32, AUX_MU_MSR_REG::Register>),
        (0x5c => pub AUX_MU_SCRATCH: ReadWrite<u32>),
        (0x60 => pub AUX_MU_CNTL_REG: ReadWrite<u32, AUX_MU_CNTL_REG::Register>),
        (0x64 => pub AUX_MU_STAT_REG: ReadOnly<u32, AUX_MU_STAT_REG::Register>),
        (0x68 => pub AUX_MU_BAUD_REG: ReadWrite<u32, AUX_MU_BAUD_REG::Register>),
        (0x6c => @END),
    }
}
// ANCHOR_END: registers

/// The SPI1 block (AUX_SPI0_* in the datasheet's register table).
pub const SPI1_BLOCK: usize = 0x80;
/// The SPI2 block (AUX_SPI1_* in the datasheet's register table).
pub const SPI2_BLOCK: usize = 0xc0;
/// Bytes of one SPI block.
pub const SPI_BLOCK_BYTES: usize = 0x40;
/// Symbols the mini UART's receive FIFO holds (and its transmit FIFO).
pub const FIFO_DEPTH: usize = 8;

#[cfg(test)]
mod tests {
    use super::*;
    use core::mem::offset_of;

    #[test]
    fn offsets_are_the_datasheets() {
        assert_eq!(offset_of!(Registers, AUX_ENABLES), 0x04);
        assert_eq!(offset_of!(Registers, AUX_MU_IO_REG), 0x40);
        assert_eq!(offset_of!(Registers, AUX_MU_IIR_REG), 0x48);
        assert_eq!(offset_of!(Registers, AUX_MU_LSR_REG), 0x54);
        assert_eq!(offset_of!(Registers, AUX_MU_SCRATCH), 0x5c);
        assert_eq!(offset_of!(Registers, AUX_MU_CNTL_REG), 0x60);
        assert_eq!(offset_of!(Registers, AUX_MU_BAUD_REG), 0x68);
        assert_eq!(core::mem::size_of::<Registers>(), 0x6c);
    }
}
