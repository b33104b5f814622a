//! A fake [`VmEnv`] for the device models' host tests: RAM as a vector of
//! words, the console as queues, a counter the test moves by hand; and the
//! random register traffic the property tests throw at every model.

use super::{Device, VmEnv};
use proptest::prelude::*;
use std::collections::VecDeque;
use std::vec::Vec;

/// The counter frequency QEMU's `raspi3b` reports (62.5 MHz).
pub const QEMU_COUNTER_FREQ: u64 = 62_500_000;
/// RAM of the fake VM: 1 MiB is plenty for mailbox buffers.
pub const RAM_BYTES: u64 = 1 << 20;
/// Microseconds per second.
const MICROS_PER_SECOND: u64 = 1_000_000;

/// Everything a model can ask of its VM, in plain data.
pub struct FakeEnv {
    /// CNTVCT.
    pub now: u64,
    /// CNTFRQ.
    pub freq: u64,
    /// Guest RAM at IPA 0, one entry per 32-bit word.
    pub ram: Vec<u32>,
    /// Every IPA a model wrote, in order.
    pub writes: Vec<u64>,
    /// What the guest's UART sent.
    pub output: Vec<u8>,
    /// Whether the console is too full to take the guest's output.
    pub console_busy: bool,
    /// What was typed to the VM and not yet taken.
    pub input: VecDeque<u8>,
    /// The CNTV condition.
    pub vtimer: bool,
}

impl FakeEnv {
    /// A VM at time 0 with [`RAM_BYTES`] of zeroed RAM.
    pub fn new() -> Self {
        Self {
            now: 0,
            freq: QEMU_COUNTER_FREQ,
            ram: vec![0; (RAM_BYTES / 4) as usize],
            writes: Vec::new(),
            output: Vec::new(),
            console_busy: false,
            input: VecDeque::new(),
            vtimer: false,
        }
    }

    /// The counter value at `micros` microseconds.
    pub fn ticks_at_micros(&self, micros: u64) -> u64 {
        super::units_to_ticks(micros, self.freq, MICROS_PER_SECOND)
    }

    /// Move the clock to `micros` microseconds.
    pub fn set_micros(&mut self, micros: u64) {
        self.now = self.ticks_at_micros(micros);
    }

    /// Type bytes to the VM.
    pub fn type_bytes(&mut self, bytes: &[u8]) {
        self.input.extend(bytes);
    }

    /// Store words in RAM at `ipa`.
    pub fn poke(&mut self, ipa: u64, words: &[u32]) {
        let first = (ipa / 4) as usize;
        self.ram[first..first + words.len()].copy_from_slice(words);
    }

    /// Words of RAM at `ipa`.
    pub fn peek(&self, ipa: u64, words: usize) -> &[u32] {
        let first = (ipa / 4) as usize;
        &self.ram[first..first + words]
    }

    /// Apply the time and input parts of a random operation.
    pub fn apply_time(&mut self, op: &Op) {
        self.now = self.now.saturating_add(op.advance);
        self.vtimer = op.vtimer;
        if let Some(byte) = op.typed {
            self.input.push_back(byte);
        }
    }
}

impl VmEnv for FakeEnv {
    fn counter(&self) -> u64 {
        self.now
    }

    fn counter_freq(&self) -> u64 {
        self.freq
    }

    fn ram_bytes(&self) -> u64 {
        self.ram.len() as u64 * 4
    }

    fn read_guest_u32(&self, ipa: u64) -> Option<u32> {
        if !ipa.is_multiple_of(4) {
            return None;
        }
        self.ram.get(usize::try_from(ipa / 4).ok()?).copied()
    }

    fn write_guest_u32(&mut self, ipa: u64, value: u32) -> bool {
        if !ipa.is_multiple_of(4) {
            return false;
        }
        let Some(word) = usize::try_from(ipa / 4)
            .ok()
            .and_then(|i| self.ram.get_mut(i))
        else {
            return false;
        };
        *word = value;
        self.writes.push(ipa);
        true
    }

    fn console_write(&mut self, byte: u8) {
        self.output.push(byte);
    }

    fn console_room(&self) -> bool {
        !self.console_busy
    }

    fn console_read(&mut self) -> Option<u8> {
        self.input.pop_front()
    }

    fn console_pending(&self) -> usize {
        self.input.len()
    }

    fn virtual_timer_irq(&self) -> bool {
        self.vtimer
    }
}

/// One random register access, with time passing and input arriving first.
#[derive(Clone, Copy, Debug)]
pub struct Op {
    /// Word offset inside the model's block.
    pub offset: u32,
    /// A store (else a load).
    pub write: bool,
    /// The value stored.
    pub value: u32,
    /// Counter ticks that pass before the access.
    pub advance: u64,
    /// The CNTV condition during the access.
    pub vtimer: bool,
    /// A byte typed before the access.
    pub typed: Option<u8>,
}

/// Random accesses to a block of `size` bytes, with values biased towards
/// the interesting ones (all ones, single bits, the watchdog password).
pub fn op_strategy(size: u32) -> impl Strategy<Value = Op> {
    let value = prop_oneof![
        any::<u32>(),
        Just(u32::MAX),
        (0..32u32).prop_map(|bit| 1 << bit),
        (0..0x10_0000u32).prop_map(|low| 0x5a00_0000 | low),
        0..16u32,
    ];
    let advance = prop_oneof![
        Just(0u64),
        0..1_000u64,
        0..100_000_000u64,
        Just(u64::MAX / 4),
    ];
    (
        0..size / 4,
        any::<bool>(),
        value,
        advance,
        any::<bool>(),
        proptest::option::of(any::<u8>()),
    )
        .prop_map(|(word, write, value, advance, vtimer, typed)| Op {
            offset: word * 4,
            write,
            value,
            advance,
            vtimer,
            typed,
        })
}

/// Run random operations against one model; the caller's property is that
/// this returns (no panic, no overflow).
pub fn exercise(device: &mut dyn Device, env: &mut FakeEnv, ops: &[Op]) {
    for op in ops {
        env.apply_time(op);
        if op.write {
            device.write(op.offset, op.value, env);
        } else {
            device.read(op.offset, env);
        }
    }
}
